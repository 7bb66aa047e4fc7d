-- Scale demo: a scratch table of the invoice lines of the 12 complete months (dropped at commit).
-- Grain: one row per (subscription item, month) for every subscription active in the month, version
-- 'live'; plus a 'void' copy of every line of about one (tenant, month) in 40 (and of subscription 2's
-- tenant in the 7th month), whose metered quantities are 10 % lower: the invoice voided after a late reading.
-- Amounts by the contract's quote engine: flat = quantity × price × active seconds ÷ month seconds;
-- per_unit = max(0, usage − included) × price; tiered = graduated over max(0, usage − included) with the
-- catalog's tiers; each line rounded half-up to the cent. Usage is synthetic (no readings are kept
-- for closed months): vCPU-hours = vcpus × active hours × 40-80 %, egress = vcpus × active days ×
-- 5-14 GB, storage = 50-999 GB-month prorated.
-- Binds: window_start (date), months (integer).
CREATE TEMPORARY TABLE scale_invoice_lines ON COMMIT DROP AS
WITH months AS (
    SELECT CAST(m AS date) AS period, m AS start_at, m + interval '1 month' AS end_at,
           extract(epoch FROM (m + interval '1 month') - m) AS month_seconds,
           row_number() OVER (ORDER BY m) AS month_number
    FROM generate_series(CAST(CAST(:window_start AS date) AS timestamp) AT TIME ZONE 'UTC',
                         (CAST(CAST(:window_start AS date) AS timestamp) AT TIME ZONE 'UTC')
                             + make_interval(months => CAST(:months AS integer) - 1),
                         interval '1 month') AS m
), active AS (
    SELECT s.s, s.id, s.tenant_id, s.deployment_id, s.vcpus, s.seed, m.period, m.end_at, m.month_seconds,
           m.month_number,
           extract(epoch FROM least(m.end_at, coalesce(s.ended_at, m.end_at))
                              - greatest(m.start_at, s.started_at)) AS active_seconds
    FROM scale_subscriptions AS s
    JOIN months AS m ON s.started_at < m.end_at AND (s.ended_at IS NULL OR s.ended_at > m.start_at)
), versions AS (
    SELECT a.*, v.version
    FROM active AS a
    CROSS JOIN (VALUES ('live'), ('void')) AS v (version)
    WHERE v.version = 'live'
       OR ('x' || substr(md5('arcadia-scale/void/' || a.tenant_id || '/' || a.period), 1, 8))::bit(32)::bigint
          % 40 = 0
       OR (a.month_number = 7 AND a.tenant_id = (SELECT tenant_id FROM scale_subscriptions WHERE s = 2))
), lines AS MATERIALIZED (
    SELECT vs.*, si.id AS item_id, si.quantity AS item_quantity, c.id AS catalog_item_id, c.sku, c.name,
           c.billing_kind, c.pricing_model, c.included_units, c.tiers,
           coalesce(si.unit_price_micros, c.unit_price_micros) AS price_micros,
           md5('arcadia-scale/invoice-line/' || si.id || '/' || vs.period) AS key_md5
    FROM versions AS vs
    JOIN subscription_items AS si ON si.subscription_id = vs.id
    JOIN catalog_items AS c ON c.id = si.catalog_item_id
), hashed AS (
    SELECT lines.*, ('x' || substr(key_md5, 1, 8))::bit(32)::bigint AS h
    FROM lines
), quantities AS (
    SELECT l.*,
           CASE WHEN l.pricing_model = 'flat' THEN l.item_quantity
                ELSE round(CASE l.version WHEN 'void' THEN 0.9 ELSE 1 END * CASE l.sku
                    WHEN 'COMPUTE-VCPU-HOUR' THEN l.vcpus * l.active_seconds / 3600 * (40 + l.h % 41) / 100
                    WHEN 'EGRESS-GB' THEN l.vcpus * l.active_seconds / 86400 * (5 + l.h % 10)
                    ELSE (50 + l.seed % 950) * l.active_seconds / l.month_seconds END, 2)
           END AS quantity
    FROM hashed AS l
), priced AS (
    SELECT q.*,
           CASE WHEN q.pricing_model = 'flat'
                THEN q.quantity * q.price_micros * q.active_seconds / q.month_seconds
                WHEN q.pricing_model = 'tiered' AND q.tiers IS NOT NULL AND q.price_micros = (
                         SELECT c.unit_price_micros FROM catalog_items AS c WHERE c.id = q.catalog_item_id)
                THEN (SELECT sum(greatest(0, least(b.billable, coalesce(t.up_to, b.billable))
                                             - coalesce(t.previous_up_to, 0)) * t.unit_price_micros)
                      FROM (SELECT greatest(0, q.quantity - q.included_units) AS billable) AS b,
                           (SELECT CAST(e ->> 'up_to' AS numeric) AS up_to,
                                   lag(CAST(e ->> 'up_to' AS numeric)) OVER (ORDER BY ord) AS previous_up_to,
                                   CAST(e ->> 'unit_price_micros' AS bigint) AS unit_price_micros
                            FROM json_array_elements(q.tiers) WITH ORDINALITY AS tier (e, ord)) AS t)
                ELSE greatest(0, q.quantity - q.included_units) * q.price_micros
           END AS amount_micros
    FROM quantities AS q
)
SELECT tenant_id, period, end_at, version, s,
       md5('arcadia-scale/invoice/' || tenant_id || '/' || period || '/' || version)::uuid AS invoice_id,
       CAST(substr(key_md5, 1, 31) || CASE version WHEN 'live' THEN '0' ELSE '1' END AS uuid) AS line_id,
       id AS subscription_id, deployment_id, catalog_item_id, billing_kind, name AS description, quantity,
       price_micros, CAST(round(amount_micros / 10000) AS bigint) AS amount_cents
FROM priced
