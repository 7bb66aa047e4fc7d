-- Scale demo: subscription items. Every subscription has compute (per_unit) and storage (tiered);
-- one with a deployment has its product's platform fee (flat); 95 % have egress (per_unit, 100 GB
-- included), 80 % team seats (flat, quantity 1-20), a third priority support (flat). Overrides: compute
-- at 9,500 micros for s % 5 = 2, the platform at $250 for s % 13 = 0.
-- Grain: one row per (subscription, catalog item).
-- Binds: none.
INSERT INTO subscription_items (id, subscription_id, catalog_item_id, quantity, unit_price_micros)
SELECT md5('arcadia-scale/subscription-item/' || s.s || '/' || c.sku)::uuid, s.id, c.id,
       CASE c.sku WHEN 'SEATS' THEN 1 + s.seed % 20 ELSE 1 END,
       CASE WHEN c.sku = 'COMPUTE-VCPU-HOUR' AND s.s % 5 = 2 THEN 9500
            WHEN c.sku LIKE '%-PLATFORM' AND s.s % 13 = 0 THEN 25000000 END
FROM scale_subscriptions AS s
JOIN catalog_items AS c
  ON c.sku IN ('COMPUTE-VCPU-HOUR', 'STORAGE-GB-MONTH')
  OR (c.sku = (ARRAY['STUDIO-PLATFORM', 'NOTEBOOK-PLATFORM', 'INFERENCE-PLATFORM'])[s.product + 1])
  OR (c.sku = 'EGRESS-GB' AND s.s % 20 <> 19)
  OR (c.sku = 'SEATS' AND s.s % 5 <> 0)
  OR (c.sku = 'SUPPORT-PRIORITY' AND s.s % 3 = 0)
