-- The provider invoices a month already holds cost lines of (what an import replaces, and what it keeps).
-- Grain: one row per provider_invoice_id, with its line count and amount.
-- Binds: provider (text); period_start, period_end (dates, half-open).
SELECT c.provider_invoice_id, c.currency, COUNT(*) AS line_count, SUM(c.amount_cents) AS amount_cents
FROM cloud_cost_lines AS c
WHERE c.provider = :provider AND c.period >= :period_start AND c.period < :period_end
GROUP BY c.provider_invoice_id, c.currency
ORDER BY c.provider_invoice_id, c.currency
