-- Benchmark bulk load (PostgreSQL only): the two metered catalog items the loaded usage is for.
-- Grain: inserts two catalog items with ids md5('bench-item-<i>')::uuid, i = 0, 1.
-- Binds: none.
INSERT INTO catalog_items (id, sku, name, billing_kind, unit, pricing_model, unit_price_micros, currency)
VALUES (md5('bench-item-0')::uuid, 'bench-cpu-hours', 'Bench CPU hours', 'compute', 'hour', 'per_unit', 8930, 'USD'),
       (md5('bench-item-1')::uuid, 'bench-gb-hours', 'Bench GB hours', 'storage', 'GB-hour', 'per_unit', 137, 'USD')
