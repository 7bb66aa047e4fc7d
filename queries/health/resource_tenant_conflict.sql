-- Resources in a deployment whose own tenant tag names another tenant (the deployment's tenant wins).
-- Grain: up to 5 example resources, each carrying problem_count (all such resources).
-- Binds: none (inventory is not by month).
SELECT CAST(r.id AS TEXT) AS resource_id, r.name AS resource_name, r.tenant_id AS resource_tenant_id,
       CAST(d.id AS TEXT) AS deployment_id, d.tenant_id AS deployment_tenant_id,
       COUNT(*) OVER () AS problem_count
FROM cloud_resources AS r
JOIN cloud_deployments AS d ON d.id = r.deployment_id
WHERE r.tenant_id IS NOT NULL AND r.tenant_id <> d.tenant_id
ORDER BY r.name, resource_id
LIMIT 5
