-- Scale demo: DigitalOcean cost lines that match no resource (resource_id NULL), each of the 12 months.
-- Grain: :unmatched lines a month, by u % 6: bandwidth overage, promotional credit (negative, kind other),
-- a droplet that is not in the inventory (provider_resource_id set), support plan (other), Spaces
-- overage, and a second bandwidth line. All are unattributed COGS.
-- Binds: window_start (date), months, unmatched (integers).
INSERT INTO cloud_cost_lines (id, provider, provider_invoice_id, period, provider_resource_id, resource_id,
                              kind, product, description, quantity, unit, start_at, end_at, amount_cents,
                              currency, inserted_at)
WITH months AS (
    SELECT CAST(m AS date) AS period, m AS start_at, m + interval '1 month' AS end_at
    FROM generate_series(CAST(CAST(:window_start AS date) AS timestamp) AT TIME ZONE 'UTC',
                         (CAST(CAST(:window_start AS date) AS timestamp) AT TIME ZONE 'UTC')
                             + make_interval(months => CAST(:months AS integer) - 1),
                         interval '1 month') AS m
), lines AS (
    SELECT m.*, u, u % 6 AS shape,
           ('x' || substr(md5('arcadia-scale/unmatched/' || u || '/' || m.period), 1, 8))::bit(32)::bigint AS h
    FROM months AS m
    CROSS JOIN generate_series(1, CAST(:unmatched AS integer)) AS u
)
SELECT md5('arcadia-scale/unmatched/' || u || '/' || period)::uuid, 'digitalocean',
       'do-inv-' || to_char(period, 'YYYYMM'), period,
       CASE WHEN shape = 2 THEN CAST(300000000 + u AS text) END, NULL,
       (ARRAY['bandwidth', 'other', 'droplet', 'other', 'spaces', 'bandwidth'])[shape + 1],
       (ARRAY['Bandwidth', 'Other', 'Droplet', 'Other', 'Spaces', 'Bandwidth'])[shape + 1],
       CASE shape WHEN 0 THEN 'Outbound transfer overage'
                  WHEN 1 THEN 'Promotional credit'
                  WHEN 2 THEN 'Droplet old-bastion-' || u || ' (not in inventory)'
                  WHEN 3 THEN 'Support plan'
                  WHEN 4 THEN 'Spaces transfer overage'
                  ELSE 'Outbound transfer overage (region ' || (u % 9) || ')' END,
       CASE shape WHEN 1 THEN NULL WHEN 2 THEN 672 WHEN 3 THEN 1 ELSE 100 + h % 4900 END,
       CASE shape WHEN 1 THEN NULL WHEN 2 THEN 'hour' WHEN 3 THEN 'month' ELSE 'GiB' END,
       CASE WHEN shape <> 1 THEN start_at END,
       CASE WHEN shape <> 1 THEN end_at END,
       CASE shape WHEN 1 THEN -(500 + h % 4500) WHEN 2 THEN 600 WHEN 3 THEN 2400 ELSE 100 + h % 4900 END,
       'USD', end_at + interval '1 day 3 hours'
FROM lines
