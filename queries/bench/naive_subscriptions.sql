-- Benchmark, naive way: every subscription (pandas picks the active ones).
-- Grain: one row per subscription.
-- Binds: none.
SELECT CAST(s.id AS TEXT) AS subscription_id, s.tenant_id, CAST(s.deployment_id AS TEXT) AS deployment_id,
       s.started_at, s.ended_at, s.currency
FROM subscriptions AS s
