-- As queries/latest_reading.sql (SQLite: ISO text normalised to UTC before it is compared).
-- Grain: one row (NULL when the window has no reading).
-- Binds: window_start, window_end ('YYYY-MM-DD HH:MM:SS.SSS' UTC, half-open).
SELECT MAX(strftime('%Y-%m-%d %H:%M:%f', u.recorded_at)) || '+00:00' AS latest
FROM usage_records AS u
WHERE strftime('%Y-%m-%d %H:%M:%f', u.recorded_at) >= :window_start
  AND strftime('%Y-%m-%d %H:%M:%f', u.recorded_at) < :window_end
