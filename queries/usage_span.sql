-- The earliest and latest usage reading within the months a dashboard offers (the months between them are offered).
-- Grain: one row. Binds: first_at, end_at (instants, half-open).
SELECT MIN(recorded_at) AS earliest_usage_at, MAX(recorded_at) AS latest_usage_at
FROM usage_records
WHERE recorded_at >= :first_at AND recorded_at < :end_at
