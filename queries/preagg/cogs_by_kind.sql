-- COGS of one period by provider kind, from agg_cost_kind (PostgreSQL; same as ../cogs_by_kind.sql).
-- Grain: one row per (kind, currency).
-- Binds: period_start, period_end (dates, half-open).
SELECT a.kind, a.currency, CAST(SUM(a.amount_cents) AS BIGINT) AS amount_cents
FROM agg_cost_kind AS a
WHERE a.period >= :period_start AND a.period < :period_end
GROUP BY a.kind, a.currency
