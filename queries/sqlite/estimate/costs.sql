-- The live COGS estimate's inputs for a month so far (SQLite): as queries/estimate/costs.sql, whose header
-- follows; timestamps are ISO text compared after strftime() normalises them to UTC, epoch milliseconds come
-- from strftime('%s') and strftime('%f'), and the older months of the unrated resources from CTEs (no LATERAL).
-- Binds' instants: 'YYYY-MM-DD HH:MM:SS.SSS' UTC; dates 'YYYY-MM-DD'.
-- Alive in the window [window_start, window_end): first_seen_at < window_end, and deleted_at > window_start,
-- or no deleted_at and last_seen_at >= window_start (a resource the inventory last saw before the window,
-- with no deletion recorded, is gone). Tenant = COALESCE(deployment.tenant_id, resource.tenant_id), as for
-- cost lines; NULL = unattributed. Time alive, in milliseconds from max(first_seen_at, window_start) up to
-- deleted_at: so_far_ms to window_end, to_end_ms to period_end.
-- A resource's rate is its newest full month among months 1-3 (the months before; age 1 the newest): a
-- month it was alive from start to end, with matched cost lines in it. Prorated, a line costs
-- amount × min(time alive, month) ÷ month: never more than that month's amount. Without a full month,
-- its newest partial month among months 1-3: one it was alive in for part of the time only (alive_ms > 0
-- ms, from max(first_seen_at, month start) to min(deleted_at, month end)), with matched cost lines in it;
-- a line then costs amount × min(time alive, month) ÷ alive_ms (its rate for the time alive, capped at a
-- full month's equivalent), so a resource created recently is rated by the lines of its first month.
-- Grain, two kinds of row:
--   resource_id NULL: the resources rated by month 1, per (tenant_id, currency): so_far_exact and
--     to_end_exact = Σ amount_cents × min(ms alive, m1_ms) over their month-1 lines (Python divides by
--     m1_ms and rounds once per tenant: the database never groups ~100,000 resources one by one);
--   resource_id set: an alive resource that month 1 does not rate (as a full month), with its details, ms
--     alive, attrs (JSON text: its list price, read as Decimal in Python) and its rating month: its newest
--     full month among months 2 and 3, else its newest partial month among months 1-3 (age, month_ms,
--     line_currency, monthly_cents, rated_ms = the ms it was alive in that month (month_ms when full),
--     partial = 1 for a partial month; NULL when none; one row per currency of that month).
-- Columns are read by position (estimate.py).
-- Binds: window_start, window_end, period_end (instants) and the same as epoch milliseconds
-- (window_start_ms, window_end_ms, period_end_ms); the look-back months k = 1, 2, 3 (newest first):
-- mk_start, mk_end (first days of the month and of the next, dates), mk_start_at, mk_end_at (instants),
-- mk_ms (the month's length in milliseconds), mk_start_ms, mk_end_ms (its start and end, epoch milliseconds).
WITH months (age, period_start, period_end, start_at, end_at, month_ms, start_ms, end_ms) AS (  -- months 0-3
    VALUES (0, :m0_start, :m0_end, :m0_start_at, :m0_end_at, :m0_ms, :m0_start_ms, :m0_end_ms),
           (1, :m1_start, :m1_end, :m1_start_at, :m1_end_at, :m1_ms, :m1_start_ms, :m1_end_ms),
           (2, :m2_start, :m2_end, :m2_start_at, :m2_end_at, :m2_ms, :m2_start_ms, :m2_end_ms),
           (3, :m3_start, :m3_end, :m3_start_at, :m3_end_at, :m3_ms, :m3_start_ms, :m3_end_ms)
),
billed AS (  -- the resources the month's own cost lines bill (a preview), and the instant those run to
    SELECT c.resource_id AS id,
           min(MAX(CAST(strftime('%s', COALESCE(c.end_at, c.inserted_at)) AS INTEGER) * 1000
                   + CAST(substr(strftime('%f', COALESCE(c.end_at, c.inserted_at)), 4, 3) AS INTEGER)),
               MAX(CAST(strftime('%s', c.inserted_at) AS INTEGER) * 1000
                   + CAST(substr(strftime('%f', c.inserted_at), 4, 3) AS INTEGER))) AS through_ms
    FROM cloud_cost_lines AS c
    WHERE c.period >= :month_start AND c.period < :month_end AND c.resource_id IS NOT NULL
    GROUP BY c.resource_id
),
alive AS (
    SELECT id, tenant_id, first_seen_at, deleted_at, first_ms, deleted_ms, whole_month1,
           max(0, min(:window_end_ms, COALESCE(deleted_ms, :window_end_ms)) - max(first_ms, model_ms)) AS so_far_ms,
           max(0, min(:period_end_ms, COALESCE(deleted_ms, :period_end_ms)) - max(first_ms, model_ms)) AS to_end_ms
    FROM (
        SELECT r.id, COALESCE(d.tenant_id, r.tenant_id) AS tenant_id,
               strftime('%Y-%m-%d %H:%M:%f', r.first_seen_at) AS first_seen_at,
               strftime('%Y-%m-%d %H:%M:%f', r.deleted_at) AS deleted_at,
               strftime('%Y-%m-%d %H:%M:%f', r.first_seen_at) <= :m1_start_at
                   AND (r.deleted_at IS NULL OR strftime('%Y-%m-%d %H:%M:%f', r.deleted_at) >= :m1_end_at)
                   AS whole_month1,
               CAST(strftime('%s', r.first_seen_at) AS INTEGER) * 1000
                   + CAST(substr(strftime('%f', r.first_seen_at), 4, 3) AS INTEGER) AS first_ms,
               CAST(strftime('%s', r.deleted_at) AS INTEGER) * 1000
                   + CAST(substr(strftime('%f', r.deleted_at), 4, 3) AS INTEGER) AS deleted_ms,
               max(:window_start_ms, COALESCE(b.through_ms, :model_from_ms)) AS model_ms
        FROM (  -- the inventory as known at known_at: a deletion after it is not known yet (a backtest)
            SELECT id, tenant_id, deployment_id, first_seen_at, last_seen_at,
                   CASE WHEN strftime('%Y-%m-%d %H:%M:%f', deleted_at) <= :known_at THEN deleted_at END AS deleted_at
            FROM cloud_resources
        ) AS r
        LEFT JOIN cloud_deployments AS d ON d.id = r.deployment_id
        LEFT JOIN billed AS b ON b.id = r.id
        WHERE strftime('%Y-%m-%d %H:%M:%f', r.first_seen_at) < :window_end
          AND (strftime('%Y-%m-%d %H:%M:%f', r.deleted_at) > :window_start
               OR (r.deleted_at IS NULL AND strftime('%Y-%m-%d %H:%M:%f', r.last_seen_at) >= :window_start))
    ) AS timed
    WHERE min(:period_end_ms, COALESCE(deleted_ms, :period_end_ms)) > max(first_ms, model_ms)  -- time left to model
),
month1_lines AS (
    SELECT c.resource_id, c.currency, c.amount_cents
    FROM cloud_cost_lines AS c
    WHERE c.period >= :m1_start AND c.period < :m1_end AND c.resource_id IS NOT NULL
),
month1_full AS (  -- the resources whose month-1 lines run to its end (no end_at: to the end)
    SELECT c.resource_id AS id
    FROM cloud_cost_lines AS c
    WHERE c.period >= :m1_start AND c.period < :m1_end AND c.resource_id IS NOT NULL
    GROUP BY c.resource_id
    HAVING MAX(COALESCE(strftime('%Y-%m-%d %H:%M:%f', c.end_at), :m1_end_at)) >= :m1_end_at
),
residual AS (  -- the alive resources that month 1 does not rate
    SELECT a.* FROM alive AS a
    WHERE NOT (a.whole_month1 AND EXISTS (SELECT 1 FROM month1_full AS f WHERE f.id = a.id))
),
timed_months AS (  -- each of their months 1-3
    SELECT x.id, x.first_seen_at, x.deleted_at, x.first_ms, x.deleted_ms, mo.age, mo.period_start, mo.period_end,
           mo.start_at, mo.end_at, mo.month_ms, mo.start_ms, mo.end_ms
    FROM residual AS x
    CROSS JOIN months AS mo
),
lines AS (  -- their lines of each month, per currency: the sum, and the instant they run to (no end_at: the end)
    SELECT t.id, t.age, c.currency, SUM(c.amount_cents) AS monthly_cents,
           MAX(COALESCE(CAST(strftime('%s', c.end_at) AS INTEGER) * 1000
                        + CAST(substr(strftime('%f', c.end_at), 4, 3) AS INTEGER), t.end_ms)) AS through_ms
    FROM timed_months AS t
    JOIN cloud_cost_lines AS c ON c.resource_id = t.id AND c.period >= t.period_start AND c.period < t.period_end
    GROUP BY t.id, t.age, c.currency
),
rated AS (  -- full (alive start to end, lines to the end) or the ms alive and covered in it
    SELECT t.id, t.age, t.month_ms, l.currency, l.monthly_cents,
           t.first_seen_at <= t.start_at AND (t.deleted_at IS NULL OR t.deleted_at >= t.end_at)
               AND l.through_ms >= t.end_ms AS full_month,
           min(t.end_ms, COALESCE(t.deleted_ms, t.end_ms), l.through_ms) - max(t.first_ms, t.start_ms) AS alive_ms
    FROM timed_months AS t
    JOIN lines AS l ON l.id = t.id AND l.age = t.age
),
older AS (  -- their full months, and partial ones, rank: full months first, then the newest
    SELECT id, age + CASE WHEN full_month THEN 0 ELSE 10 END AS rank, age, month_ms, currency, monthly_cents,
           CASE WHEN full_month THEN month_ms ELSE alive_ms END AS rated_ms,
           CASE WHEN full_month THEN 0 ELSE 1 END AS partial
    FROM rated
    WHERE full_month OR alive_ms > 0
),
newest AS (
    SELECT id, MIN(rank) AS rank FROM older GROUP BY id
)
SELECT NULL AS resource_id, NULL AS provider_id, NULL AS kind, NULL AS name, a.tenant_id, c.currency,
       SUM(c.amount_cents * min(a.so_far_ms, :m1_ms)) AS so_far_exact,
       SUM(c.amount_cents * min(a.to_end_ms, :m1_ms)) AS to_end_exact,
       NULL AS so_far_ms, NULL AS to_end_ms, NULL AS attrs,
       NULL AS age, NULL AS month_ms, NULL AS line_currency, NULL AS monthly_cents, NULL AS rated_ms,
       NULL AS partial
FROM month1_lines AS c
JOIN alive AS a ON a.id = c.resource_id
JOIN month1_full AS f ON f.id = c.resource_id
WHERE a.whole_month1
GROUP BY a.tenant_id, c.currency
UNION ALL
SELECT x.id, r.provider_id, r.kind, r.name, x.tenant_id, NULL, NULL, NULL,
       x.so_far_ms, x.to_end_ms, CAST(r.attrs AS TEXT), o.age, o.month_ms, o.currency, o.monthly_cents,
       o.rated_ms, o.partial
FROM residual AS x
JOIN cloud_resources AS r ON r.id = x.id
LEFT JOIN newest AS n ON n.id = x.id
LEFT JOIN older AS o ON o.id = x.id AND o.rank = n.rank
