-- Per-tenant P&L of one period.
-- Grain: one row per (tenant_id, currency); tenant_id NULL is the unattributed COGS.
-- Tenant of a cost line = COALESCE(deployment.tenant_id, resource.tenant_id).
-- Binds: period_start, period_end (dates, half-open).
WITH revenue AS (
    SELECT i.tenant_id, i.currency,
           SUM(i.subtotal_cents) AS revenue_cents, 0 AS cogs_cents,
           COUNT(*) AS invoice_count, 0 AS cost_line_count
    FROM tenant_invoices AS i
    WHERE i.period >= :period_start AND i.period < :period_end AND i.status <> 'void'
    GROUP BY i.tenant_id, i.currency
),
cogs AS (
    SELECT COALESCE(d.tenant_id, r.tenant_id) AS tenant_id, c.currency,
           0 AS revenue_cents, SUM(c.amount_cents) AS cogs_cents,
           0 AS invoice_count, COUNT(*) AS cost_line_count
    FROM cloud_cost_lines AS c
    LEFT JOIN cloud_resources AS r ON r.id = c.resource_id
    LEFT JOIN cloud_deployments AS d ON d.id = r.deployment_id
    WHERE c.period >= :period_start AND c.period < :period_end
    GROUP BY COALESCE(d.tenant_id, r.tenant_id), c.currency
),
combined AS (
    SELECT * FROM revenue
    UNION ALL
    SELECT * FROM cogs
)
SELECT combined.tenant_id,
       COALESCE(t.name, combined.tenant_id) AS tenant_name,
       t.kind AS tenant_kind,
       combined.currency,
       SUM(combined.revenue_cents) AS revenue_cents,
       SUM(combined.cogs_cents) AS cogs_cents,
       SUM(combined.invoice_count) AS invoice_count,
       SUM(combined.cost_line_count) AS cost_line_count
FROM combined
LEFT JOIN tenants AS t ON t.id = combined.tenant_id
GROUP BY combined.tenant_id, t.name, t.kind, combined.currency
