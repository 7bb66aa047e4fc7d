-- Scale demo: daily readings for now's month: egress (GB, 0-20 × vcpus, at 23:xx each day) for the
-- subscriptions that have it, and storage (GB-month halves, on the 8th and 22nd at 12:xx).
-- idempotency_key: scale/<s>/<egress|storage>/<day of month>; id: an md5 prefix per subscription and
-- item, then f0000000 + the day.
-- Grain: one row per subscription, item and reading day.
-- Binds: month_start, now (instants).
INSERT INTO usage_records (id, subscription_id, catalog_item_id, quantity, recorded_at, idempotency_key,
                           inserted_at)
WITH spans AS MATERIALIZED (
    SELECT s.s, s.id, s.vcpus, s.seed, s.started_at, s.ended_at, c.id AS catalog_item_id,
           lower(split_part(c.sku, '-', 1)) AS meter,
           substr(md5('arcadia-scale/usage/' || s.s || '/' || c.sku), 1, 24) AS id_prefix
    FROM scale_subscriptions AS s
    JOIN subscription_items AS si ON si.subscription_id = s.id
    JOIN catalog_items AS c ON c.id = si.catalog_item_id AND c.sku IN ('EGRESS-GB', 'STORAGE-GB-MONTH')
    WHERE s.started_at < CAST(:now AS timestamptz)
      AND (s.ended_at IS NULL OR s.ended_at > CAST(:month_start AS timestamptz))
), readings AS (
    SELECT sp.*, g.n,
           CAST(:month_start AS timestamptz) + g.n * interval '1 day'
               + CASE sp.meter WHEN 'egress' THEN interval '23 hours' ELSE interval '12 hours' END
               + make_interval(secs => sp.seed % 3600) AS recorded_at
    FROM spans AS sp
    CROSS JOIN LATERAL generate_series(0, 30) AS g (n)
    WHERE sp.meter = 'egress' OR g.n IN (7, 21)
)
SELECT CAST(r.id_prefix || to_hex(4026531840 + r.n) AS uuid), r.id, r.catalog_item_id,
       CASE r.meter WHEN 'egress' THEN r.vcpus * ((r.seed / 7 + r.n * 104729) % 2000) / 100.0
                    ELSE (50 + r.seed % 950) / 2.0 END,
       r.recorded_at, 'scale/' || r.s || '/' || r.meter || '/' || r.n,
       least(CAST(:now AS timestamptz), r.recorded_at + interval '2 minutes')
FROM readings AS r
WHERE r.recorded_at >= r.started_at
  AND r.recorded_at < CAST(:now AS timestamptz)
  AND (r.ended_at IS NULL OR r.recorded_at < r.ended_at)
