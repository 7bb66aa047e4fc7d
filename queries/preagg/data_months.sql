-- Months that hold invoices or provider cost lines, from the pre-aggregates (PostgreSQL).
-- Grain: one row per period (first day of a month).
-- Binds: first_day, end_day (dates, half-open: the months a dashboard offers).
SELECT period FROM agg_invoice WHERE period >= :first_day AND period < :end_day
UNION
SELECT period FROM agg_cost_kind WHERE period >= :first_day AND period < :end_day
