-- Every tenant's display name and kind.
-- Grain: one row per tenant.
-- Binds: none.
SELECT id AS tenant_id, name AS tenant_name, kind AS tenant_kind FROM tenants
