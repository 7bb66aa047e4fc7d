-- The first and last month holding usage readings, from agg_usage_month (PostgreSQL).
-- Grain: one row. Binds: none.
SELECT MIN(period) AS earliest_usage_at, MAX(period) AS latest_usage_at FROM agg_usage_month
