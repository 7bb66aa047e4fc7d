-- Scale demo: the `tenants` rows (every key but the ghosts).
-- Grain: one row per tenant. inserted_at spreads over the two years before the window.
-- Binds: history_start (instant).
INSERT INTO tenants (id, name, kind, inserted_at)
SELECT id, name, kind,
       CAST(:history_start AS timestamptz) + make_interval(days => k % 365, secs => k * 37 % 86400)
FROM scale_tenant_keys
WHERE NOT ghost
