-- Cost lines of a period that no tenant carries: unmatched lines and resources without tenant.
-- Grain: one row per cost line.
-- Binds: period_start, period_end (dates, half-open).
SELECT CAST(c.id AS TEXT) AS cost_line_id, c.kind, c.product, c.description,
       c.provider_resource_id, CAST(c.resource_id AS TEXT) AS resource_id,
       r.name AS resource_name, r.provider_id AS resource_provider_id,
       CASE WHEN c.resource_id IS NULL THEN 'no matching resource'
            WHEN r.id IS NULL THEN 'resource_id points at no resource'
            ELSE 'resource has no tenant and no deployment' END AS reason,
       c.amount_cents, c.currency
FROM cloud_cost_lines AS c
LEFT JOIN cloud_resources AS r ON r.id = c.resource_id
LEFT JOIN cloud_deployments AS d ON d.id = r.deployment_id
WHERE c.period >= :period_start AND c.period < :period_end
  AND COALESCE(d.tenant_id, r.tenant_id) IS NULL
ORDER BY c.amount_cents DESC, c.description
