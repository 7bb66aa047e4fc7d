-- The catalog: every item's pricing (a handful of rows; subscription items point here).
-- Grain: one row per catalog item. Column order is read by position (billing.py).
-- Binds: none.
SELECT CAST(c.id AS TEXT) AS catalog_item_id, c.sku, c.name, c.billing_kind, c.pricing_model,
       c.unit_price_micros, CAST(c.included_units AS TEXT) AS included_units, CAST(c.tiers AS TEXT) AS tiers,
       c.currency
FROM catalog_items AS c
