-- What each month's figures add up, per table and currency: live invoices and provider cost lines.
-- Grain: one row per (month, table, currency) with row_count. A handful of rows per month.
-- Binds: period_start, period_end (dates, half-open): ranges on period (the period indexes).
SELECT month, source, currency, row_count
FROM (
    SELECT to_char(date_trunc('month', i.period), 'YYYY-MM-DD') AS month, 'tenant_invoices' AS source,
           i.currency, COUNT(*) AS row_count
    FROM tenant_invoices AS i
    WHERE i.status <> 'void' AND i.period >= :period_start AND i.period < :period_end
    GROUP BY 1, 3
    UNION ALL
    SELECT to_char(date_trunc('month', c.period), 'YYYY-MM-DD'), 'cloud_cost_lines', c.currency, COUNT(*)
    FROM cloud_cost_lines AS c
    WHERE c.period >= :period_start AND c.period < :period_end
    GROUP BY 1, 3
) AS counted
ORDER BY month, source, currency
