-- The earliest and latest usage reading within the months offered (SQLite: ISO text normalised to UTC).
-- Grain: one row. Binds: first_at, end_at ('YYYY-MM-DD HH:MM:SS.SSS' UTC, half-open).
SELECT MIN(strftime('%Y-%m-%d %H:%M:%f', recorded_at)) AS earliest_usage_at,
       MAX(strftime('%Y-%m-%d %H:%M:%f', recorded_at)) AS latest_usage_at
FROM usage_records
WHERE strftime('%Y-%m-%d %H:%M:%f', recorded_at) >= :first_at
  AND strftime('%Y-%m-%d %H:%M:%f', recorded_at) < :end_at
