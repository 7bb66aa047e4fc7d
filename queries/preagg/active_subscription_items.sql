-- Subscriptions active at any time in a window, each with its item list (PostgreSQL, pre-aggregates).
-- Same result as ../active_subscription_items.sql: the lists are kept in agg_subscription_items by the
-- triggers on subscription_items and catalog_items, so no list is built at read time.
-- started_at, ended_at: UTC wall-clock time (timestamp without time zone), which the client reads as it is;
-- a timestamptz comes in the session's zone and costs a conversion per row.
-- Grain: one row per subscription. Column order is read by position (billing.py).
-- Binds: window_start, window_end (instants, half-open).
SELECT CAST(s.id AS TEXT) AS subscription_id, s.tenant_id, CAST(s.deployment_id AS TEXT) AS deployment_id,
       s.started_at AT TIME ZONE 'UTC' AS started_at, s.ended_at AT TIME ZONE 'UTC' AS ended_at, s.currency, a.items
FROM subscriptions AS s
LEFT JOIN agg_subscription_items AS a ON a.subscription_id = s.id
WHERE s.started_at < :window_end
  AND (s.ended_at IS NULL OR s.ended_at > :window_start)
  -- Instants a client can read (PostgreSQL also holds infinity, BC dates and years past 9999): the others are
  -- left out, and named (queries/unreadable_subscriptions.sql).
  AND s.started_at >= TIMESTAMPTZ '0001-01-01 00:00:00+00' AND s.started_at < TIMESTAMPTZ '9999-12-31 00:00:00+00'
  AND (s.ended_at IS NULL
       OR (s.ended_at >= TIMESTAMPTZ '0001-01-01 00:00:00+00' AND s.ended_at < TIMESTAMPTZ '9999-12-31 00:00:00+00'))
