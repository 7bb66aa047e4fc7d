-- Amounts and prices of 10^15 or more (either sign): a month adding a few of them overflows 64 bits.
-- Compared without ABS(), which itself overflows on the smallest bigint.
-- Grain: up to 5 example (table, row, column) values, each carrying problem_count (all such values).
-- Binds: period_start, period_end (dates, half-open) for the month's cost lines, invoices and their
-- lines; prices (catalog and subscription items) are checked whatever the month.
WITH huge AS (
    SELECT 'cloud_cost_lines' AS source, CAST(c.id AS TEXT) AS row_id, 'amount_cents' AS column_name,
           c.amount_cents AS value
    FROM cloud_cost_lines AS c
    WHERE c.period >= :period_start AND c.period < :period_end
      AND (c.amount_cents >= 1000000000000000 OR c.amount_cents <= -1000000000000000)
    UNION ALL
    SELECT 'tenant_invoices', CAST(i.id AS TEXT), 'subtotal_cents', i.subtotal_cents
    FROM tenant_invoices AS i
    WHERE i.period >= :period_start AND i.period < :period_end
      AND (i.subtotal_cents >= 1000000000000000 OR i.subtotal_cents <= -1000000000000000)
    UNION ALL
    SELECT 'tenant_invoices', CAST(i.id AS TEXT), 'tax_cents', i.tax_cents
    FROM tenant_invoices AS i
    WHERE i.period >= :period_start AND i.period < :period_end
      AND (i.tax_cents >= 1000000000000000 OR i.tax_cents <= -1000000000000000)
    UNION ALL
    SELECT 'tenant_invoices', CAST(i.id AS TEXT), 'total_cents', i.total_cents
    FROM tenant_invoices AS i
    WHERE i.period >= :period_start AND i.period < :period_end
      AND (i.total_cents >= 1000000000000000 OR i.total_cents <= -1000000000000000)
    UNION ALL
    SELECT 'tenant_invoice_lines', CAST(l.id AS TEXT), 'amount_cents', l.amount_cents
    FROM tenant_invoice_lines AS l
    JOIN tenant_invoices AS i ON i.id = l.invoice_id
    WHERE i.period >= :period_start AND i.period < :period_end
      AND (l.amount_cents >= 1000000000000000 OR l.amount_cents <= -1000000000000000)
    UNION ALL
    SELECT 'tenant_invoice_lines', CAST(l.id AS TEXT), 'unit_price_micros', l.unit_price_micros
    FROM tenant_invoice_lines AS l
    JOIN tenant_invoices AS i ON i.id = l.invoice_id
    WHERE i.period >= :period_start AND i.period < :period_end
      AND (l.unit_price_micros >= 1000000000000000 OR l.unit_price_micros <= -1000000000000000)
    UNION ALL
    SELECT 'catalog_items', CAST(ci.id AS TEXT), 'unit_price_micros', ci.unit_price_micros
    FROM catalog_items AS ci
    WHERE ci.unit_price_micros >= 1000000000000000 OR ci.unit_price_micros <= -1000000000000000
    UNION ALL
    SELECT 'subscription_items', CAST(si.id AS TEXT), 'unit_price_micros', si.unit_price_micros
    FROM subscription_items AS si
    WHERE si.unit_price_micros >= 1000000000000000 OR si.unit_price_micros <= -1000000000000000
)
SELECT source, row_id, column_name, value, COUNT(*) OVER () AS problem_count
FROM huge
ORDER BY source, row_id, column_name
LIMIT 5
