-- Benchmark, naive way: every inventory resource with its own tenant and deployment.
-- Grain: one row per resource.
-- Binds: none.
SELECT CAST(r.id AS TEXT) AS resource_id, r.tenant_id AS resource_tenant_id,
       CAST(r.deployment_id AS TEXT) AS deployment_id
FROM cloud_resources AS r
