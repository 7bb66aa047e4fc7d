-- Metered usage in a window from the pre-aggregates (PostgreSQL), summed per subscription and catalog item:
-- the signed sum of the parts arcadia/usage_parts.py plans (whole months, UTC days, quarters of a day and hours
-- from agg_usage_month, agg_usage_day, agg_usage_quarter_day and agg_usage_hour; less than an hour of raw readings
-- at each edge, by the index on recorded_at).
-- A part's sign is how often it counts (-1: taken away, counting back from a coarser total).
-- Grain: one row per (subscription_id, catalog_item_id) with a reading in the window (the parts' signed reading
-- counts say which: the same rows as ../usage_totals.sql).
-- quantity_micros: Σ quantity in millionths of a unit (exact: quantities have 6 decimals). Each part's rows are
-- made bigint micros before they are summed: integer sums hash-aggregate in far less memory than numeric ones.
-- Binds, per level (month, day, quarter_day, hour, raw), three arrays of one length: <level>_signs (integer[]),
-- <level>_starts and <level>_ends (half-open; date[] for month and day, timestamptz[] for the others).
WITH parts AS (
    SELECT a.subscription_id, a.catalog_item_id, p.sign * CAST(a.quantity * 1000000 AS bigint) AS micros,
           p.sign * a.reading_count AS readings
    FROM unnest(CAST(:month_signs AS integer[]), CAST(:month_starts AS date[]), CAST(:month_ends AS date[]))
         AS p (sign, first_month, end_month)
    JOIN agg_usage_month AS a ON a.period >= p.first_month AND a.period < p.end_month
    UNION ALL
    SELECT a.subscription_id, a.catalog_item_id, p.sign * CAST(a.quantity * 1000000 AS bigint), p.sign * a.reading_count
    FROM unnest(CAST(:day_signs AS integer[]), CAST(:day_starts AS date[]), CAST(:day_ends AS date[]))
         AS p (sign, first_day, end_day)
    JOIN agg_usage_day AS a ON a.day >= p.first_day AND a.day < p.end_day
    UNION ALL
    SELECT a.subscription_id, a.catalog_item_id, p.sign * CAST(a.quantity * 1000000 AS bigint), p.sign * a.reading_count
    FROM unnest(CAST(:quarter_day_signs AS integer[]), CAST(:quarter_day_starts AS timestamptz[]),
                CAST(:quarter_day_ends AS timestamptz[])) AS p (sign, start_at, end_at)
    JOIN agg_usage_quarter_day AS a ON a.quarter_start >= p.start_at AND a.quarter_start < p.end_at
    UNION ALL
    SELECT a.subscription_id, a.catalog_item_id, p.sign * CAST(a.quantity * 1000000 AS bigint), p.sign * a.reading_count
    FROM unnest(CAST(:hour_signs AS integer[]), CAST(:hour_starts AS timestamptz[]), CAST(:hour_ends AS timestamptz[]))
         AS p (sign, start_at, end_at)
    JOIN agg_usage_hour AS a ON a.hour >= p.start_at AND a.hour < p.end_at
    UNION ALL
    SELECT u.subscription_id, u.catalog_item_id, p.sign * CAST(u.quantity * 1000000 AS bigint), p.sign
    FROM unnest(CAST(:raw_signs AS integer[]), CAST(:raw_starts AS timestamptz[]), CAST(:raw_ends AS timestamptz[]))
         AS p (sign, start_at, end_at)
    JOIN usage_records AS u ON u.recorded_at >= p.start_at AND u.recorded_at < p.end_at
)
SELECT CAST(subscription_id AS TEXT) AS subscription_id, CAST(catalog_item_id AS TEXT) AS catalog_item_id,
       CAST(SUM(micros) AS BIGINT) AS quantity_micros
FROM parts
GROUP BY subscription_id, catalog_item_id
HAVING SUM(readings) <> 0
