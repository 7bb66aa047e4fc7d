-- Subscriptions the accrual leaves out because a timestamp cannot be read by a client: infinity, -infinity, a
-- BC date or a year past 9999 in started_at or ended_at (PostgreSQL accepts them all).
-- Grain: one row per such subscription (its id only: the timestamps themselves are not read), at most 20.
-- Binds: none.
SELECT CAST(s.id AS TEXT) AS subscription_id, s.tenant_id
FROM subscriptions AS s
WHERE NOT (s.started_at >= TIMESTAMPTZ '0001-01-01 00:00:00+00' AND s.started_at < TIMESTAMPTZ '9999-12-31 00:00:00+00')
   OR (s.ended_at IS NOT NULL
       AND NOT (s.ended_at >= TIMESTAMPTZ '0001-01-01 00:00:00+00' AND s.ended_at < TIMESTAMPTZ '9999-12-31 00:00:00+00'))
ORDER BY 1
LIMIT 20
