-- The cost lines behind one tenant's COGS in a period, with their resource and deployment.
-- Grain: one row per cost line. Tenant = COALESCE(deployment.tenant_id, resource.tenant_id).
-- Binds: tenant_id, period_start, period_end (dates, half-open).
SELECT CAST(c.id AS TEXT) AS cost_line_id, c.kind, c.product, c.description,
       CAST(c.quantity AS TEXT) AS quantity, c.unit, c.amount_cents, c.currency,
       r.name AS resource_name, r.kind AS resource_kind, r.size_slug, r.status AS resource_status,
       r.tenant_id AS resource_tenant_id, d.name AS deployment_name
FROM cloud_cost_lines AS c
JOIN cloud_resources AS r ON r.id = c.resource_id
LEFT JOIN cloud_deployments AS d ON d.id = r.deployment_id
WHERE c.period >= :period_start AND c.period < :period_end
  AND COALESCE(d.tenant_id, r.tenant_id) = :tenant_id
ORDER BY c.amount_cents DESC, c.description
