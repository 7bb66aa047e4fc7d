-- Months that hold invoices or provider cost lines, from the pre-aggregates (PostgreSQL).
-- Grain: one row per period (first day of a month).
-- Binds: none.
SELECT period FROM agg_invoice
UNION
SELECT period FROM agg_cost_kind
