-- Benchmark, naive way: the invoices of a period, void ones included (pandas filters them).
-- Grain: one row per invoice.
-- Binds: period_start, period_end (dates, half-open).
SELECT CAST(i.id AS TEXT) AS invoice_id, i.tenant_id, i.status, i.subtotal_cents, i.currency
FROM tenant_invoices AS i
WHERE i.period >= :period_start AND i.period < :period_end
