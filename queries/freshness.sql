-- How fresh each source is: the newest cost line ingested, usage reading and invoice.
-- Grain: one row.
-- Binds: none.
SELECT
    (SELECT MAX(inserted_at) FROM cloud_cost_lines) AS latest_cost_line_at,
    (SELECT MAX(recorded_at) FROM usage_records) AS latest_usage_at,
    (SELECT MAX(inserted_at) FROM tenant_invoices) AS latest_invoice_at,
    (SELECT MIN(recorded_at) FROM usage_records) AS earliest_usage_at
