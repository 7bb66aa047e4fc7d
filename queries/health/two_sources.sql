-- Months where an account has an invoice in place (provider_invoices) and the month also holds DigitalOcean
-- cost lines of an invoice that no account has in place: an import from before invoices were kept in place (a
-- preview beside its final invoice, two exports of one invoice), or another program's lines beside an
-- account's import. Each such month's COGS may count a dollar twice. (Months the importer never wrote are
-- other programs' alone: several invoices there may be several accounts, and are not flagged.)
-- Grain: one row per invoice id of the flagged months (the newest 5 months), with the month count.
-- Binds: provider (text); period_start, period_end (dates, half-open).
WITH ids AS (
    SELECT c.period, c.provider_invoice_id, COUNT(*) AS line_count, SUM(c.amount_cents) AS amount_cents
    FROM cloud_cost_lines AS c
    WHERE c.provider = :provider AND c.period >= :period_start AND c.period < :period_end
    GROUP BY c.period, c.provider_invoice_id
),
marked AS (
    SELECT i.period, i.provider_invoice_id, i.line_count, i.amount_cents, p.account
    FROM ids AS i
    LEFT JOIN provider_invoices AS p
      ON p.provider = :provider AND p.period = i.period AND p.provider_invoice_id = i.provider_invoice_id
),
flagged AS (
    SELECT period FROM marked GROUP BY period HAVING COUNT(account) >= 1 AND COUNT(account) < COUNT(*)
),
shown AS (
    SELECT period FROM flagged ORDER BY period DESC LIMIT 5
)
SELECT m.period, m.provider_invoice_id, m.account, m.line_count, m.amount_cents,
       (SELECT COUNT(*) FROM flagged) AS problem_count
FROM marked AS m
JOIN shown AS s ON s.period = m.period
ORDER BY m.period DESC, m.provider_invoice_id
