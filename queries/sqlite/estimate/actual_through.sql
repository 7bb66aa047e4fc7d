-- As queries/estimate/actual_through.sql (SQLite: ISO text normalised to UTC before MAX compares it).
-- Grain: one row per provider_invoice_id of the month. Binds: month_start, month_end (dates, half-open).
SELECT c.provider_invoice_id, COUNT(*) AS line_count,
       min(MAX(strftime('%Y-%m-%d %H:%M:%f', COALESCE(c.end_at, c.inserted_at))),
           MAX(strftime('%Y-%m-%d %H:%M:%f', c.inserted_at))) || '+00:00' AS through
FROM cloud_cost_lines AS c
WHERE c.period >= :month_start AND c.period < :month_end
GROUP BY c.provider_invoice_id
