-- Scale demo: deployments j = 1 .. :deployments.
-- Grain: one row per deployment. Tenants are skewed: key 1 + floor(tenants × u³) for a hash u in [0, 1),
-- so a few keys own thousands of deployments and most own one or none; internal keys are skipped;
-- every 101st deployment (j % 101 = 7) belongs to a ghost tenant (no `tenants` row).
-- Binds: deployments, tenants, ghost_tenants (integers); history_start, now (instants).
INSERT INTO cloud_deployments (id, tenant_id, name, status, inserted_at, updated_at)
WITH picked AS (
    SELECT j,
           CASE WHEN j % 101 = 7
                THEN CAST(:tenants AS integer) + 1 + (j / 101) % CAST(:ghost_tenants AS integer)
                ELSE 1 + floor(CAST(:tenants AS integer) * power(
                         CAST(('x' || substr(md5('arcadia-scale/deployment-tenant/' || j), 1, 8))::bit(32)::bigint
                              AS double precision) / 4294967296, 3))::integer
           END AS key,
           ('x' || substr(md5('arcadia-scale/deployment/' || j), 1, 8))::bit(32)::bigint AS h
    FROM generate_series(1, CAST(:deployments AS integer)) AS j
), created AS (
    SELECT j, h, key + CASE WHEN key % 250 = 3 THEN 1 ELSE 0 END AS key,
           CAST(:history_start AS timestamptz)
               + make_interval(secs => h % CAST(extract(epoch FROM CAST(:now AS timestamptz)
                                                         - CAST(:history_start AS timestamptz)) * 0.9 AS bigint))
               AS inserted_at
    FROM picked
)
SELECT md5('arcadia-scale/deployment/' || c.j)::uuid, t.id,
       (ARRAY['studio', 'notebook', 'inference'])[1 + c.j % 3] || '-' || c.j,
       CASE c.j % 20 WHEN 1 THEN 'terminated' WHEN 2 THEN 'provisioning' WHEN 3 THEN 'suspended' ELSE 'active' END,
       c.inserted_at, c.inserted_at + make_interval(days => CAST(c.h % 30 AS integer))
FROM created AS c
JOIN scale_tenant_keys AS t ON t.k = least(c.key, CAST(:tenants AS integer) + CAST(:ghost_tenants AS integer))
