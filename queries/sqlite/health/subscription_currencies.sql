-- Currencies of the subscriptions active at any time in a window (SQLite: ISO text normalised to UTC).
-- Grain: one row per currency with row_count.
-- Binds: window_start, window_end ('YYYY-MM-DD HH:MM:SS.SSS' UTC, half-open).
SELECT s.currency, COUNT(*) AS row_count
FROM subscriptions AS s
WHERE strftime('%Y-%m-%d %H:%M:%f', s.started_at) < :window_end
  AND (s.ended_at IS NULL OR strftime('%Y-%m-%d %H:%M:%f', s.ended_at) > :window_start)
GROUP BY s.currency
ORDER BY s.currency
