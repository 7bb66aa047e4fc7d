-- queries/estimate/costs.sql from the pre-aggregate agg_cost_resource (arcadia/preagg.py): the same rows, but
-- each resource's cost lines of a month are one row (its amount per currency, the instant its lines run to: the
-- latest end_at, a line without one running to the month's end; the latest end_at or inserted_at; the latest
-- inserted_at), and that row carries its resource's tenant, first_seen_at, deleted_at and where the resource's
-- lines of the next month stop (next_through). So the resources month 1 rates are summed per tenant from month 1's
-- rows alone, less those the inventory no longer sees; only the resources month 1 does not rate are read one by
-- one. The raw cost lines are never read.
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
unrated AS NOT MATERIALIZED (  -- the resources alive in the window that month 1 does not rate, one by one
    SELECT id, provider_id, kind, name, attrs, tenant_id, first_seen_at, deleted_at, first_ms, deleted_ms,
           GREATEST(0, LEAST(CAST(:window_end_ms AS bigint), COALESCE(deleted_ms, CAST(:window_end_ms AS bigint)))
                       - GREATEST(first_ms, model_ms)) AS so_far_ms,
           GREATEST(0, LEAST(CAST(:period_end_ms AS bigint), COALESCE(deleted_ms, CAST(:period_end_ms AS bigint)))
                       - GREATEST(first_ms, model_ms)) AS to_end_ms
    FROM (
        SELECT r.id, r.provider_id, r.kind, r.name, r.attrs, COALESCE(d.tenant_id, r.tenant_id) AS tenant_id,
               r.first_seen_at, r.deleted_at, CAST(floor(EXTRACT(EPOCH FROM r.first_seen_at) * 1000) AS bigint) AS first_ms,
               -- a deletion after known_at is not known yet (a backtest): the resource runs on
               CAST(floor(EXTRACT(EPOCH FROM CASE WHEN r.deleted_at <= :known_at THEN r.deleted_at END) * 1000)
                    AS bigint) AS deleted_ms,
               GREATEST(CAST(:window_start_ms AS bigint),
                        COALESCE(CAST(floor(EXTRACT(EPOCH FROM b.through) * 1000) AS bigint),
                                 CAST(:model_from_ms AS bigint))) AS model_ms
        FROM (  -- alive in the window (for one alive, "the whole of month 1" is "first seen by its start")
            SELECT r.id, r.provider_id, r.kind, r.name, r.attrs, r.tenant_id, r.deployment_id, r.first_seen_at,
                   r.deleted_at
            FROM cloud_resources AS r  -- first seen since month 1 began
            WHERE r.first_seen_at > :m1_start_at AND r.first_seen_at < :window_end
              AND (r.deleted_at > :window_start OR (r.deleted_at IS NULL AND r.last_seen_at >= :window_start))
            UNION ALL
            SELECT r.id, r.provider_id, r.kind, r.name, r.attrs, r.tenant_id, r.deployment_id, r.first_seen_at,
                   r.deleted_at
            FROM cloud_resources AS r  -- alive the whole of month 1, without lines of it that run to its end
            WHERE r.first_seen_at <= :m1_start_at
              AND (r.deleted_at > :window_start OR (r.deleted_at IS NULL AND r.last_seen_at >= :window_start))
              AND NOT EXISTS (SELECT 1 FROM agg_cost_resource AS g
                              WHERE g.resource_id = r.id AND g.period >= :m1_start AND g.period < :m1_end
                                AND g.last_end_at >= :m1_end_at)
        ) AS r
        LEFT JOIN cloud_deployments AS d ON d.id = r.deployment_id
        LEFT JOIN LATERAL (  -- where its lines of the month run to (a preview), looked up for these few resources
            SELECT LEAST(MAX(g.last_written_end_at), MAX(g.last_inserted_at)) AS through
            FROM agg_cost_resource AS g
            WHERE g.resource_id = r.id AND g.period >= :month_start AND g.period < :month_end
        ) AS b ON TRUE
    ) AS timed
),
stale AS MATERIALIZED (  -- resources without a deletion that the inventory last saw before the window: gone
    SELECT s.id FROM cloud_resources AS s WHERE s.deleted_at IS NULL AND s.last_seen_at < :window_start
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
    SELECT r.tenant_id, r.currency, r.through, r.deleted_at, SUM(r.cents) AS cents
    FROM (
        SELECT g.tenant_id, g.currency,
               CASE WHEN CAST(:month_end AS date) > CAST(:month_start AS date) THEN g.next_through END AS through,
               CASE WHEN g.deleted_at <= :known_at THEN g.deleted_at END AS deleted_at,
               SUM(CAST(g.amount_cents AS bigint)) AS cents, COUNT(*) AS resources
        FROM agg_cost_resource AS g
        WHERE g.period >= :m1_start AND g.period < :m1_end AND g.last_end_at >= :m1_end_at
          AND g.first_seen_at <= :m1_start_at AND (g.deleted_at IS NULL OR g.deleted_at > :window_start)
        GROUP BY 1, 2, 3, 4
        UNION ALL  -- less those without a deletion that the inventory last saw before the window: gone, not alive
        SELECT g.tenant_id, g.currency,
               CASE WHEN CAST(:month_end AS date) > CAST(:month_start AS date) THEN g.next_through END,
               NULL, -SUM(CAST(g.amount_cents AS bigint)), -COUNT(*)
        FROM stale AS s
        CROSS JOIN LATERAL (  -- by the aggregate's resource index, for these few
            SELECT g.* FROM agg_cost_resource AS g
            WHERE g.resource_id = s.id AND g.period >= :m1_start AND g.period < :m1_end
        ) AS g
        WHERE g.last_end_at >= :m1_end_at AND g.first_seen_at <= :m1_start_at AND g.deleted_at IS NULL
        GROUP BY 1, 2, 3
    ) AS r
    GROUP BY 1, 2, 3, 4
    HAVING SUM(r.resources) > 0
) AS g
CROSS JOIN LATERAL (  -- as in unrated: first seen before month 1, so the model starts at model_ms
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
SELECT CAST(a.id AS TEXT), a.provider_id, a.kind, a.name, a.tenant_id, NULL, NULL, NULL,
       a.so_far_ms, a.to_end_ms, CAST(a.attrs AS TEXT), older.age, older.month_ms, older.currency,
       older.monthly_cents, older.rated_ms, older.partial
FROM unrated AS a
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
