-- Benchmark: exact row counts of the contract tables.
-- Grain: one row per table.
-- Binds: none.
SELECT 'tenants' AS table_name, COUNT(*) AS row_count FROM tenants
UNION ALL SELECT 'cloud_projects', COUNT(*) FROM cloud_projects
UNION ALL SELECT 'cloud_deployments', COUNT(*) FROM cloud_deployments
UNION ALL SELECT 'cloud_resources', COUNT(*) FROM cloud_resources
UNION ALL SELECT 'cloud_cost_lines', COUNT(*) FROM cloud_cost_lines
UNION ALL SELECT 'catalog_items', COUNT(*) FROM catalog_items
UNION ALL SELECT 'subscriptions', COUNT(*) FROM subscriptions
UNION ALL SELECT 'subscription_items', COUNT(*) FROM subscription_items
UNION ALL SELECT 'usage_records', COUNT(*) FROM usage_records
UNION ALL SELECT 'tenant_invoices', COUNT(*) FROM tenant_invoices
UNION ALL SELECT 'tenant_invoice_lines', COUNT(*) FROM tenant_invoice_lines
