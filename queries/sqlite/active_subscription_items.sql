-- Subscriptions active at any time in a window, with their items (SQLite; pricing in catalog_items.sql).
-- Grain: one row per subscription item, items of a subscription in catalog sku order; a subscription
-- without items gives one row of NULL items. Column order is read by position (billing.py).
-- Timestamps are ISO text: compared after strftime() normalises them to UTC.
-- Binds: window_start, window_end ('YYYY-MM-DD HH:MM:SS.SSS' UTC, half-open).
SELECT s.id AS subscription_id, s.tenant_id, s.deployment_id,
       s.started_at, s.ended_at, s.currency,
       si.catalog_item_id, si.unit_price_micros AS price_override_micros,
       CAST(si.quantity AS TEXT) AS quantity
FROM subscriptions AS s
LEFT JOIN subscription_items AS si ON si.subscription_id = s.id
LEFT JOIN catalog_items AS c ON c.id = si.catalog_item_id
WHERE strftime('%Y-%m-%d %H:%M:%f', s.started_at) < :window_end
  AND (s.ended_at IS NULL OR strftime('%Y-%m-%d %H:%M:%f', s.ended_at) > :window_start)
ORDER BY s.tenant_id, s.id, c.sku
