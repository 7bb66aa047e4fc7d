-- Usage readings stamped before past_before (1970-01-01) (SQLite: ISO text normalised to UTC).
-- Grain: up to 5 example readings, earliest first, each carrying problem_count (all such readings).
-- Binds: past_before ('YYYY-MM-DD HH:MM:SS.SSS' UTC).
SELECT u.id AS usage_id, u.subscription_id, u.catalog_item_id, u.recorded_at,
       COUNT(*) OVER () AS problem_count
FROM usage_records AS u
WHERE strftime('%Y-%m-%d %H:%M:%f', u.recorded_at) < :past_before
ORDER BY strftime('%Y-%m-%d %H:%M:%f', u.recorded_at), u.id
LIMIT 5
