-- Scale demo: one invoice per tenant, month and version from the scratch lines. Live invoices of the last
-- complete month are issued, older ones paid; void ones were issued 2 h after the month and voided,
-- their live reissue is dated 3 days later. tax = 10 % of the subtotal, half-up; total = subtotal + tax.
-- Grain: one row per (tenant, month, version).
-- Binds: last_period (date: the last complete month).
INSERT INTO tenant_invoices (id, tenant_id, period, status, currency, subtotal_cents, tax_cents, total_cents,
                             issued_at, inserted_at)
WITH sums AS (
    SELECT invoice_id, tenant_id, period, end_at, version, CAST(sum(amount_cents) AS bigint) AS subtotal_cents,
           bool_or(version = 'void') OVER (PARTITION BY tenant_id, period) AS reissued
    FROM scale_invoice_lines
    GROUP BY invoice_id, tenant_id, period, end_at, version
)
SELECT invoice_id, tenant_id, period,
       CASE WHEN version = 'void' THEN 'void'
            WHEN period = CAST(:last_period AS date) THEN 'issued' ELSE 'paid' END,
       'USD', subtotal_cents, (subtotal_cents + 5) / 10, subtotal_cents + (subtotal_cents + 5) / 10,
       end_at + CASE WHEN version = 'live' AND reissued THEN interval '3 days' ELSE interval '2 hours' END,
       end_at + CASE WHEN version = 'live' AND reissued THEN interval '3 days' ELSE interval '2 hours' END
FROM sums
