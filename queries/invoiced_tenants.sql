-- Tenants that already have a live (non-void) invoice for a period.
-- Grain: one row per tenant_id.
-- Binds: period_start, period_end (dates, half-open).
SELECT DISTINCT i.tenant_id
FROM tenant_invoices AS i
WHERE i.period >= :period_start AND i.period < :period_end AND i.status <> 'void'
