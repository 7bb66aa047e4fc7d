-- The newest usage reading in a window: the instant the month's metering has reached (the live accrual's
-- default as-of, so that a lagging meter does not drag the projection down).
-- Grain: one row (NULL when the window has no reading). Binds: window_start, window_end (instants, half-open).
SELECT MAX(u.recorded_at) AS latest
FROM usage_records AS u
WHERE u.recorded_at >= :window_start AND u.recorded_at < :window_end
