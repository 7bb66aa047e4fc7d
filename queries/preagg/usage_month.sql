-- A month's metered usage per subscription and catalog item, from agg_usage_month (PostgreSQL).
-- Grain: one row per (subscription_id, catalog_item_id) (the aggregate's own grain: no grouping).
-- quantity_micros: Σ quantity in millionths of a unit (exact: quantities have 6 decimals).
-- Binds: month (date, first day).
SELECT CAST(m.subscription_id AS TEXT) AS subscription_id, CAST(m.catalog_item_id AS TEXT) AS catalog_item_id,
       CAST(ROUND(m.quantity * 1000000) AS BIGINT) AS quantity_micros
FROM agg_usage_month AS m
WHERE m.period = :month
