-- queries/estimate/costs.sql from the pre-aggregate agg_cost_resource (arcadia/preagg.py): the same rows, but
-- each resource's cost lines of a month are one row (its amount per currency, the instant its lines run to: the
-- latest end_at, a line without one running to the month's end; the latest end_at or inserted_at; the latest
-- inserted_at), so the estimate reads the resources alive and their months, never the raw cost lines.
-- Everything else (grain, columns, binds, meaning) as in queries/estimate/costs.sql.
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
    SELECT g.resource_id AS id, LEAST(MAX(g.last_written_end_at), MAX(g.last_inserted_at)) AS through
    FROM agg_cost_resource AS g
    WHERE g.period >= :month_start AND g.period < :month_end
    GROUP BY g.resource_id
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
    SELECT g.resource_id AS id, g.currency, CAST(g.amount_cents AS bigint) AS monthly_cents, g.last_end_at AS through
    FROM agg_cost_resource AS g
    WHERE g.period >= :m1_start AND g.period < :m1_end
)
SELECT NULL AS resource_id, NULL AS provider_id, NULL AS kind, NULL AS name, g.tenant_id, g.currency,
       SUM(g.cents * LEAST(t.so_far_ms, CAST(:m1_ms AS bigint))) AS so_far_exact,
       SUM(g.cents * LEAST(t.to_end_ms, CAST(:m1_ms AS bigint))) AS to_end_exact,
       NULL AS so_far_ms, NULL AS to_end_ms, NULL AS attrs,
       NULL AS age, NULL AS month_ms, NULL AS line_currency, NULL AS monthly_cents, NULL AS rated_ms,
       NULL AS partial
FROM (  -- alive the whole of month 1, its lines running to its end: the resources month 1 rates. They share their
        -- times alive (from where the model starts to a known deletion, if any): their amounts are summed as
        -- integers per (tenant, currency, the instant their own lines of this month run to, deletion) first.
    SELECT COALESCE(d.tenant_id, r.tenant_id) AS tenant_id, m.currency, b.through,
           CASE WHEN r.deleted_at <= :known_at THEN r.deleted_at END AS deleted_at, SUM(m.monthly_cents) AS cents
    FROM month1 AS m
    JOIN cloud_resources AS r ON r.id = m.id
    LEFT JOIN cloud_deployments AS d ON d.id = r.deployment_id
    LEFT JOIN billed AS b ON b.id = r.id
    WHERE m.through >= :m1_end_at
      AND r.first_seen_at <= :m1_start_at AND (r.deleted_at IS NULL OR r.deleted_at >= :m1_end_at)
      AND r.first_seen_at < :window_end
      AND (r.deleted_at > :window_start OR (r.deleted_at IS NULL AND r.last_seen_at >= :window_start))
    GROUP BY 1, 2, 3, 4
) AS g
CROSS JOIN LATERAL (  -- as in alive: first seen before month 1, so the model starts at model_ms
    SELECT GREATEST(CAST(:window_start_ms AS bigint),
                    COALESCE(CAST(floor(EXTRACT(EPOCH FROM g.through) * 1000) AS bigint),
                             CAST(:model_from_ms AS bigint))) AS model_ms,
           CAST(floor(EXTRACT(EPOCH FROM g.deleted_at) * 1000) AS bigint) AS deleted_ms
) AS s
CROSS JOIN LATERAL (
    SELECT GREATEST(0, LEAST(CAST(:window_end_ms AS bigint), COALESCE(s.deleted_ms, CAST(:window_end_ms AS bigint)))
                       - s.model_ms) AS so_far_ms,
           GREATEST(0, LEAST(CAST(:period_end_ms AS bigint), COALESCE(s.deleted_ms, CAST(:period_end_ms AS bigint)))
                       - s.model_ms) AS to_end_ms
) AS t
WHERE t.to_end_ms > 0
GROUP BY g.tenant_id, g.currency
UNION ALL
SELECT CAST(a.id AS TEXT), r.provider_id, r.kind, r.name, a.tenant_id, NULL, NULL, NULL,
       a.so_far_ms, a.to_end_ms, CAST(r.attrs AS TEXT), older.age, older.month_ms, older.currency,
       older.monthly_cents, older.rated_ms, older.partial
FROM alive AS a
JOIN cloud_resources AS r ON r.id = a.id
LEFT JOIN LATERAL (  -- its rating month (full before partial, then newest), by the aggregate's resource index
    SELECT mo.age, mo.month_ms, l.currency, l.monthly_cents,
           CASE WHEN t.full_month THEN mo.month_ms ELSE t.alive_ms END AS rated_ms,
           CASE WHEN t.full_month THEN 0 ELSE 1 END AS partial
    FROM months AS mo
    CROSS JOIN LATERAL (  -- its lines of that month, per currency, and the instant they run to
        SELECT g.currency, CAST(g.amount_cents AS bigint) AS monthly_cents,
               CAST(floor(EXTRACT(EPOCH FROM g.last_end_at) * 1000) AS bigint) AS through_ms
        FROM agg_cost_resource AS g
        WHERE g.resource_id = a.id AND g.period >= mo.period_start AND g.period < mo.period_end
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
