-- Scale demo: three DigitalOcean projects (customers, internal, legacy).
-- Grain: one row per project.
-- Binds: history_start (instant).
INSERT INTO cloud_projects (id, provider, provider_id, name, tenant_id, inserted_at, updated_at)
SELECT md5('arcadia-scale/project/' || v.key)::uuid, 'digitalocean',
       CAST(md5('arcadia-scale/do-project/' || v.key)::uuid AS text), v.name, v.tenant_id,
       CAST(:history_start AS timestamptz), CAST(:history_start AS timestamptz)
FROM (VALUES ('customers', 'Arcadia Customers', NULL),
             ('internal', 'SkyAI Internal', 'skyai-internal'),
             ('legacy', 'Legacy (pre-Arcadia)', NULL)) AS v (key, name, tenant_id)
