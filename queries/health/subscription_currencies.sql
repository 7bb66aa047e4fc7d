-- Currencies of the subscriptions active at any time in a window (the live accrual's subscriptions).
-- Grain: one row per currency with row_count.
-- Binds: window_start, window_end (instants, half-open).
SELECT s.currency, COUNT(*) AS row_count
FROM subscriptions AS s
WHERE s.started_at < :window_end AND (s.ended_at IS NULL OR s.ended_at > :window_start)
GROUP BY s.currency
ORDER BY s.currency
