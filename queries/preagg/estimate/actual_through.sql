-- queries/estimate/actual_through.sql from the pre-aggregate agg_cost_invoice (arcadia/preagg.py): per provider
-- invoice of the month, how many lines and the instant the latest of them runs to (a line without an end_at:
-- its inserted_at), never past when the latest of them was written.
-- Grain: one row per provider_invoice_id of the month.
-- Binds: month_start, month_end (dates, half-open).
SELECT g.provider_invoice_id, SUM(g.line_count) AS line_count,
       LEAST(MAX(g.last_written_end_at), MAX(g.last_inserted_at)) AS through
FROM agg_cost_invoice AS g
WHERE g.period >= :month_start AND g.period < :month_end
GROUP BY g.provider_invoice_id
