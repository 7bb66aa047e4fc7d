-- Metered usage in a window, summed per subscription and catalog item (PostgreSQL, pre-aggregates).
-- Same result as ../usage_totals.sql: the whole UTC days inside the window come from agg_usage_day,
-- the window's partial first and last day from the raw readings (index on recorded_at).
-- Grain: one row per (subscription_id, catalog_item_id); quantity_micros exact (quantities have 6 decimals).
-- Binds: window_start, window_end (instants, half-open); first_day, end_day (dates: the whole days
-- [first_day, end_day) inside the window); head_end, tail_start (instants: raw readings in
-- [window_start, head_end) and [tail_start, window_end)).
WITH parts AS (
    SELECT a.subscription_id, a.catalog_item_id, a.quantity
    FROM agg_usage_day AS a
    WHERE a.day >= :first_day AND a.day < :end_day
    UNION ALL
    SELECT u.subscription_id, u.catalog_item_id, u.quantity
    FROM usage_records AS u
    WHERE u.recorded_at >= :window_start AND u.recorded_at < :head_end
    UNION ALL
    SELECT u.subscription_id, u.catalog_item_id, u.quantity
    FROM usage_records AS u
    WHERE u.recorded_at >= :tail_start AND u.recorded_at < :window_end
)
SELECT CAST(subscription_id AS TEXT) AS subscription_id,
       CAST(catalog_item_id AS TEXT) AS catalog_item_id,
       CAST(ROUND(SUM(quantity) * 1000000) AS BIGINT) AS quantity_micros
FROM parts
GROUP BY subscription_id, catalog_item_id
