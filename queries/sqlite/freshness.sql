-- How fresh each source is (SQLite: ISO text normalised to UTC before MAX/MIN).
-- Grain: one row.
-- Binds: none.
SELECT
    (SELECT MAX(strftime('%Y-%m-%d %H:%M:%f', inserted_at)) FROM cloud_cost_lines) AS latest_cost_line_at,
    (SELECT MAX(strftime('%Y-%m-%d %H:%M:%f', recorded_at)) FROM usage_records) AS latest_usage_at,
    (SELECT MAX(strftime('%Y-%m-%d %H:%M:%f', inserted_at)) FROM tenant_invoices) AS latest_invoice_at,
    (SELECT MIN(strftime('%Y-%m-%d %H:%M:%f', recorded_at)) FROM usage_records) AS earliest_usage_at
