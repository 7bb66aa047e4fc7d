-- Benchmark, naive way: the raw usage readings of a window, not summed (SQLite).
-- Grain: one row per usage reading.
-- Timestamps are ISO text: compared after strftime() normalises them to UTC.
-- Binds: window_start, window_end ('YYYY-MM-DD HH:MM:SS.SSS' UTC, half-open).
SELECT u.subscription_id, u.catalog_item_id, CAST(u.quantity AS TEXT) AS quantity
FROM usage_records AS u
WHERE strftime('%Y-%m-%d %H:%M:%f', u.recorded_at) >= :window_start
  AND strftime('%Y-%m-%d %H:%M:%f', u.recorded_at) < :window_end
