-- Benchmark, naive way: the raw usage readings of a window, not summed (pandas sums them).
-- Grain: one row per usage reading.
-- Binds: window_start, window_end (instants, half-open).
SELECT CAST(u.subscription_id AS TEXT) AS subscription_id, CAST(u.catalog_item_id AS TEXT) AS catalog_item_id,
       CAST(u.quantity AS TEXT) AS quantity
FROM usage_records AS u
WHERE u.recorded_at >= :window_start AND u.recorded_at < :window_end
