-- Benchmark bulk load (PostgreSQL only): both catalog items on every bench subscription.
-- Grain: inserts one subscription item per (subscription n, catalog item i).
-- Binds: subscriptions (count).
INSERT INTO subscription_items (id, subscription_id, catalog_item_id)
SELECT md5('bench-si-' || n || '-' || i)::uuid, md5('bench-sub-' || n)::uuid, md5('bench-item-' || i)::uuid
FROM generate_series(0, CAST(:subscriptions AS integer) - 1) AS n
CROSS JOIN generate_series(0, 1) AS i
