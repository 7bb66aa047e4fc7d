-- Scale demo: DigitalOcean cost lines of the inventory for the 12 complete months before now's month.
-- Grain: one line per resource and month it ran in (deleted resources too, for the months they ran),
-- plus a backup line (20 % of the droplet's amount) for droplets with backups, plus an SLA credit
-- (negative, 10 %) for about one resource in 60 a month. Hours are rounded up and capped at 672 a month;
-- a partial month is monthly × hours / 672, rounded half-up to the cent. id: 31 hex digits of an md5
-- of (resource, month), then a digit for the line.
-- Binds: window_start (first day of the first month, a date), months (integer, 12).
INSERT INTO cloud_cost_lines (id, provider, provider_invoice_id, period, provider_resource_id, resource_id,
                              kind, product, description, quantity, unit, start_at, end_at, amount_cents,
                              currency, inserted_at)
WITH months AS (
    SELECT CAST(m AS date) AS period, m AS start_at, m + interval '1 month' AS end_at
    FROM generate_series(CAST(CAST(:window_start AS date) AS timestamp) AT TIME ZONE 'UTC',
                         (CAST(CAST(:window_start AS date) AS timestamp) AT TIME ZONE 'UTC')
                             + make_interval(months => CAST(:months AS integer) - 1),
                         interval '1 month') AS m
), ran AS MATERIALIZED (
    SELECT r.id, r.provider_id, r.kind, r.name, r.size_slug, m.period, m.end_at,
           greatest(r.first_seen_at, m.start_at) AS start_at,
           least(m.end_at, coalesce(r.deleted_at, m.end_at)) AS stop_at,
           CAST(r.attrs ->> 'price_monthly_cents' AS bigint) AS monthly_cents,
           coalesce(CAST(r.attrs ->> 'backups' AS boolean), false) AS backups,
           md5('arcadia-scale/cost/' || r.provider_id || '/' || m.period) AS key_md5
    FROM cloud_resources AS r
    JOIN months AS m ON r.first_seen_at < m.end_at AND (r.deleted_at IS NULL OR r.deleted_at > m.start_at)
), priced AS (
    SELECT ran.*,
           least(672, CAST(ceil(extract(epoch FROM stop_at - start_at) / 3600) AS bigint)) AS hours
    FROM ran
), amounts AS MATERIALIZED (
    SELECT priced.*, ('x' || substr(key_md5, 1, 8))::bit(32)::bigint AS h,
           CASE WHEN hours >= 672 THEN monthly_cents ELSE (2 * monthly_cents * hours + 672) / 1344 END AS cents
    FROM priced
)
SELECT CAST(substr(a.key_md5, 1, 31) || v.digit AS uuid),
       'digitalocean', 'do-inv-' || to_char(a.period, 'YYYYMM'), a.period, a.provider_id, a.id,
       CASE v.line WHEN 'backup' THEN 'backup' ELSE a.kind END,
       CASE v.line WHEN 'backup' THEN 'Backups' ELSE initcap(replace(a.kind, '_', ' ')) END,
       CASE v.line WHEN 'usage' THEN initcap(replace(a.kind, '_', ' ')) || ' ' || a.name
                                     || coalesce(' (' || a.size_slug || ')', '')
                   WHEN 'backup' THEN 'Backups ' || a.name
                   ELSE 'SLA credit ' || a.name END,
       CASE WHEN v.line = 'credit' THEN NULL ELSE a.hours END,
       CASE WHEN v.line = 'credit' THEN NULL ELSE 'hour' END,
       CASE WHEN v.line = 'credit' THEN NULL ELSE a.start_at END,
       CASE WHEN v.line = 'credit' THEN NULL ELSE a.stop_at END,
       CASE v.line WHEN 'usage' THEN a.cents
                   WHEN 'backup' THEN (a.cents + 4) / 5
                   ELSE -((a.cents + 9) / 10) END,
       'USD', a.end_at + interval '1 day 3 hours'
FROM amounts AS a
CROSS JOIN (VALUES ('usage', '0'), ('backup', '1'), ('credit', '2')) AS v (line, digit)
WHERE v.line = 'usage'
   OR (v.line = 'backup' AND a.backups)
   OR (v.line = 'credit' AND a.h % 60 = 0 AND a.cents > 0)
