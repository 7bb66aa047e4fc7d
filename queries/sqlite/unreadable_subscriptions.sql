-- As queries/unreadable_subscriptions.sql (SQLite): a started_at or ended_at text that is no ISO-8601 instant of
-- years 0-9999 (strftime() gives NULL); the accrual's own query leaves these out the same way.
-- Grain: one row per such subscription, at most 20. Binds: none.
SELECT s.id AS subscription_id, s.tenant_id
FROM subscriptions AS s
WHERE strftime('%Y-%m-%d %H:%M:%f', s.started_at) IS NULL
   OR (s.ended_at IS NOT NULL AND strftime('%Y-%m-%d %H:%M:%f', s.ended_at) IS NULL)
ORDER BY 1
LIMIT 20
