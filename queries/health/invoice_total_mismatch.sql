-- Live invoices whose total is not subtotal + tax (added as numeric: no bigint overflow).
-- Grain: up to 5 example invoices, each carrying problem_count (all such invoices).
-- Binds: period_start, period_end (dates, half-open).
SELECT CAST(i.id AS TEXT) AS invoice_id, i.tenant_id, i.period, i.subtotal_cents, i.tax_cents, i.total_cents,
       COUNT(*) OVER () AS problem_count
FROM tenant_invoices AS i
WHERE i.status <> 'void' AND i.period >= :period_start AND i.period < :period_end
  AND CAST(i.subtotal_cents AS NUMERIC) + CAST(i.tax_cents AS NUMERIC) <> i.total_cents
ORDER BY i.period, invoice_id
LIMIT 5
