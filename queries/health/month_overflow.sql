-- Months whose cost lines or invoice subtotals add up (in absolute value) to 10^15 cents or more: their P&L,
-- by kind and trend would leave 64-bit sums. Each amount may be under the per-value check (amount_overflow).
-- Grain: up to 5 example months (newest first), each carrying problem_count (all such months and sources).
-- Binds: period_start, period_end (dates, half-open).
WITH sums AS (
    SELECT c.period, 'cloud_cost_lines' AS source, SUM(ABS(CAST(c.amount_cents AS numeric))) AS magnitude
    FROM cloud_cost_lines AS c
    WHERE c.period >= :period_start AND c.period < :period_end
    GROUP BY c.period
    UNION ALL
    SELECT i.period, 'tenant_invoices', SUM(ABS(CAST(i.subtotal_cents AS numeric)))
    FROM tenant_invoices AS i
    WHERE i.period >= :period_start AND i.period < :period_end AND i.status <> 'void'
    GROUP BY i.period
),
huge AS (
    SELECT period, source, magnitude FROM sums WHERE magnitude >= 1000000000000000
)
SELECT CAST(period AS TEXT) AS period, source, CAST(magnitude AS TEXT) AS magnitude,
       (SELECT COUNT(*) FROM huge) AS problem_count
FROM huge
ORDER BY period DESC, source
LIMIT 5
