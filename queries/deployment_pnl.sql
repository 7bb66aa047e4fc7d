-- Per-deployment P&L of one period.
-- Grain: one row per (deployment_id, currency).
-- Revenue: invoice lines of non-void invoices carrying the deployment_id;
-- COGS: cost lines whose resource belongs to the deployment.
-- Binds: period_start, period_end (dates, half-open).
WITH revenue AS (
    SELECT l.deployment_id, i.tenant_id AS invoice_tenant_id, i.currency,
           SUM(l.amount_cents) AS revenue_cents, 0 AS cogs_cents
    FROM tenant_invoice_lines AS l
    JOIN tenant_invoices AS i ON i.id = l.invoice_id
    WHERE i.period >= :period_start AND i.period < :period_end AND i.status <> 'void'
      AND l.deployment_id IS NOT NULL
    GROUP BY l.deployment_id, i.tenant_id, i.currency
),
cogs AS (
    SELECT r.deployment_id, NULL AS invoice_tenant_id, c.currency,
           0 AS revenue_cents, SUM(c.amount_cents) AS cogs_cents
    FROM cloud_cost_lines AS c
    JOIN cloud_resources AS r ON r.id = c.resource_id
    WHERE c.period >= :period_start AND c.period < :period_end
      AND r.deployment_id IS NOT NULL
    GROUP BY r.deployment_id, c.currency
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
