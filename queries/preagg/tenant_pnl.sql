-- Per-tenant P&L of one period, from the pre-aggregates (PostgreSQL; same result as ../tenant_pnl.sql).
-- Grain: one row per (tenant_id, currency); tenant_id NULL is the unattributed COGS.
-- Revenue: live invoices of the month (index on tenant_invoices.period); COGS: agg_cost_owner,
-- where the triggers keep each month's cost lines under COALESCE(deployment.tenant_id, resource.tenant_id).
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
    SELECT a.tenant_id, a.currency,
           0 AS revenue_cents, SUM(a.amount_cents) AS cogs_cents,
           0 AS invoice_count, SUM(a.line_count) AS cost_line_count
    FROM agg_cost_owner AS a
    WHERE a.period >= :period_start AND a.period < :period_end
    GROUP BY a.tenant_id, a.currency
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
