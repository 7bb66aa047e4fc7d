-- Live invoices whose lines do not add up to their subtotal (Σ tenant_invoice_lines.amount_cents).
-- Grain: up to 5 example invoices, each carrying problem_count (all such invoices).
-- Binds: period_start, period_end (dates, half-open). Each invoice's lines through ix_tenant_invoice_lines_invoice.
WITH summed AS (
    SELECT i.id, i.tenant_id, i.period, i.subtotal_cents,
           (SELECT COALESCE(SUM(l.amount_cents), 0) FROM tenant_invoice_lines AS l
            WHERE l.invoice_id = i.id) AS lines_cents
    FROM tenant_invoices AS i
    WHERE i.status <> 'void' AND i.period >= :period_start AND i.period < :period_end
)
SELECT CAST(s.id AS TEXT) AS invoice_id, s.tenant_id, s.period, s.subtotal_cents, s.lines_cents,
       COUNT(*) OVER () AS problem_count
FROM summed AS s
WHERE s.lines_cents <> s.subtotal_cents
ORDER BY s.period, invoice_id
LIMIT 5
