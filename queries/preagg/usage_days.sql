-- Metered usage of whole UTC days, summed per subscription and catalog item, from agg_usage_day (PostgreSQL).
-- Grain: one row per (subscription_id, catalog_item_id). quantity_micros as in usage_month.sql.
-- Binds: first_day, end_day (dates, half-open).
SELECT CAST(a.subscription_id AS TEXT) AS subscription_id, CAST(a.catalog_item_id AS TEXT) AS catalog_item_id,
       CAST(ROUND(SUM(a.quantity) * 1000000) AS BIGINT) AS quantity_micros
FROM agg_usage_day AS a
WHERE a.day >= :first_day AND a.day < :end_day
GROUP BY a.subscription_id, a.catalog_item_id
