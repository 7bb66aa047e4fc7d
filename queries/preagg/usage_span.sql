-- The first and last month holding usage readings within the months offered, from agg_usage_month (PostgreSQL).
-- Grain: one row. Binds: first_day, end_day (dates, half-open); first_at, end_at are not needed here.
SELECT MIN(period) AS earliest_usage_at, MAX(period) AS latest_usage_at
FROM agg_usage_month
WHERE period >= :first_day AND period < :end_day
