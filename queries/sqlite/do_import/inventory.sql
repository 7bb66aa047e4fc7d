-- A provider's resources, to match invoice items with: by provider id (any resource), or by kind and name
-- among those alive in the month (SQLite: ISO text normalised to UTC before it is compared).
-- Grain: one row per resource of the provider.
-- Binds: provider (text); period_start, period_end ('YYYY-MM-DD HH:MM:SS.SSS' UTC, the month half-open).
SELECT r.id, r.provider_id, r.kind, r.name, r.region, r.size_slug,
       CASE WHEN strftime('%Y-%m-%d %H:%M:%f', r.first_seen_at) < :period_end
                 AND (r.deleted_at IS NULL OR strftime('%Y-%m-%d %H:%M:%f', r.deleted_at) >= :period_start)
            THEN 1 ELSE 0 END AS alive
FROM cloud_resources AS r
WHERE r.provider = :provider
