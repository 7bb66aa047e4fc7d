-- Revenue of one period by billing kind, from agg_revenue_kind (PostgreSQL; same as ../revenue_by_kind.sql).
-- Grain: one row per (billing_kind, currency).
-- Binds: period_start, period_end (dates, half-open).
SELECT a.billing_kind AS kind, a.currency, CAST(SUM(a.amount_cents) AS BIGINT) AS amount_cents
FROM agg_revenue_kind AS a
WHERE a.period >= :period_start AND a.period < :period_end
GROUP BY a.billing_kind, a.currency
