-- Per-deployment P&L of one period, from the pre-aggregates (PostgreSQL; same result as ../deployment_pnl.sql).
-- Grain: one row per (deployment_id, currency).
-- Revenue: agg_revenue_deployment (lines of live invoices carrying the deployment_id);
-- COGS: agg_cost_owner rows with a deployment (cost lines whose resource belongs to it).
-- Binds: period_start, period_end (dates, half-open).
WITH revenue AS (
    SELECT a.deployment_id, a.tenant_id AS invoice_tenant_id, a.currency,
           SUM(a.amount_cents) AS revenue_cents, 0 AS cogs_cents
    FROM agg_revenue_deployment AS a
    WHERE a.period >= :period_start AND a.period < :period_end
    GROUP BY a.deployment_id, a.tenant_id, a.currency
),
cogs AS (
    SELECT a.deployment_id, NULL AS invoice_tenant_id, a.currency,
           0 AS revenue_cents, SUM(a.amount_cents) AS cogs_cents
    FROM agg_cost_owner AS a
    WHERE a.period >= :period_start AND a.period < :period_end
      AND a.deployment_id IS NOT NULL
    GROUP BY a.deployment_id, a.currency
),
combined AS (
    SELECT * FROM revenue
    UNION ALL
    SELECT * FROM cogs
)
SELECT CAST(combined.deployment_id AS TEXT) AS deployment_id,
       COALESCE(d.name, CAST(combined.deployment_id AS TEXT)) AS deployment_name,
       COALESCE(d.tenant_id, MAX(combined.invoice_tenant_id)) AS tenant_id,
       combined.currency,
       SUM(combined.revenue_cents) AS revenue_cents,
       SUM(combined.cogs_cents) AS cogs_cents
FROM combined
LEFT JOIN cloud_deployments AS d ON d.id = combined.deployment_id
GROUP BY combined.deployment_id, d.name, d.tenant_id, combined.currency
