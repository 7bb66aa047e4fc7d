-- Scale demo: hourly vCPU-hour readings for now's month, from each subscription's start (or the month's)
-- up to now (or its end). A reading is taken at a fixed minute of each hour per subscription; quantity =
-- vcpus × a utilisation of 20-100 %, two decimals. idempotency_key: scale/<s>/compute/<hour of month>.
-- id: 24 hex digits of an md5 per subscription, then f0000000 + the hour (one md5 per row would
-- cost more than the insert itself).
-- Grain: one row per subscription and hour (~7 M at scale 1 near a month's end).
-- Binds: month_start, now (instants).
INSERT INTO usage_records (id, subscription_id, catalog_item_id, quantity, recorded_at, idempotency_key,
                           inserted_at)
WITH spans AS MATERIALIZED (
    SELECT s.s, s.id, s.vcpus, s.seed, s.started_at, s.ended_at,
           substr(md5('arcadia-scale/usage/' || s.s || '/compute'), 1, 24) AS id_prefix,
           make_interval(secs => s.seed % 3600) AS offset_in_hour,
           CAST(greatest(0, floor(extract(epoch FROM s.started_at - CAST(:month_start AS timestamptz)) / 3600))
                AS integer) AS first_hour,
           CAST(floor(extract(epoch FROM least(CAST(:now AS timestamptz), coalesce(s.ended_at, 'infinity'))
                                        - CAST(:month_start AS timestamptz)) / 3600) AS integer) AS last_hour
    FROM scale_subscriptions AS s
    WHERE s.started_at < CAST(:now AS timestamptz)
      AND (s.ended_at IS NULL OR s.ended_at > CAST(:month_start AS timestamptz))
), readings AS (
    SELECT sp.*, g.n,
           CAST(:month_start AS timestamptz) + g.n * interval '1 hour' + sp.offset_in_hour AS recorded_at
    FROM spans AS sp
    CROSS JOIN LATERAL generate_series(sp.first_hour, sp.last_hour) AS g (n)
)
SELECT CAST(r.id_prefix || to_hex(4026531840 + r.n) AS uuid), r.id, c.id,
       r.vcpus * (20 + (r.seed + r.n * 7919) % 81) / 100.0,
       r.recorded_at, 'scale/' || r.s || '/compute/' || r.n,
       least(CAST(:now AS timestamptz), r.recorded_at + interval '2 minutes')
FROM readings AS r
JOIN catalog_items AS c ON c.sku = 'COMPUTE-VCPU-HOUR'
WHERE r.recorded_at >= r.started_at
  AND r.recorded_at < CAST(:now AS timestamptz)
  AND (r.ended_at IS NULL OR r.recorded_at < r.ended_at)
