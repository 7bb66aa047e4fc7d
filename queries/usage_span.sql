-- The earliest and latest usage reading (the months between them are offered).
-- Grain: one row. Binds: none.
SELECT MIN(recorded_at) AS earliest_usage_at, MAX(recorded_at) AS latest_usage_at FROM usage_records
