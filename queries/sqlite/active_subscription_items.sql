-- Subscriptions active at any time in a window, each with its items in one text column (SQLite).
-- Grain: one row per subscription. `items`: 'catalog_item_id override quantity' per item ('-' for no
-- override), comma-separated in catalog sku order (group_concat over an ordered subquery); NULL for a
-- subscription without items. Column order is read by position (billing.py).
-- Timestamps are ISO text: compared after strftime() normalises them to UTC.
-- Binds: window_start, window_end ('YYYY-MM-DD HH:MM:SS.SSS' UTC, half-open).
SELECT s.id AS subscription_id, s.tenant_id, s.deployment_id, s.started_at, s.ended_at, s.currency,
       (SELECT group_concat(item, ',')
        FROM (SELECT si.catalog_item_id || ' ' || COALESCE(CAST(si.unit_price_micros AS TEXT), '-')
                     || ' ' || CAST(si.quantity AS TEXT) AS item
              FROM subscription_items AS si
              LEFT JOIN catalog_items AS c ON c.id = si.catalog_item_id
              WHERE si.subscription_id = s.id
              ORDER BY c.sku, si.id)) AS items
FROM subscriptions AS s
WHERE strftime('%Y-%m-%d %H:%M:%f', s.started_at) < :window_end
  AND (s.ended_at IS NULL OR strftime('%Y-%m-%d %H:%M:%f', s.ended_at) > :window_start)
