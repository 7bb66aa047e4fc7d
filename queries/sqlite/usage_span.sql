-- The earliest and latest usage reading (SQLite: ISO text normalised to UTC before MIN/MAX).
-- Grain: one row. Binds: none.
SELECT MIN(strftime('%Y-%m-%d %H:%M:%f', recorded_at)) AS earliest_usage_at,
       MAX(strftime('%Y-%m-%d %H:%M:%f', recorded_at)) AS latest_usage_at
FROM usage_records
