-- Scale demo: DigitalOcean inventory, resources j = 1 .. :resources.
-- Grain: one row per resource. Kind by j % 20 (55 % droplets, 20 % volumes, 5 % each of snapshot,
-- database, load_balancer, spaces, kubernetes); size and monthly list price from a small price table,
-- kept in attrs.price_monthly_cents (as DO's API reports it). Placement by j % 10: 0-7 in a deployment
-- (most tagged with its tenant, some untagged, some tagged with another tenant: the deployment wins),
-- 8 standalone tagged (internal infrastructure or a customer's own), 9 untagged (unattributed).
-- 70 % were created before the window; half the droplets have backups; every 7th is deleted
-- 30-400 days after creation (if before now).
-- Binds: resources, deployments, tenants (integers); history_start, window_start, now (instants).
INSERT INTO cloud_resources (id, provider, provider_id, kind, name, region, status, size_slug, tenant_id,
                             deployment_id, tags, attrs, first_seen_at, last_seen_at, stale_strike_count,
                             deleted_at, cloud_project_id, inserted_at, updated_at)
WITH hashed AS (
    SELECT j,
           ('x' || substr(md5('arcadia-scale/resource/' || j), 1, 8))::bit(32)::bigint AS h1,
           ('x' || substr(md5('arcadia-scale/resource/' || j), 9, 8))::bit(32)::bigint AS h2,
           CASE WHEN j % 20 <= 8 OR j % 20 IN (17, 18) THEN 'droplet'
                WHEN j % 20 IN (9, 10, 11, 19) THEN 'volume'
                ELSE (ARRAY['snapshot', 'database', 'load_balancer', 'spaces', 'kubernetes'])[j % 20 - 11]
           END AS kind
    FROM generate_series(1, CAST(:resources AS integer)) AS j
), sizes (kind, variant, size_slug, cents, vcpus, gib) AS (
    VALUES ('droplet', 0, 's-1vcpu-1gb', 600, 1, NULL), ('droplet', 1, 's-1vcpu-2gb', 1200, 1, NULL),
           ('droplet', 2, 's-2vcpu-4gb', 2400, 2, NULL), ('droplet', 3, 's-4vcpu-8gb', 4800, 4, NULL),
           ('droplet', 4, 's-8vcpu-16gb', 9600, 8, NULL),
           ('volume', 0, NULL, 100, NULL, 10), ('volume', 1, NULL, 250, NULL, 25),
           ('volume', 2, NULL, 500, NULL, 50), ('volume', 3, NULL, 1000, NULL, 100),
           ('volume', 4, NULL, 5000, NULL, 500),
           ('snapshot', 0, NULL, 60, NULL, 10), ('snapshot', 1, NULL, 150, NULL, 25),
           ('snapshot', 2, NULL, 300, NULL, 50), ('snapshot', 3, NULL, 600, NULL, 100),
           ('snapshot', 4, NULL, 1500, NULL, 250),
           ('database', 0, 'db-s-1vcpu-1gb', 1500, 1, NULL), ('database', 1, 'db-s-1vcpu-1gb', 1500, 1, NULL),
           ('database', 2, 'db-s-1vcpu-2gb', 3000, 1, NULL), ('database', 3, 'db-s-2vcpu-4gb', 6000, 2, NULL),
           ('database', 4, 'db-s-4vcpu-8gb', 12000, 4, NULL),
           ('load_balancer', 0, 'lb-small', 1200, NULL, NULL), ('load_balancer', 1, 'lb-small', 1200, NULL, NULL),
           ('load_balancer', 2, 'lb-small', 1200, NULL, NULL), ('load_balancer', 3, 'lb-medium', 2400, NULL, NULL),
           ('load_balancer', 4, 'lb-large', 4800, NULL, NULL),
           ('spaces', 0, 'spaces-250gb', 500, NULL, 250), ('spaces', 1, 'spaces-250gb', 500, NULL, 250),
           ('spaces', 2, 'spaces-250gb', 500, NULL, 250), ('spaces', 3, 'spaces-1tb', 2300, NULL, 1024),
           ('spaces', 4, 'spaces-1tb', 2300, NULL, 1024),
           ('kubernetes', 0, 'k8s-ha-control-plane', 4000, NULL, NULL),
           ('kubernetes', 1, 'k8s-ha-control-plane', 4000, NULL, NULL),
           ('kubernetes', 2, 'k8s-ha-control-plane', 4000, NULL, NULL),
           ('kubernetes', 3, 'k8s-ha-control-plane', 4000, NULL, NULL),
           ('kubernetes', 4, 'k8s-ha-control-plane', 4000, NULL, NULL)
), placed AS MATERIALIZED (
    SELECT h.*, s.size_slug, s.cents, s.vcpus, s.gib,
           CASE WHEN j % 10 <= 7
                THEN md5('arcadia-scale/deployment/' || (1 + h1 % CAST(:deployments AS integer)))::uuid END
               AS deployment_id,
           CASE WHEN j % 10 = 8 AND (j / 10) % 2 = 0
                THEN CASE WHEN (j / 20) % 2 = 1 AND CAST(:tenants AS integer) >= 253 THEN 253 ELSE 3 END
                WHEN j % 10 = 8 THEN 1 + floor(CAST(:tenants AS integer)
                                               * power(CAST(h2 AS double precision) / 4294967296, 3))::integer
           END AS standalone_key,
           CAST(:history_start AS timestamptz) + CASE
               WHEN h2 % 10 < 7 THEN make_interval(secs => h1 % CAST(extract(epoch FROM
                   CAST(:window_start AS timestamptz) - CAST(:history_start AS timestamptz)) AS bigint))
               ELSE (CAST(:window_start AS timestamptz) - CAST(:history_start AS timestamptz))
                    + make_interval(secs => h1 % CAST(extract(epoch FROM
                   CAST(:now AS timestamptz) - CAST(:window_start AS timestamptz)) AS bigint))
           END AS created_at
    FROM hashed AS h
    JOIN sizes AS s ON s.kind = h.kind AND s.variant = (h.h2 / 16) % 5
), dated AS (
    SELECT p.*,
           CASE WHEN j % 7 = 0 AND p.created_at + make_interval(days => CAST(30 + h1 % 370 AS integer),
                                                                  secs => h2 % 86400) < CAST(:now AS timestamptz)
                THEN p.created_at + make_interval(days => CAST(30 + h1 % 370 AS integer), secs => h2 % 86400)
           END AS deleted_at,
           CASE WHEN p.deployment_id IS NULL AND p.standalone_key IS NULL THEN NULL
                WHEN p.deployment_id IS NULL THEN st.id
                WHEN (j / 10) % 10 IN (7, 8) THEN NULL
                WHEN (j / 10) % 10 = 9 THEN 'skyai-internal'
                ELSE d.tenant_id
           END AS tenant_id
    FROM placed AS p
    LEFT JOIN cloud_deployments AS d ON d.id = p.deployment_id
    LEFT JOIN scale_tenant_keys AS st ON st.k = p.standalone_key
)
SELECT md5('arcadia-scale/resource/' || j)::uuid, 'digitalocean', CAST(400000000 + j AS text), kind,
       replace(kind, '_', '-') || '-' || j,
       (ARRAY['syd1', 'sgp1', 'nyc3', 'fra1', 'ams3', 'lon1', 'sfo3', 'tor1', 'blr1'])[1 + h2 % 9],
       CASE WHEN deleted_at IS NULL THEN 'active' ELSE 'deleted' END,
       size_slug, tenant_id, deployment_id,
       CASE WHEN tenant_id IS NULL THEN CAST(ARRAY[] AS text[]) ELSE ARRAY['tenant:' || tenant_id] END,
       jsonb_strip_nulls(jsonb_build_object('price_monthly_cents', cents, 'vcpus', vcpus, 'size_gib', gib,
                                            'backups', CASE WHEN kind = 'droplet' THEN (h1 / 7) % 2 = 0 END)),
       created_at, coalesce(deleted_at, CAST(:now AS timestamptz)), 0, deleted_at,
       md5('arcadia-scale/project/' || CASE WHEN deployment_id IS NOT NULL THEN 'customers'
                                            WHEN tenant_id IS NOT NULL THEN 'internal'
                                            WHEN j % 3 = 0 THEN 'legacy' ELSE 'internal' END)::uuid,
       created_at, coalesce(deleted_at, created_at)
FROM dated
