-- Per-deployment P&L of a range of months, from the pre-aggregates (PostgreSQL; same result as
-- ../deployment_pnl.sql over the same range). A single month reads deployment_pnl.sql instead: its rows as
-- kept, with no grouping; here each deployment's months are summed per currency.
-- Grain: one row per (deployment_id, currency).
-- The invoice's tenant is looked up only for a deployment with no cloud_deployments row.
-- Binds: period_start, period_end (dates, half-open: whole months, first days).
WITH per_deployment AS (
    SELECT p.deployment_id, p.currency, SUM(p.revenue_cents) AS revenue_cents, SUM(p.cogs_cents) AS cogs_cents
    FROM agg_pnl_deployment AS p
    WHERE p.period >= :period_start AND p.period < :period_end
    GROUP BY p.deployment_id, p.currency
)
SELECT CAST(p.deployment_id AS TEXT) AS deployment_id,
       COALESCE(d.name, CAST(p.deployment_id AS TEXT)) AS deployment_name,
       COALESCE(d.tenant_id, (
           SELECT MAX(r.tenant_id) FROM agg_revenue_deployment AS r
           WHERE r.deployment_id = p.deployment_id AND r.currency = p.currency
             AND r.period >= :period_start AND r.period < :period_end
       )) AS tenant_id,
       p.currency, CAST(p.revenue_cents AS BIGINT) AS revenue_cents, CAST(p.cogs_cents AS BIGINT) AS cogs_cents
FROM per_deployment AS p
LEFT JOIN cloud_deployments AS d ON d.id = p.deployment_id
