-- A provider's resources, to match invoice items with: by provider id (any resource), or by kind and name
-- among those alive in the month (first seen before its end, not deleted before its start).
-- Grain: one row per resource of the provider.
-- Binds: provider (text); period_start, period_end (instants, the month half-open).
SELECT CAST(r.id AS TEXT) AS id, r.provider_id, r.kind, r.name, r.region, r.size_slug,
       CASE WHEN r.first_seen_at < :period_end AND (r.deleted_at IS NULL OR r.deleted_at >= :period_start)
            THEN 1 ELSE 0 END AS alive
FROM cloud_resources AS r
WHERE r.provider = :provider
