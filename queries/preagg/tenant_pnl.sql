-- Per-tenant P&L of one period, from the pre-aggregates (PostgreSQL; same result as ../tenant_pnl.sql).
-- Grain: one row per (tenant_id, currency); tenant_id NULL is the unattributed COGS.
-- Revenue: live invoices of the month (index on tenant_invoices.period); COGS: agg_cost_tenant,
-- where the triggers keep each month's cost lines under COALESCE(deployment.tenant_id, resource.tenant_id).
-- Binds: period_start, period_end (dates, half-open).
WITH combined AS (
    SELECT i.tenant_id, i.currency, i.subtotal_cents AS revenue_cents, 0 AS cogs_cents,
           1 AS invoice_count, 0 AS cost_line_count
    FROM tenant_invoices AS i
    WHERE i.period >= :period_start AND i.period < :period_end AND i.status <> 'void'
    UNION ALL
    SELECT a.tenant_id, a.currency, 0 AS revenue_cents, a.amount_cents AS cogs_cents,
           0 AS invoice_count, a.line_count AS cost_line_count
    FROM agg_cost_tenant AS a
    WHERE a.period >= :period_start AND a.period < :period_end
),
per_tenant AS (
    SELECT tenant_id, currency, CAST(SUM(revenue_cents) AS BIGINT) AS revenue_cents,
           CAST(SUM(cogs_cents) AS BIGINT) AS cogs_cents, CAST(SUM(invoice_count) AS BIGINT) AS invoice_count,
           CAST(SUM(cost_line_count) AS BIGINT) AS cost_line_count
    FROM combined
    GROUP BY tenant_id, currency
)
SELECT p.tenant_id, COALESCE(t.name, p.tenant_id) AS tenant_name, t.kind AS tenant_kind, p.currency,
       p.revenue_cents, p.cogs_cents, p.invoice_count, p.cost_line_count
FROM per_tenant AS p
LEFT JOIN tenants AS t ON t.id = p.tenant_id
