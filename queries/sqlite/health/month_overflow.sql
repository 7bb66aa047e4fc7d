-- As queries/health/month_overflow.sql (SQLite: TOTAL() in floating point, which cannot overflow: a
-- threshold check, never a figure; ABS() would itself overflow on the smallest integer).
-- Grain: up to 5 example months, each carrying problem_count. Binds: period_start, period_end (dates).
WITH sums AS (
    SELECT c.period, 'cloud_cost_lines' AS source,
           TOTAL(CASE WHEN c.amount_cents < 0 THEN -1.0 * c.amount_cents ELSE c.amount_cents END) AS magnitude
    FROM cloud_cost_lines AS c
    WHERE c.period >= :period_start AND c.period < :period_end
    GROUP BY c.period
    UNION ALL
    SELECT i.period, 'tenant_invoices',
           TOTAL(CASE WHEN i.subtotal_cents < 0 THEN -1.0 * i.subtotal_cents ELSE i.subtotal_cents END)
    FROM tenant_invoices AS i
    WHERE i.period >= :period_start AND i.period < :period_end AND i.status <> 'void'
    GROUP BY i.period
),
huge AS (
    SELECT period, source, magnitude FROM sums WHERE magnitude >= 1e15
)
SELECT period, source, printf('%.0f', magnitude) AS magnitude, (SELECT COUNT(*) FROM huge) AS problem_count
FROM huge
ORDER BY period DESC, source
LIMIT 5
