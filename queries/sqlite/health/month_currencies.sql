-- What each month's figures add up, per table and currency: live invoices and provider cost lines
-- (SQLite: a month is the first 7 characters of the ISO date text).
-- Grain: one row per (month, table, currency) with row_count.
-- Binds: period_start, period_end ('YYYY-MM-DD', half-open).
SELECT month, source, currency, row_count
FROM (
    SELECT substr(i.period, 1, 7) || '-01' AS month, 'tenant_invoices' AS source, i.currency,
           COUNT(*) AS row_count
    FROM tenant_invoices AS i
    WHERE i.status <> 'void' AND i.period >= :period_start AND i.period < :period_end
    GROUP BY 1, 3
    UNION ALL
    SELECT substr(c.period, 1, 7) || '-01', 'cloud_cost_lines', c.currency, COUNT(*)
    FROM cloud_cost_lines AS c
    WHERE c.period >= :period_start AND c.period < :period_end
    GROUP BY 1, 3
) AS counted
ORDER BY month, source, currency
