-- Scale demo: the `subscriptions` rows from the scratch table.
-- Grain: one row per subscription (USD).
-- Binds: none.
INSERT INTO subscriptions (id, tenant_id, deployment_id, status, started_at, ended_at, currency)
SELECT id, tenant_id, deployment_id, status, started_at, ended_at, 'USD'
FROM scale_subscriptions
