-- Metered usage in a window, summed per subscription and catalog item (SQLite).
-- Grain: one row per (subscription_id, catalog_item_id).
-- quantity_micros: Σ quantity in millionths of a unit, each reading rounded to an
-- integer first, so the sum is exact (quantities have 6 decimals).
-- Timestamps are ISO text as written ('T' or ' ', any offset or 'Z', 0-6 decimals): each becomes UTC text to the
-- microsecond, 'YYYY-MM-DD HH:MM:SS.ffffff'. strftime() alone keeps milliseconds, rounded, and a reading a
-- fraction of a millisecond from an edge would fall on the wrong side of it; so the offset is applied to the
-- instant without its fraction, and the fraction's digits (the text between the seconds and the zone) follow.
-- Binds: window_start, window_end (UTC text 'YYYY-MM-DD HH:MM:SS.ffffff', half-open; to the millisecond also
-- compares exactly).
WITH readings AS (
    SELECT u.subscription_id, u.catalog_item_id, u.quantity, u.recorded_at,
           CASE WHEN substr(u.recorded_at, 20, 1) = '.' THEN ltrim(substr(u.recorded_at, 21), '0123456789') END AS zone
    FROM usage_records AS u
), instants AS (
    SELECT r.subscription_id, r.catalog_item_id, r.quantity,
           CASE WHEN r.zone IS NULL THEN strftime('%Y-%m-%d %H:%M:%S', r.recorded_at) || '.000000'
                ELSE strftime('%Y-%m-%d %H:%M:%S', substr(r.recorded_at, 1, 19) || r.zone) || '.'
                     || substr(substr(r.recorded_at, 21, length(r.recorded_at) - 20 - length(r.zone)) || '000000', 1, 6)
           END AS recorded_at
    FROM readings AS r
)
SELECT i.subscription_id, i.catalog_item_id, SUM(CAST(ROUND(i.quantity * 1000000) AS INTEGER)) AS quantity_micros
FROM instants AS i
WHERE i.recorded_at >= :window_start AND i.recorded_at < :window_end
GROUP BY i.subscription_id, i.catalog_item_id
