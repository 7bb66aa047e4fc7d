-- Revenue of one period by billing kind (invoice lines of non-void invoices).
-- Grain: one row per (billing_kind, currency).
-- Binds: period_start, period_end (dates, half-open).
SELECT l.billing_kind AS kind, i.currency, SUM(l.amount_cents) AS amount_cents
FROM tenant_invoice_lines AS l
JOIN tenant_invoices AS i ON i.id = l.invoice_id
WHERE i.period >= :period_start AND i.period < :period_end AND i.status <> 'void'
GROUP BY l.billing_kind, i.currency
