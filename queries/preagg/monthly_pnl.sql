-- Revenue and COGS per month over a range of months, from the pre-aggregates (PostgreSQL).
-- Grain: one row per (period, currency); same result as ../monthly_pnl.sql.
-- Binds: period_start, period_end (dates, half-open; both first days of months).
WITH revenue AS (
    SELECT a.period, a.currency, SUM(a.live_subtotal_cents) AS revenue_cents, 0 AS cogs_cents,
           SUM(a.live_count) AS invoice_count, 0 AS cost_line_count
    FROM agg_invoice AS a
    WHERE a.period >= :period_start AND a.period < :period_end AND a.live_count > 0
    GROUP BY a.period, a.currency
),
cogs AS (
    SELECT a.period, a.currency, 0 AS revenue_cents, SUM(a.amount_cents) AS cogs_cents,
           0 AS invoice_count, SUM(a.line_count) AS cost_line_count
    FROM agg_cost_kind AS a
    WHERE a.period >= :period_start AND a.period < :period_end
    GROUP BY a.period, a.currency
),
combined AS (
    SELECT * FROM revenue
    UNION ALL
    SELECT * FROM cogs
)
SELECT period, currency, CAST(SUM(revenue_cents) AS BIGINT) AS revenue_cents,
       CAST(SUM(cogs_cents) AS BIGINT) AS cogs_cents,
       SUM(invoice_count) AS invoice_count, SUM(cost_line_count) AS cost_line_count
FROM combined
GROUP BY period, currency
ORDER BY period
