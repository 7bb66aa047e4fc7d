-- Cost lines billed for a month before the month their resource was first seen, or after the month
-- it was deleted (SQLite: date() reads the ISO text in UTC; a text it cannot read flags nothing here).
-- Grain: up to 5 example lines, each carrying problem_count (all such lines).
-- Binds: period_start, period_end ('YYYY-MM-DD', half-open).
SELECT c.id AS cost_line_id, c.period, r.id AS resource_id, r.name AS resource_name,
       r.first_seen_at, r.deleted_at, c.amount_cents, COUNT(*) OVER () AS problem_count
FROM cloud_cost_lines AS c
JOIN cloud_resources AS r ON r.id = c.resource_id
WHERE c.period >= :period_start AND c.period < :period_end
  AND (c.period < date(r.first_seen_at, 'start of month')
       OR c.period >= date(r.deleted_at, 'start of month', '+1 month'))
ORDER BY c.period, c.id
LIMIT 5
