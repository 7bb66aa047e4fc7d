-- (SQLite: as queries/alerts/resource_growth.sql, timestamps normalised by strftime before they are compared.)
-- A tenant's resources (or the unattributed ones: tenant_id NULL) with their cost lines of the three complete
-- months before the month in progress: last month's cost and the three months' sum (the spike rule's average).
-- Tenant = COALESCE(deployment.tenant_id, resource.tenant_id), as for cost lines.
-- Only resources alive in the month in progress so far (as the live estimate counts them: first seen before
-- window_end; deleted after window_start, or not deleted and last seen since window_start).
-- Grain: one row per resource with cost lines in those months, largest last month over average first, at most 20.
-- Binds: tenant_id (text or NULL); m1_start, m1_end (last month, dates); m3_start (the first of the three, date);
-- window_start, window_end (the month in progress so far, instants).
WITH costs AS (
    SELECT c.resource_id,
           SUM(CASE WHEN c.period >= :m1_start THEN c.amount_cents ELSE 0 END) AS last_cents,
           SUM(c.amount_cents) AS three_cents
    FROM cloud_cost_lines AS c
    WHERE c.period >= :m3_start AND c.period < :m1_end AND c.resource_id IS NOT NULL
    GROUP BY c.resource_id
)
SELECT CAST(r.id AS TEXT) AS resource_id, r.name, r.kind, x.last_cents, x.three_cents
FROM costs AS x
JOIN cloud_resources AS r ON r.id = x.resource_id
LEFT JOIN cloud_deployments AS d ON d.id = r.deployment_id
WHERE (COALESCE(d.tenant_id, r.tenant_id) = :tenant_id
       OR (CAST(:tenant_id AS TEXT) IS NULL AND COALESCE(d.tenant_id, r.tenant_id) IS NULL))
  AND strftime('%Y-%m-%d %H:%M:%f', r.first_seen_at) < :window_end
  AND (strftime('%Y-%m-%d %H:%M:%f', r.deleted_at) > :window_start
       OR (r.deleted_at IS NULL AND strftime('%Y-%m-%d %H:%M:%f', r.last_seen_at) >= :window_start))
ORDER BY x.last_cents * 3 - x.three_cents DESC, r.name
LIMIT 20
