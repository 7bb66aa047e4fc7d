-- Metered usage from the start of a month to an instant in it, summed per subscription and catalog
-- item, counted back from the month's total (PostgreSQL, pre-aggregates): cheaper than adding up
-- the days when most of the month has passed (the live accrual late in a month).
-- Month total (agg_usage_month) − whole days after the instant's day (agg_usage_day) − raw readings
-- from the instant to the end of its day. Same result as ../usage_totals.sql for that window.
-- Grain: one row per (subscription_id, catalog_item_id); quantity_micros exact.
-- Binds: month (date, first day), window_end (instant in the month), after_day (date: the day after
-- window_end's day, or window_end's day when it starts at midnight), month_end (date, first day of the
-- next month), day_end (instant: the start of after_day).
WITH parts AS (
    SELECT m.subscription_id, m.catalog_item_id, m.quantity
    FROM agg_usage_month AS m
    WHERE m.period = :month
    UNION ALL
    SELECT a.subscription_id, a.catalog_item_id, -a.quantity
    FROM agg_usage_day AS a
    WHERE a.day >= :after_day AND a.day < :month_end
    UNION ALL
    SELECT u.subscription_id, u.catalog_item_id, -u.quantity
    FROM usage_records AS u
    WHERE u.recorded_at >= :window_end AND u.recorded_at < :day_end
)
SELECT CAST(subscription_id AS TEXT) AS subscription_id,
       CAST(catalog_item_id AS TEXT) AS catalog_item_id,
       CAST(ROUND(SUM(quantity) * 1000000) AS BIGINT) AS quantity_micros
FROM parts
GROUP BY subscription_id, catalog_item_id
