-- Subscriptions active at any time in a window, each with its items in one text column.
-- started_at, ended_at: UTC wall-clock time (timestamp without time zone), which the client reads as it is;
-- a timestamptz comes in the session's zone and costs a conversion per row.
-- Grain: one row per subscription. `items`: 'catalog_item_id override quantity' per item ('-' for no
-- override), comma-separated in catalog sku order; NULL for a subscription without items. Thousands of
-- subscriptions share a few such lists, so billing.py parses each distinct list once. Pricing is in
-- catalog_items.sql. Column order is read by position (billing.py).
-- Active: started_at < window_end and (ended_at is null or ended_at > window_start).
-- Binds: window_start, window_end (instants, half-open).
SELECT CAST(s.id AS TEXT) AS subscription_id, s.tenant_id, CAST(s.deployment_id AS TEXT) AS deployment_id,
       s.started_at AT TIME ZONE 'UTC' AS started_at, s.ended_at AT TIME ZONE 'UTC' AS ended_at, s.currency,
       string_agg(CAST(si.catalog_item_id AS TEXT) || ' ' || COALESCE(CAST(si.unit_price_micros AS TEXT), '-')
                  || ' ' || CAST(si.quantity AS TEXT), ',' ORDER BY c.sku, si.id) AS items
FROM subscriptions AS s
LEFT JOIN subscription_items AS si ON si.subscription_id = s.id
LEFT JOIN catalog_items AS c ON c.id = si.catalog_item_id
WHERE s.started_at < :window_end
  AND (s.ended_at IS NULL OR s.ended_at > :window_start)
  -- Instants a client can read (PostgreSQL also holds infinity, BC dates and years past 9999): the others are
  -- left out, and named (queries/unreadable_subscriptions.sql).
  AND s.started_at >= TIMESTAMPTZ '0001-01-01 00:00:00+00' AND s.started_at < TIMESTAMPTZ '9999-12-31 00:00:00+00'
  AND (s.ended_at IS NULL
       OR (s.ended_at >= TIMESTAMPTZ '0001-01-01 00:00:00+00' AND s.ended_at < TIMESTAMPTZ '9999-12-31 00:00:00+00'))
GROUP BY s.id
