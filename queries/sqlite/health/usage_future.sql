-- Usage readings stamped after future_after (now + 1 day) (SQLite: ISO text normalised to UTC by
-- strftime(); a text it cannot read is NULL here and reported by unreadable_timestamps).
-- Grain: up to 5 example readings, latest first, each carrying problem_count (all such readings).
-- Binds: future_after ('YYYY-MM-DD HH:MM:SS.SSS' UTC).
SELECT u.id AS usage_id, u.subscription_id, u.catalog_item_id, u.recorded_at,
       COUNT(*) OVER () AS problem_count
FROM usage_records AS u
WHERE strftime('%Y-%m-%d %H:%M:%f', u.recorded_at) > :future_after
ORDER BY strftime('%Y-%m-%d %H:%M:%f', u.recorded_at) DESC, u.id
LIMIT 5
