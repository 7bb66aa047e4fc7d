-- Subscriptions active at any time in a window, with their items (pricing is in catalog_items.sql).
-- Grain: one row per subscription item, items of a subscription in catalog sku order; a subscription
-- without items gives one row of NULL items. Column order is read by position (billing.py).
-- Active: started_at < window_end and (ended_at is null or ended_at > window_start).
-- Binds: window_start, window_end (instants, half-open).
SELECT CAST(s.id AS TEXT) AS subscription_id, s.tenant_id, CAST(s.deployment_id AS TEXT) AS deployment_id,
       s.started_at, s.ended_at, s.currency,
       CAST(si.catalog_item_id AS TEXT) AS catalog_item_id, si.unit_price_micros AS price_override_micros,
       CAST(si.quantity AS TEXT) AS quantity
FROM subscriptions AS s
LEFT JOIN subscription_items AS si ON si.subscription_id = s.id
LEFT JOIN catalog_items AS c ON c.id = si.catalog_item_id
WHERE s.started_at < :window_end
  AND (s.ended_at IS NULL OR s.ended_at > :window_start)
ORDER BY s.tenant_id, s.id, c.sku
