-- Benchmark bulk load (PostgreSQL only): the subscriptions the loaded usage belongs to.
-- Grain: inserts one subscription per n in [0, subscriptions), id md5('bench-sub-<n>')::uuid, 100 tenants.
-- Binds: subscriptions (count), started_at (instant).
INSERT INTO subscriptions (id, tenant_id, status, started_at, currency)
SELECT md5('bench-sub-' || n)::uuid, 'bench-tenant-' || (n % 100), 'active', :started_at, 'USD'
FROM generate_series(0, CAST(:subscriptions AS integer) - 1) AS n
