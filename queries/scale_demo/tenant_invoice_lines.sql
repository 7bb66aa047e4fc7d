-- Scale demo: the invoice lines from the scratch table (Σ amount_cents per invoice = its subtotal).
-- Grain: one row per subscription item, month and invoice version.
-- Binds: none.
INSERT INTO tenant_invoice_lines (id, invoice_id, subscription_id, deployment_id, catalog_item_id, billing_kind,
                                  description, quantity, unit_price_micros, amount_cents)
SELECT line_id, invoice_id, subscription_id, deployment_id, catalog_item_id, billing_kind, description, quantity,
       price_micros, amount_cents
FROM scale_invoice_lines
