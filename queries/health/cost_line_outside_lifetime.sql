-- Cost lines billed for a month before the month their resource was first seen, or after the month
-- it was deleted (UTC months).
-- Grain: up to 5 example lines, each carrying problem_count (all such lines).
-- Binds: period_start, period_end (dates, half-open): a range on period (ix_cloud_cost_lines_period).
-- Both CTEs are materialized: each resource's months are computed once, not once per cost line, and
-- the planner, which cannot estimate the OR, does not pick a sorted nested loop over every line.
WITH lifetimes AS MATERIALIZED (
    SELECT r.id, CAST(date_trunc('month', r.first_seen_at AT TIME ZONE 'UTC') AS date) AS first_month,
           CAST(date_trunc('month', r.deleted_at AT TIME ZONE 'UTC') + INTERVAL '1 month' AS date) AS gone_month
    FROM cloud_resources AS r
), outside AS MATERIALIZED (
    SELECT c.id, c.period, c.resource_id, c.amount_cents
    FROM cloud_cost_lines AS c
    JOIN lifetimes AS l ON l.id = c.resource_id
    WHERE c.period >= :period_start AND c.period < :period_end
      AND (c.period < l.first_month OR c.period >= l.gone_month)
)
SELECT CAST(o.id AS TEXT) AS cost_line_id, o.period, CAST(r.id AS TEXT) AS resource_id, r.name AS resource_name,
       CAST(r.first_seen_at AT TIME ZONE 'UTC' AS TEXT) AS first_seen_at,
       CAST(r.deleted_at AT TIME ZONE 'UTC' AS TEXT) AS deleted_at,
       o.amount_cents, COUNT(*) OVER () AS problem_count
FROM outside AS o
JOIN cloud_resources AS r ON r.id = o.resource_id
ORDER BY o.period, cost_line_id
LIMIT 5
