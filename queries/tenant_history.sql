-- Per-tenant revenue and COGS of each month of a range (the tenants' margin trend).
-- Grain: one row per (tenant_id, period, currency). Same definitions as tenant_pnl.sql, month by month;
-- the unattributed COGS (cost lines with no tenant) is no tenant's and is left out.
-- Tenant of a cost line = COALESCE(deployment.tenant_id, resource.tenant_id).
-- Binds: period_start, period_end (dates, half-open; both first days of months).
WITH revenue AS (
    SELECT i.tenant_id, i.period, i.currency, SUM(i.subtotal_cents) AS revenue_cents, 0 AS cogs_cents
    FROM tenant_invoices AS i
    WHERE i.period >= :period_start AND i.period < :period_end AND i.status <> 'void'
    GROUP BY i.tenant_id, i.period, i.currency
),
cogs AS (
    SELECT COALESCE(d.tenant_id, r.tenant_id) AS tenant_id, c.period, c.currency,
           0 AS revenue_cents, SUM(c.amount_cents) AS cogs_cents
    FROM cloud_cost_lines AS c
    LEFT JOIN cloud_resources AS r ON r.id = c.resource_id
    LEFT JOIN cloud_deployments AS d ON d.id = r.deployment_id
    WHERE c.period >= :period_start AND c.period < :period_end
      AND COALESCE(d.tenant_id, r.tenant_id) IS NOT NULL
    GROUP BY COALESCE(d.tenant_id, r.tenant_id), c.period, c.currency
),
combined AS (
    SELECT * FROM revenue
    UNION ALL
    SELECT * FROM cogs
)
SELECT tenant_id, period, currency, SUM(revenue_cents) AS revenue_cents, SUM(cogs_cents) AS cogs_cents
FROM combined
GROUP BY tenant_id, period, currency
