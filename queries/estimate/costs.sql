-- The live COGS estimate's inputs for a month so far: month 1's run rate summed per tenant; the other alive
-- resources one by one, with their newest older full month (if any), for Python to prorate or price.
-- Only the time the month's own cost lines do not cover is modelled (CONTRACT §3 "Actual cost so far"): a
-- resource with lines of this month (a daily preview) from the instant they run to (the latest end_at of its
-- lines, inserted_at for a line without one; never past when the lines were written), any other from model_from_ms (the instant the month's lines run to; the window's start when none).
-- Alive in the window [window_start, window_end): first_seen_at < window_end, and deleted_at > window_start,
-- or no deleted_at and last_seen_at >= window_start (a resource the inventory last saw before the window,
-- with no deletion recorded, is gone). Tenant = COALESCE(deployment.tenant_id, resource.tenant_id), as for
-- cost lines; NULL = unattributed. Time alive, in milliseconds from max(first_seen_at, window_start) up to
-- deleted_at: so_far_ms to window_end, to_end_ms to period_end.
-- A resource's rate is its newest full month among months 1-3 (the months before; age 1 the newest): a
-- month it was alive from start to end, with matched cost lines in it that run to its end (a line without an
-- end_at counts as running to the end; a preview's lines that stop on the 5th do not make a full month). Prorated, a line costs
-- amount × min(time alive, month) ÷ month: never more than that month's amount. Without a full month,
-- its newest partial month among months 1-3: one it was alive in, or its lines cover, for part of the time only
-- (alive_ms > 0 ms, from max(first_seen_at, month start) to min(deleted_at, month end, the latest end_at of its
-- lines)), with matched cost lines in it;
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
-- (window_start_ms, window_end_ms, period_end_ms); model_from_ms (epoch milliseconds); month_start, month_end
-- (the window's month as dates, for its own cost lines); known_at (an instant: deletions after it are not
-- known; the far future live, the as-of instant when measuring the estimate afterwards); the look-back months k = 1, 2, 3 (newest first):
-- mk_start, mk_end (first days of the month and of the next, dates), mk_start_at, mk_end_at (instants),
-- mk_ms (the month's length in milliseconds), mk_start_ms, mk_end_ms (its start and end, epoch milliseconds);
-- the same for k = 0, the window's own month: a resource no earlier month rates is rated by its own lines so far
-- (a partial month over the time they cover: a new resource in the daily preview), for the time after them.
WITH months (age, period_start, period_end, start_at, end_at, month_ms, start_ms, end_ms) AS (  -- months 0-3
    VALUES (0, CAST(:m0_start AS date), CAST(:m0_end AS date), CAST(:m0_start_at AS timestamptz),
            CAST(:m0_end_at AS timestamptz), CAST(:m0_ms AS bigint), CAST(:m0_start_ms AS bigint),
            CAST(:m0_end_ms AS bigint)),
           (1, CAST(:m1_start AS date), CAST(:m1_end AS date), CAST(:m1_start_at AS timestamptz),
            CAST(:m1_end_at AS timestamptz), CAST(:m1_ms AS bigint), CAST(:m1_start_ms AS bigint),
            CAST(:m1_end_ms AS bigint)),
           (2, CAST(:m2_start AS date), CAST(:m2_end AS date), CAST(:m2_start_at AS timestamptz),
            CAST(:m2_end_at AS timestamptz), CAST(:m2_ms AS bigint), CAST(:m2_start_ms AS bigint),
            CAST(:m2_end_ms AS bigint)),
           (3, CAST(:m3_start AS date), CAST(:m3_end AS date), CAST(:m3_start_at AS timestamptz),
            CAST(:m3_end_at AS timestamptz), CAST(:m3_ms AS bigint), CAST(:m3_start_ms AS bigint),
            CAST(:m3_end_ms AS bigint))
),
billed AS (  -- the resources the month's own cost lines bill (a preview), and the instant those run to
    SELECT c.resource_id AS id, LEAST(MAX(COALESCE(c.end_at, c.inserted_at)), MAX(c.inserted_at)) AS through
    FROM cloud_cost_lines AS c
    WHERE c.period >= :month_start AND c.period < :month_end AND c.resource_id IS NOT NULL
    GROUP BY c.resource_id
),
alive AS NOT MATERIALIZED (
    SELECT id, tenant_id, first_seen_at, deleted_at, first_ms, deleted_ms, whole_month1,
           GREATEST(0, LEAST(CAST(:window_end_ms AS bigint), COALESCE(deleted_ms, CAST(:window_end_ms AS bigint)))
                       - GREATEST(first_ms, model_ms)) AS so_far_ms,
           GREATEST(0, LEAST(CAST(:period_end_ms AS bigint), COALESCE(deleted_ms, CAST(:period_end_ms AS bigint)))
                       - GREATEST(first_ms, model_ms)) AS to_end_ms
    FROM (
        SELECT r.id, COALESCE(d.tenant_id, r.tenant_id) AS tenant_id, r.first_seen_at, r.deleted_at,
               r.first_seen_at <= :m1_start_at AND (r.deleted_at IS NULL OR r.deleted_at >= :m1_end_at)
                   AS whole_month1,
               CAST(floor(EXTRACT(EPOCH FROM r.first_seen_at) * 1000) AS bigint) AS first_ms,
               -- a deletion after known_at is not known yet (a backtest): the resource runs on
               CAST(floor(EXTRACT(EPOCH FROM CASE WHEN r.deleted_at <= :known_at THEN r.deleted_at END) * 1000)
                    AS bigint) AS deleted_ms,
               GREATEST(CAST(:window_start_ms AS bigint),
                        COALESCE(CAST(floor(EXTRACT(EPOCH FROM b.through) * 1000) AS bigint),
                                 CAST(:model_from_ms AS bigint))) AS model_ms
        FROM cloud_resources AS r
        LEFT JOIN cloud_deployments AS d ON d.id = r.deployment_id
        LEFT JOIN billed AS b ON b.id = r.id
        WHERE r.first_seen_at < :window_end
          AND (r.deleted_at > :window_start OR (r.deleted_at IS NULL AND r.last_seen_at >= :window_start))
    ) AS timed
),
month1 AS (  -- month 1's matched lines per resource and currency, and the instant they run to (no end_at: the end)
    SELECT c.resource_id AS id, c.currency, SUM(c.amount_cents) AS monthly_cents,
           MAX(COALESCE(c.end_at, :m1_end_at)) AS through
    FROM cloud_cost_lines AS c
    WHERE c.period >= :m1_start AND c.period < :m1_end AND c.resource_id IS NOT NULL
    GROUP BY c.resource_id, c.currency
)
SELECT NULL AS resource_id, NULL AS provider_id, NULL AS kind, NULL AS name, a.tenant_id, m.currency,
       SUM(m.monthly_cents * LEAST(a.so_far_ms, CAST(:m1_ms AS bigint))) AS so_far_exact,
       SUM(m.monthly_cents * LEAST(a.to_end_ms, CAST(:m1_ms AS bigint))) AS to_end_exact,
       NULL AS so_far_ms, NULL AS to_end_ms, NULL AS attrs,
       NULL AS age, NULL AS month_ms, NULL AS line_currency, NULL AS monthly_cents, NULL AS rated_ms,
       NULL AS partial
FROM month1 AS m
JOIN alive AS a ON a.id = m.id
WHERE a.whole_month1 AND m.through >= :m1_end_at AND a.to_end_ms > 0
GROUP BY a.tenant_id, m.currency
UNION ALL
SELECT CAST(a.id AS TEXT), r.provider_id, r.kind, r.name, a.tenant_id, NULL, NULL, NULL,
       a.so_far_ms, a.to_end_ms, CAST(r.attrs AS TEXT), older.age, older.month_ms, older.currency,
       older.monthly_cents, older.rated_ms, older.partial
FROM alive AS a
JOIN cloud_resources AS r ON r.id = a.id
LEFT JOIN LATERAL (  -- its rating month (full before partial, then newest), by the cost lines' resource index
    SELECT mo.age, mo.month_ms, l.currency, l.monthly_cents,
           CASE WHEN t.full_month THEN mo.month_ms ELSE t.alive_ms END AS rated_ms,
           CASE WHEN t.full_month THEN 0 ELSE 1 END AS partial
    FROM months AS mo
    CROSS JOIN LATERAL (  -- its lines of that month, per currency, and the instant they run to
        SELECT c.currency, CAST(SUM(c.amount_cents) AS bigint) AS monthly_cents,
               CAST(floor(EXTRACT(EPOCH FROM MAX(COALESCE(c.end_at, mo.end_at))) * 1000) AS bigint) AS through_ms
        FROM cloud_cost_lines AS c
        WHERE c.resource_id = a.id AND c.period >= mo.period_start AND c.period < mo.period_end
        GROUP BY c.currency
    ) AS l
    CROSS JOIN LATERAL (
        SELECT a.first_seen_at <= mo.start_at AND (a.deleted_at IS NULL OR a.deleted_at >= mo.end_at)
                   AND l.through_ms >= mo.end_ms AS full_month,
               LEAST(mo.end_ms, COALESCE(a.deleted_ms, mo.end_ms), l.through_ms) - GREATEST(a.first_ms, mo.start_ms)
                   AS alive_ms
    ) AS t
    WHERE t.full_month OR t.alive_ms > 0
    ORDER BY t.full_month DESC, mo.age
    FETCH FIRST 1 ROWS WITH TIES
) AS older ON TRUE
WHERE a.to_end_ms > 0  -- time left to model
  AND NOT (a.whole_month1 AND EXISTS (SELECT 1 FROM month1 AS m WHERE m.id = a.id AND m.through >= :m1_end_at))
