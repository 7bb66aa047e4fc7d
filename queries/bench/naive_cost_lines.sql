-- Benchmark, naive way: the raw cost lines of a period, no join, no grouping (pandas does both).
-- Grain: one row per cost line.
-- Binds: period_start, period_end (dates, half-open).
SELECT CAST(c.resource_id AS TEXT) AS resource_id, c.kind, c.amount_cents, c.currency
FROM cloud_cost_lines AS c
WHERE c.period >= :period_start AND c.period < :period_end
