-- Usage of a catalog item its subscription has no subscription_items row for (SQLite).
-- Grain: up to 5 example (subscription, catalog item) pairs, most readings first, each carrying
-- problem_count (all such readings) and total_quantity_micros (their Σ quantity in millionths).
-- quantity_micros: each reading rounded to an integer of millionths first, so the sum is exact.
-- Binds: window_start, window_end ('YYYY-MM-DD HH:MM:SS.SSS' UTC, half-open).
WITH stray AS (
    SELECT u.subscription_id, u.catalog_item_id, COUNT(*) AS readings,
           SUM(CAST(ROUND(u.quantity * 1000000) AS INTEGER)) AS quantity_micros
    FROM usage_records AS u
    WHERE strftime('%Y-%m-%d %H:%M:%f', u.recorded_at) >= :window_start
      AND strftime('%Y-%m-%d %H:%M:%f', u.recorded_at) < :window_end
      AND NOT EXISTS (SELECT 1 FROM subscription_items AS si
                      WHERE si.subscription_id = u.subscription_id AND si.catalog_item_id = u.catalog_item_id)
    GROUP BY u.subscription_id, u.catalog_item_id
)
SELECT s.subscription_id, s.catalog_item_id, c.sku, s.readings, s.quantity_micros,
       SUM(s.readings) OVER () AS problem_count, SUM(s.quantity_micros) OVER () AS total_quantity_micros
FROM stray AS s
LEFT JOIN catalog_items AS c ON c.id = s.catalog_item_id
ORDER BY s.readings DESC, s.subscription_id, s.catalog_item_id
LIMIT 5
