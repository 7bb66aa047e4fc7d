-- The catalog's pricing as stored (a handful of rows): validated in Python (arcadia.health).
-- Grain: one row per catalog item. tiers is the JSON text as written (NULL when none).
-- Binds: none.
SELECT CAST(c.id AS TEXT) AS catalog_item_id, c.sku, c.pricing_model, c.unit_price_micros,
       CAST(c.tiers AS TEXT) AS tiers
FROM catalog_items AS c
ORDER BY c.sku, c.id
