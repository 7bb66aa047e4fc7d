-- Scale demo: the month in progress as the last daily sync left it: DigitalOcean's invoice preview, its lines
-- running to :preview_through (06:00 UTC of now's day, or of the day before when now is earlier) and written
-- then. One line per resource alive in [month start, preview_through) (resources created or deleted mid-month
-- too: from max(created, month start) to min(deleted, preview_through)), a backup line (20 %) for droplets with
-- backups, an SLA credit (negative, 10 %) for about one resource in 60; and :unmatched lines that match no
-- resource, by u % 6 as in the complete months, their amounts so far (elapsed ÷ the month's length). Hours are
-- rounded up; amount = monthly × hours ÷ 672, capped at monthly, half-up to the cent. No line when
-- preview_through is not after the month's start (the month's first preview is not out yet).
-- Grain: one row per line. id: an md5 of (resource or u, 'preview', month), then a digit for the line.
-- Binds: month_period (date), month_start, preview_through (instants), unmatched (integer).
INSERT INTO cloud_cost_lines (id, provider, provider_invoice_id, period, provider_resource_id, resource_id,
                              kind, product, description, quantity, unit, start_at, end_at, amount_cents,
                              currency, inserted_at)
WITH span AS (
    SELECT CAST(:month_period AS date) AS period, CAST(:month_start AS timestamptz) AS start_at,
           CAST(:preview_through AS timestamptz) AS through,
           'do-preview-' || to_char(CAST(:month_period AS date), 'YYYYMM') AS invoice_id,
           extract(epoch FROM CAST(:preview_through AS timestamptz) - CAST(:month_start AS timestamptz))
               / extract(epoch FROM (CAST(:month_start AS timestamptz) + interval '1 month')
                                    - CAST(:month_start AS timestamptz)) AS elapsed_share
), ran AS MATERIALIZED (
    SELECT r.id, r.provider_id, r.kind, r.name, r.size_slug, s.period, s.through, s.invoice_id,
           greatest(r.first_seen_at, s.start_at) AS start_at,
           least(s.through, coalesce(r.deleted_at, s.through)) AS stop_at,
           CAST(r.attrs ->> 'price_monthly_cents' AS bigint) AS monthly_cents,
           coalesce(CAST(r.attrs ->> 'backups' AS boolean), false) AS backups,
           md5('arcadia-scale/cost/' || r.provider_id || '/preview/' || s.period) AS key_md5
    FROM cloud_resources AS r
    CROSS JOIN span AS s
    WHERE s.through > s.start_at
      AND r.first_seen_at < s.through AND (r.deleted_at IS NULL OR r.deleted_at > s.start_at)
), amounts AS (
    SELECT ran.*, ('x' || substr(key_md5, 1, 8))::bit(32)::bigint AS h,
           least(672, CAST(ceil(extract(epoch FROM stop_at - start_at) / 3600) AS bigint)) AS hours
    FROM ran
), priced AS MATERIALIZED (
    SELECT amounts.*,
           CASE WHEN hours >= 672 THEN monthly_cents ELSE (2 * monthly_cents * hours + 672) / 1344 END AS cents
    FROM amounts
), resource_lines AS (
    SELECT CAST(substr(p.key_md5, 1, 31) || v.digit AS uuid) AS id, p.invoice_id, p.period, p.provider_id,
           p.id AS resource_id,
           CASE v.line WHEN 'backup' THEN 'backup' ELSE p.kind END AS kind,
           CASE v.line WHEN 'backup' THEN 'Backups' ELSE initcap(replace(p.kind, '_', ' ')) END AS product,
           CASE v.line WHEN 'usage' THEN initcap(replace(p.kind, '_', ' ')) || ' ' || p.name
                                         || coalesce(' (' || p.size_slug || ')', '')
                       WHEN 'backup' THEN 'Backups ' || p.name
                       ELSE 'SLA credit ' || p.name END AS description,
           CASE WHEN v.line = 'credit' THEN NULL ELSE p.hours END AS quantity,
           CASE WHEN v.line = 'credit' THEN NULL ELSE 'hour' END AS unit,
           CASE WHEN v.line = 'credit' THEN NULL ELSE p.start_at END AS start_at,
           CASE WHEN v.line = 'credit' THEN NULL ELSE p.stop_at END AS end_at,
           CASE v.line WHEN 'usage' THEN p.cents
                       WHEN 'backup' THEN (p.cents + 4) / 5
                       ELSE -((p.cents + 9) / 10) END AS amount_cents,
           p.through AS inserted_at
    FROM priced AS p
    CROSS JOIN (VALUES ('usage', '0'), ('backup', '1'), ('credit', '2')) AS v (line, digit)
    WHERE v.line = 'usage'
       OR (v.line = 'backup' AND p.backups)
       OR (v.line = 'credit' AND p.h % 60 = 0 AND p.cents > 0)
), unmatched AS (
    SELECT s.*, u, u % 6 AS shape,
           ('x' || substr(md5('arcadia-scale/unmatched/' || u || '/preview/' || s.period), 1, 8))::bit(32)::bigint
               AS h
    FROM span AS s
    CROSS JOIN generate_series(1, CAST(:unmatched AS integer)) AS u
    WHERE s.through > s.start_at
), unmatched_lines AS (
    SELECT md5('arcadia-scale/unmatched/' || u || '/preview/' || period)::uuid AS id, invoice_id, period,
           CASE WHEN shape = 2 THEN CAST(300000000 + u AS text) END AS provider_id, CAST(NULL AS uuid) AS resource_id,
           (ARRAY['bandwidth', 'other', 'droplet', 'other', 'spaces', 'bandwidth'])[shape + 1] AS kind,
           (ARRAY['Bandwidth', 'Other', 'Droplet', 'Other', 'Spaces', 'Bandwidth'])[shape + 1] AS product,
           CASE shape WHEN 0 THEN 'Outbound transfer overage'
                      WHEN 1 THEN 'Promotional credit'
                      WHEN 2 THEN 'Droplet old-bastion-' || u || ' (not in inventory)'
                      WHEN 3 THEN 'Support plan'
                      WHEN 4 THEN 'Spaces transfer overage'
                      ELSE 'Outbound transfer overage (region ' || (u % 9) || ')' END AS description,
           CASE shape WHEN 1 THEN NULL
                      WHEN 2 THEN CAST(ceil(extract(epoch FROM through - start_at) / 3600) AS numeric)
                      WHEN 3 THEN 1 ELSE round((100 + h % 4900) * elapsed_share) END AS quantity,
           CASE shape WHEN 1 THEN NULL WHEN 2 THEN 'hour' WHEN 3 THEN 'month' ELSE 'GiB' END AS unit,
           CASE WHEN shape <> 1 THEN start_at END AS start_at,
           CASE WHEN shape <> 1 THEN through END AS end_at,
           CAST(round(CASE shape WHEN 1 THEN -(500 + h % 4500) WHEN 2 THEN 600 WHEN 3 THEN 2400
                                 ELSE 100 + h % 4900 END * elapsed_share) AS bigint) AS amount_cents,
           through AS inserted_at
    FROM unmatched
)
SELECT id, 'digitalocean', invoice_id, period, provider_id, resource_id, kind, product, description, quantity, unit,
       start_at, end_at, amount_cents, 'USD', inserted_at
FROM resource_lines
UNION ALL
SELECT id, 'digitalocean', invoice_id, period, provider_id, resource_id, kind, product, description, quantity, unit,
       start_at, end_at, amount_cents, 'USD', inserted_at
FROM unmatched_lines
