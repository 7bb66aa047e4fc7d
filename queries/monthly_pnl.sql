-- Revenue and COGS per month over a range of months (the P&L trend).
-- Grain: one row per (period, currency). Same definitions as tenant_pnl.sql:
-- revenue = non-void invoice subtotals, COGS = every cost line.
-- Binds: period_start, period_end (dates, half-open; both first days of months).
WITH revenue AS (
    SELECT i.period, i.currency, SUM(i.subtotal_cents) AS revenue_cents, 0 AS cogs_cents,
           COUNT(*) AS invoice_count, 0 AS cost_line_count
    FROM tenant_invoices AS i
    WHERE i.period >= :period_start AND i.period < :period_end AND i.status <> 'void'
    GROUP BY i.period, i.currency
),
cogs AS (
    SELECT c.period, c.currency, 0 AS revenue_cents, SUM(c.amount_cents) AS cogs_cents,
           0 AS invoice_count, COUNT(*) AS cost_line_count
    FROM cloud_cost_lines AS c
    WHERE c.period >= :period_start AND c.period < :period_end
    GROUP BY c.period, c.currency
),
combined AS (
    SELECT * FROM revenue
    UNION ALL
    SELECT * FROM cogs
)
SELECT period, currency, SUM(revenue_cents) AS revenue_cents, SUM(cogs_cents) AS cogs_cents,
       SUM(invoice_count) AS invoice_count, SUM(cost_line_count) AS cost_line_count
FROM combined
GROUP BY period, currency
ORDER BY period
