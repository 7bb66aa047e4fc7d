-- COGS of one period by provider kind (every cost line, matched or not).
-- Grain: one row per (kind, currency).
-- Binds: period_start, period_end (dates, half-open).
SELECT c.kind, c.currency, SUM(c.amount_cents) AS amount_cents
FROM cloud_cost_lines AS c
WHERE c.period >= :period_start AND c.period < :period_end
GROUP BY c.kind, c.currency
