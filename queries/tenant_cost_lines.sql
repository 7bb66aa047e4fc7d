-- The cost lines behind one tenant's COGS in a period, with their resource and deployment.
-- Grain: one row per cost line. Tenant = COALESCE(deployment.tenant_id, resource.tenant_id):
-- the resources of the tenant's deployments, plus its own resources that are in no (existing)
-- deployment; their lines are then found by resource (indexes on deployments.tenant_id,
-- resources.deployment_id, resources.tenant_id and cost_lines.resource_id: no scan of the month).
-- Binds: tenant_id, period_start, period_end (dates, half-open).
WITH owned AS (
    SELECT r.id, r.name, r.kind, r.size_slug, r.status, r.tenant_id, d.name AS deployment_name
    FROM cloud_deployments AS d
    JOIN cloud_resources AS r ON r.deployment_id = d.id
    WHERE d.tenant_id = :tenant_id
    UNION ALL
    SELECT r.id, r.name, r.kind, r.size_slug, r.status, r.tenant_id, NULL AS deployment_name
    FROM cloud_resources AS r
    LEFT JOIN cloud_deployments AS d ON d.id = r.deployment_id
    WHERE r.tenant_id = :tenant_id AND d.id IS NULL
)
SELECT CAST(c.id AS TEXT) AS cost_line_id, c.kind, c.product, c.description,
       CAST(c.quantity AS TEXT) AS quantity, c.unit, c.amount_cents, c.currency,
       o.name AS resource_name, o.kind AS resource_kind, o.size_slug, o.status AS resource_status,
       o.tenant_id AS resource_tenant_id, o.deployment_name
FROM owned AS o
JOIN cloud_cost_lines AS c ON c.resource_id = o.id
WHERE c.period >= :period_start AND c.period < :period_end
ORDER BY c.amount_cents DESC, c.description
