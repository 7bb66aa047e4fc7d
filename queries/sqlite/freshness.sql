-- How fresh each source is (SQLite: ISO text normalised to UTC before MAX), stamps before end_at only.
-- Grain: one row. Binds: end_at ('YYYY-MM-DD HH:MM:SS.SSS' UTC).
SELECT
    (SELECT MAX(strftime('%Y-%m-%d %H:%M:%f', inserted_at)) FROM cloud_cost_lines
     WHERE strftime('%Y-%m-%d %H:%M:%f', inserted_at) < :end_at) AS latest_cost_line_at,
    (SELECT MAX(strftime('%Y-%m-%d %H:%M:%f', recorded_at)) FROM usage_records
     WHERE strftime('%Y-%m-%d %H:%M:%f', recorded_at) < :end_at) AS latest_usage_at,
    (SELECT MAX(strftime('%Y-%m-%d %H:%M:%f', inserted_at)) FROM tenant_invoices
     WHERE strftime('%Y-%m-%d %H:%M:%f', inserted_at) < :end_at) AS latest_invoice_at
