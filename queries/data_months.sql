-- Months that hold invoices or provider cost lines.
-- Grain: one row per period (first day of a month).
-- Binds: none.
SELECT period FROM tenant_invoices
UNION
SELECT period FROM cloud_cost_lines
