-- How fresh each source is: the newest cost line ingested, usage reading and invoice, ignoring
-- stamps past the end of the month after now (a mistyped year is not "fresh").
-- Grain: one row. Binds: end_at (instant).
SELECT
    (SELECT MAX(inserted_at) FROM cloud_cost_lines WHERE inserted_at < :end_at) AS latest_cost_line_at,
    (SELECT MAX(recorded_at) FROM usage_records WHERE recorded_at < :end_at) AS latest_usage_at,
    (SELECT MAX(inserted_at) FROM tenant_invoices WHERE inserted_at < :end_at) AS latest_invoice_at
