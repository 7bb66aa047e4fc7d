-- Usage of a catalog item its subscription has no subscription_items row for (the quote engine skips it).
-- Grain: up to 5 example (subscription, catalog item) pairs, most readings first, each carrying
-- problem_count (all such readings) and total_quantity_micros (their Σ quantity in millionths).
-- quantity_micros is exact (numeric; quantities have 6 decimals).
-- Binds: window_start, window_end (instants, half-open): a range on recorded_at (ix_usage_records_recorded).
WITH stray AS (
    SELECT u.subscription_id, u.catalog_item_id, COUNT(*) AS readings,
           SUM(u.quantity * 1000000) AS quantity_micros
    FROM usage_records AS u
    WHERE u.recorded_at >= :window_start AND u.recorded_at < :window_end
      AND NOT EXISTS (SELECT 1 FROM subscription_items AS si
                      WHERE si.subscription_id = u.subscription_id AND si.catalog_item_id = u.catalog_item_id)
    GROUP BY u.subscription_id, u.catalog_item_id
)
SELECT CAST(s.subscription_id AS TEXT) AS subscription_id, CAST(s.catalog_item_id AS TEXT) AS catalog_item_id,
       c.sku, s.readings, s.quantity_micros,
       SUM(s.readings) OVER () AS problem_count, SUM(s.quantity_micros) OVER () AS total_quantity_micros
FROM stray AS s
LEFT JOIN catalog_items AS c ON c.id = s.catalog_item_id
ORDER BY s.readings DESC, subscription_id, catalog_item_id
LIMIT 5
