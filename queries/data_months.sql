-- Months that hold invoices or provider cost lines, within the months a dashboard offers.
-- Grain: one row per period (first day of a month).
-- Binds: first_day, end_day (dates, half-open: from 1970 to the end of the month after now, so a
-- mistyped far-future or far-past row never becomes a month to pick).
SELECT period FROM tenant_invoices WHERE period >= :first_day AND period < :end_day
UNION
SELECT period FROM cloud_cost_lines WHERE period >= :first_day AND period < :end_day
