-- The month's own cost lines so far (a daily preview, an export, another program's lines): per provider
-- invoice, how many lines and the instant the latest of them runs to (a line without an end_at: when it was
-- written, its inserted_at), and never past when the latest of them was written: a preview whose items say
-- they end with the month holds the usage up to its writing only.
-- Grain: one row per provider_invoice_id of the month.
-- Binds: month_start, month_end (dates, half-open).
SELECT c.provider_invoice_id, COUNT(*) AS line_count, LEAST(MAX(COALESCE(c.end_at, c.inserted_at)), MAX(c.inserted_at)) AS through
FROM cloud_cost_lines AS c
WHERE c.period >= :month_start AND c.period < :month_end
GROUP BY c.provider_invoice_id
