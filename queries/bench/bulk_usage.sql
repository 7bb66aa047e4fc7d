-- Benchmark bulk load (PostgreSQL only): `rows` hourly usage readings in one statement, the timed load.
-- Grain: inserts one usage record per g in [0, rows): subscription g mod subscriptions, item alternating,
-- hour (g / (2 subscriptions)) mod 720 of the month, quantity 0.001–0.997, an idempotency key per row.
-- Binds: rows, subscriptions (counts), month_start (instant).
INSERT INTO usage_records (id, subscription_id, catalog_item_id, quantity, recorded_at, idempotency_key)
SELECT gen_random_uuid(),
       md5('bench-sub-' || (g % CAST(:subscriptions AS integer)))::uuid,
       md5('bench-item-' || ((g / CAST(:subscriptions AS integer)) % 2))::uuid,
       CAST((g % 997) + 1 AS numeric) / 1000,
       CAST(:month_start AS timestamptz) + ((g / (2 * CAST(:subscriptions AS integer))) % 720) * interval '1 hour',
       'bench-' || g
FROM generate_series(0, CAST(:rows AS bigint) - 1) AS g
