-- Benchmark, naive way: every subscription item.
-- Grain: one row per subscription item.
-- Binds: none.
SELECT CAST(si.subscription_id AS TEXT) AS subscription_id, CAST(si.catalog_item_id AS TEXT) AS catalog_item_id,
       CAST(si.quantity AS TEXT) AS quantity, si.unit_price_micros AS price_override_micros
FROM subscription_items AS si
