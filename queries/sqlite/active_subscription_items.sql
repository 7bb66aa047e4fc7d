-- Subscriptions active at any time in a window, with their items and catalog pricing (SQLite).
-- Grain: one row per subscription item; a subscription without items gives one row of NULL items.
-- Timestamps are ISO text: compared after strftime() normalises them to UTC.
-- Binds: window_start, window_end ('YYYY-MM-DD HH:MM:SS.SSS' UTC, half-open).
SELECT s.id AS subscription_id, s.tenant_id, s.deployment_id,
       s.started_at, s.ended_at, s.currency,
       c.id AS catalog_item_id, c.sku, c.name, c.billing_kind, c.pricing_model,
       c.unit_price_micros AS catalog_price_micros, si.unit_price_micros AS price_override_micros,
       CAST(c.included_units AS TEXT) AS included_units, CAST(c.tiers AS TEXT) AS tiers,
       c.currency AS catalog_currency, CAST(si.quantity AS TEXT) AS quantity
FROM subscriptions AS s
LEFT JOIN subscription_items AS si ON si.subscription_id = s.id
LEFT JOIN catalog_items AS c ON c.id = si.catalog_item_id
WHERE strftime('%Y-%m-%d %H:%M:%f', s.started_at) < :window_end
  AND (s.ended_at IS NULL OR strftime('%Y-%m-%d %H:%M:%f', s.ended_at) > :window_start)
ORDER BY s.tenant_id, s.id, c.sku
