-- Metered usage in a window, summed per subscription and catalog item.
-- Grain: one row per (subscription_id, catalog_item_id).
-- quantity_micros: Σ quantity in millionths of a unit (exact: quantities have 6 decimals), an integer
-- (PostgreSQL's SUM of bigint is numeric).
-- Binds: window_start, window_end (instants, half-open).
SELECT CAST(u.subscription_id AS TEXT) AS subscription_id,
       CAST(u.catalog_item_id AS TEXT) AS catalog_item_id,
       CAST(SUM(CAST(ROUND(u.quantity * 1000000) AS BIGINT)) AS BIGINT) AS quantity_micros
FROM usage_records AS u
WHERE u.recorded_at >= :window_start AND u.recorded_at < :window_end
GROUP BY u.subscription_id, u.catalog_item_id
