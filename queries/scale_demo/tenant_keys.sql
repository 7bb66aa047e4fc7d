-- Scale demo: a scratch table of tenant keys (dropped at commit), k = 1 .. tenants + ghost_tenants.
-- Grain: one row per tenant key. Keys above :tenants are "ghosts": their ids are used by deployments,
-- subscriptions and invoices but have no `tenants` row. Every 3rd id is a slug, the rest UUID strings;
-- keys 3, 253, 503, ... are internal tenants. Key 1 is the largest tenant (picks are skewed to low keys).
-- Binds: tenants, ghost_tenants (integers).
CREATE TEMPORARY TABLE scale_tenant_keys ON COMMIT DROP AS
WITH words AS (
    SELECT ARRAY['Northwind', 'Helix', 'Kestrel', 'Bluefin', 'Orchard', 'Tidewater', 'Quanta', 'Larkspur',
                 'Ember', 'Polaris', 'Saltmarsh', 'Granite', 'Vireo', 'Copperline', 'Mistral', 'Juniper',
                 'Aurora', 'Cobalt', 'Meridian', 'Sable'] AS first,
           ARRAY['Analytics', 'Genomics', 'Labs', 'Robotics', 'AI', 'Media', 'Legal', 'Health', 'Retail',
                 'Freight', 'Studio', 'Bank', 'Education', 'Energy', 'Games', 'Civic', 'Bio', 'Systems',
                 'Cloud', 'Works'] AS second
), keyed AS (
    SELECT k, words.first[1 + k % 20] AS first_word, words.second[1 + (k / 20) % 20] AS second_word,
           k % 250 = 3 AS internal
    FROM generate_series(1, CAST(:tenants AS integer) + CAST(:ghost_tenants AS integer)) AS k, words
)
SELECT k,
       CASE WHEN k = 3 THEN 'skyai-internal'
            WHEN k = 253 THEN 'platform-admin'
            WHEN internal THEN 'internal-ops-' || k
            WHEN k % 3 = 0 THEN lower(first_word) || '-' || lower(second_word) || '-' || k
            ELSE CAST(md5('arcadia-scale/tenant/' || k)::uuid AS text) END AS id,
       CASE WHEN k = 3 THEN 'SkyAI Internal'
            WHEN k = 253 THEN 'Platform Admin'
            WHEN internal THEN 'Internal Ops ' || k
            ELSE first_word || ' ' || second_word || CASE WHEN k > 400 THEN ' ' || (k / 400 + 1) ELSE '' END
       END AS name,
       CASE WHEN internal THEN 'internal' ELSE 'customer' END AS kind,
       k > CAST(:tenants AS integer) AS ghost
FROM keyed
