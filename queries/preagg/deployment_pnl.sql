-- Per-deployment P&L of one period, from the pre-aggregates (PostgreSQL; same result as ../deployment_pnl.sql).
-- Grain: one row per (deployment_id, currency).
-- agg_pnl_deployment holds each month's revenue (lines of live invoices carrying the deployment_id) and
-- COGS (cost lines whose resource belongs to it) side by side, one row per deployment and currency: a
-- month is read as it is kept, with no grouping. The invoice's tenant is looked up only for a deployment
-- with no cloud_deployments row.
-- Binds: period_start, period_end (dates, half-open: one calendar month, whose first day is period_start).
SELECT CAST(p.deployment_id AS TEXT) AS deployment_id,
       COALESCE(d.name, CAST(p.deployment_id AS TEXT)) AS deployment_name,
       COALESCE(d.tenant_id, (
           SELECT MAX(r.tenant_id) FROM agg_revenue_deployment AS r
           WHERE r.deployment_id = p.deployment_id AND r.currency = p.currency
             AND r.period >= :period_start AND r.period < :period_end
       )) AS tenant_id,
       p.currency, CAST(p.revenue_cents AS BIGINT) AS revenue_cents, CAST(p.cogs_cents AS BIGINT) AS cogs_cents
FROM agg_pnl_deployment AS p
LEFT JOIN cloud_deployments AS d ON d.id = p.deployment_id
WHERE p.period = :period_start
