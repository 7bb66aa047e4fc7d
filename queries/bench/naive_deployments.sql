-- Benchmark, naive way: every deployment with its tenant.
-- Grain: one row per deployment.
-- Binds: none.
SELECT CAST(d.id AS TEXT) AS deployment_id, d.tenant_id AS deployment_tenant_id
FROM cloud_deployments AS d
