-- Scale demo: the catalog, a handful of items covering flat, per_unit and tiered pricing (USD).
-- Grain: one row per catalog item (8 rows). Ids: md5 of the sku.
-- Binds: none.
INSERT INTO catalog_items (id, sku, name, billing_kind, unit, pricing_model, unit_price_micros,
                           included_units, tiers, currency, active)
SELECT md5('arcadia-scale/catalog/' || v.sku)::uuid, v.sku, v.name, v.billing_kind, v.unit, v.pricing_model,
       v.unit_price_micros, v.included_units, CAST(v.tiers AS json), 'USD', v.active
FROM (VALUES
    ('STUDIO-PLATFORM', 'Studio platform', 'platform', 'month', 'flat', 29000000, 0, NULL, true),
    ('NOTEBOOK-PLATFORM', 'Notebook platform', 'platform', 'month', 'flat', 19000000, 0, NULL, true),
    ('INFERENCE-PLATFORM', 'Inference platform', 'platform', 'month', 'flat', 49000000, 0, NULL, true),
    ('SEATS', 'Team seats', 'platform', 'seat-month', 'flat', 8000000, 0, NULL, true),
    ('COMPUTE-VCPU-HOUR', 'Compute', 'compute', 'vCPU-hour', 'per_unit', 40000, 0, NULL, true),
    ('STORAGE-GB-MONTH', 'Storage', 'storage', 'GB-month', 'tiered', 100000, 5,
     '[{"up_to": 50, "unit_price_micros": 100000}, {"up_to": 500, "unit_price_micros": 80000}, {"up_to": null, "unit_price_micros": 60000}]',
     true),
    ('EGRESS-GB', 'Network egress', 'network', 'GB', 'per_unit', 20000, 100, NULL, true),
    ('SUPPORT-PRIORITY', 'Priority support', 'support', 'month', 'flat', 99000000, 0, NULL, true)
) AS v (sku, name, billing_kind, unit, pricing_model, unit_price_micros, included_units, tiers, active)
