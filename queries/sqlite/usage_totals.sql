-- Metered usage in a window, summed per subscription and catalog item (SQLite).
-- Grain: one row per (subscription_id, catalog_item_id).
-- quantity_micros: Σ quantity in millionths of a unit, each reading rounded to an
-- integer first, so the sum is exact (quantities have 6 decimals).
-- Binds: window_start, window_end ('YYYY-MM-DD HH:MM:SS.SSS' UTC, half-open).
SELECT u.subscription_id, u.catalog_item_id,
       SUM(CAST(ROUND(u.quantity * 1000000) AS INTEGER)) AS quantity_micros
FROM usage_records AS u
WHERE strftime('%Y-%m-%d %H:%M:%f', u.recorded_at) >= :window_start
  AND strftime('%Y-%m-%d %H:%M:%f', u.recorded_at) < :window_end
GROUP BY u.subscription_id, u.catalog_item_id
