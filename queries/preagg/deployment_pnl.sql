-- Per-deployment P&L of one period, from the pre-aggregates (PostgreSQL; same result as ../deployment_pnl.sql).
-- Grain: one row per (deployment_id, currency).
-- Revenue: agg_revenue_deployment (lines of live invoices carrying the deployment_id);
-- COGS: agg_cost_owner rows with a deployment (cost lines whose resource belongs to it).
-- Both are already per deployment and month: one grouping, then the names.
-- Binds: period_start, period_end (dates, half-open).
WITH combined AS (
    SELECT a.deployment_id, a.tenant_id AS invoice_tenant_id, a.currency,
           a.amount_cents AS revenue_cents, 0 AS cogs_cents
    FROM agg_revenue_deployment AS a
    WHERE a.period >= :period_start AND a.period < :period_end
    UNION ALL
    SELECT a.deployment_id, NULL AS invoice_tenant_id, a.currency,
           0 AS revenue_cents, a.amount_cents AS cogs_cents
    FROM agg_cost_owner AS a
    WHERE a.period >= :period_start AND a.period < :period_end
      AND a.deployment_id IS NOT NULL
),
per_deployment AS (
    SELECT deployment_id, currency, MAX(invoice_tenant_id) AS invoice_tenant_id,
           CAST(SUM(revenue_cents) AS BIGINT) AS revenue_cents, CAST(SUM(cogs_cents) AS BIGINT) AS cogs_cents
    FROM combined
    GROUP BY deployment_id, currency
)
SELECT CAST(p.deployment_id AS TEXT) AS deployment_id,
       COALESCE(d.name, CAST(p.deployment_id AS TEXT)) AS deployment_name,
       COALESCE(d.tenant_id, p.invoice_tenant_id) AS tenant_id,
       p.currency, p.revenue_cents, p.cogs_cents
FROM per_deployment AS p
LEFT JOIN cloud_deployments AS d ON d.id = p.deployment_id
