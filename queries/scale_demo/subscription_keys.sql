-- Scale demo: a scratch table of subscriptions s = 1 .. :subscriptions (dropped at commit), used by the
-- subscription, item, usage and invoice statements.
-- Grain: one row per subscription. Subscription s is for deployment 1 + (s - 1) % deployments and its
-- tenant; every 50th has no deployment (a skewed tenant pick). Starts: s % 60 = 1 mid-way through now's
-- month, s % 5 = 0 during the 12-month window, the rest in the year before it. Ends: s % 60 = 2 mid-way
-- through now's month, s % 7 = 3 somewhere between its start (or the window's) and now.
-- vcpus (1-32, skewed small) and seed drive the synthetic usage.
-- Binds: subscriptions, deployments, tenants (integers); history_start, window_start, month_start, now.
CREATE TEMPORARY TABLE scale_subscriptions ON COMMIT DROP AS
WITH hashed AS (
    SELECT s,
           ('x' || substr(md5('arcadia-scale/subscription/' || s), 1, 8))::bit(32)::bigint AS h1,
           ('x' || substr(md5('arcadia-scale/subscription/' || s), 9, 8))::bit(32)::bigint AS h2,
           ('x' || substr(md5('arcadia-scale/subscription/' || s), 17, 8))::bit(32)::bigint AS seed,
           1 + (s - 1) % CAST(:deployments AS integer) AS j
    FROM generate_series(1, CAST(:subscriptions AS integer)) AS s
), started AS (
    SELECT h.*,
           CASE WHEN s % 60 = 1
                THEN CAST(:month_start AS timestamptz) + make_interval(secs => h1 % greatest(1, CAST(extract(epoch
                         FROM CAST(:now AS timestamptz) - CAST(:month_start AS timestamptz)) AS bigint)))
                WHEN s % 5 = 0
                THEN CAST(:window_start AS timestamptz) + make_interval(secs => h1 % CAST(extract(epoch
                         FROM CAST(:month_start AS timestamptz) - CAST(:window_start AS timestamptz)) AS bigint))
                ELSE CAST(:history_start AS timestamptz) + make_interval(secs => h1 % CAST(extract(epoch
                         FROM CAST(:window_start AS timestamptz) - CAST(:history_start AS timestamptz)) AS bigint))
           END AS started_at
    FROM hashed AS h
), ended AS (
    SELECT st.*,
           CASE WHEN s % 60 = 1 THEN NULL
                WHEN s % 60 = 2
                THEN CAST(:month_start AS timestamptz) + make_interval(secs => h2 % greatest(1, CAST(extract(epoch
                         FROM CAST(:now AS timestamptz) - CAST(:month_start AS timestamptz)) AS bigint)))
                WHEN s % 7 = 3
                THEN greatest(st.started_at, CAST(:window_start AS timestamptz))
                     + make_interval(secs => 3600 + h2 % greatest(1, CAST(extract(epoch FROM CAST(:now AS timestamptz)
                         - greatest(st.started_at, CAST(:window_start AS timestamptz))) AS bigint) - 3600))
           END AS ended_at
    FROM started AS st
)
SELECT e.s, md5('arcadia-scale/subscription/' || e.s)::uuid AS id,
       coalesce(d.tenant_id, t.id) AS tenant_id,
       d.id AS deployment_id,
       CASE WHEN d.id IS NULL THEN NULL ELSE e.j % 3 END AS product,
       e.started_at,
       CASE WHEN e.ended_at < CAST(:now AS timestamptz) THEN e.ended_at END AS ended_at,
       CASE WHEN e.ended_at < CAST(:now AS timestamptz) THEN 'cancelled'
            WHEN e.s % 40 = 5 THEN 'paused' ELSE 'active' END AS status,
       (ARRAY[1, 1, 2, 2, 2, 4, 4, 8, 16, 32])[1 + e.seed % 10] AS vcpus,
       e.seed
FROM ended AS e
LEFT JOIN cloud_deployments AS d
       ON e.s % 50 <> 0 AND d.id = md5('arcadia-scale/deployment/' || e.j)::uuid
LEFT JOIN scale_tenant_keys AS t
       ON t.k = 1 + floor(CAST(:tenants AS integer) * power(CAST(e.h2 AS double precision) / 4294967296, 3))::integer
