-- Benchmark, naive way: every invoice line (an invoice line has no period: pandas joins it to its invoice).
-- Grain: one row per invoice line.
-- Binds: none.
SELECT CAST(l.invoice_id AS TEXT) AS invoice_id, CAST(l.deployment_id AS TEXT) AS deployment_id,
       l.billing_kind, l.amount_cents
FROM tenant_invoice_lines AS l
