-- Usage readings stamped before past_before (1970-01-01): before any month the figures cover.
-- Grain: up to 5 example readings, earliest first, each carrying problem_count (all such readings).
-- Binds: past_before (instant). The range is on recorded_at: ix_usage_records_recorded.
SELECT CAST(u.id AS TEXT) AS usage_id, CAST(u.subscription_id AS TEXT) AS subscription_id,
       CAST(u.catalog_item_id AS TEXT) AS catalog_item_id,
       CAST(u.recorded_at AT TIME ZONE 'UTC' AS TEXT) AS recorded_at,
       COUNT(*) OVER () AS problem_count
FROM usage_records AS u
WHERE u.recorded_at < :past_before
ORDER BY u.recorded_at, u.id
LIMIT 5
