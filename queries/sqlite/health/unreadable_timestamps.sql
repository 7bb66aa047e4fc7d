-- Timestamps and dates SQLite cannot read (strftime()/date() give NULL: '10000-01-05', 'yesterday'):
-- every figure skips their rows. PostgreSQL's typed columns cannot hold such values.
-- Grain: up to 5 example (table, row, column) values, each carrying problem_count (all such values).
-- Binds: none.
WITH unreadable AS (
    SELECT 'usage_records' AS source, id AS row_id, 'recorded_at' AS column_name, recorded_at AS value
    FROM usage_records WHERE strftime('%Y-%m-%d %H:%M:%f', recorded_at) IS NULL
    UNION ALL
    SELECT 'subscriptions', id, 'started_at', started_at
    FROM subscriptions WHERE strftime('%Y-%m-%d %H:%M:%f', started_at) IS NULL
    UNION ALL
    SELECT 'subscriptions', id, 'ended_at', ended_at
    FROM subscriptions WHERE ended_at IS NOT NULL AND strftime('%Y-%m-%d %H:%M:%f', ended_at) IS NULL
    UNION ALL
    SELECT 'cloud_resources', id, 'first_seen_at', first_seen_at
    FROM cloud_resources WHERE strftime('%Y-%m-%d %H:%M:%f', first_seen_at) IS NULL
    UNION ALL
    SELECT 'cloud_resources', id, 'deleted_at', deleted_at
    FROM cloud_resources WHERE deleted_at IS NOT NULL AND strftime('%Y-%m-%d %H:%M:%f', deleted_at) IS NULL
    UNION ALL
    SELECT 'cloud_cost_lines', id, 'period', period
    FROM cloud_cost_lines WHERE date(period) IS NULL
    UNION ALL
    SELECT 'tenant_invoices', id, 'period', period
    FROM tenant_invoices WHERE date(period) IS NULL
)
SELECT source, row_id, column_name, substr(CAST(value AS TEXT), 1, 60) AS value, COUNT(*) OVER () AS problem_count
FROM unreadable
ORDER BY source, row_id, column_name
LIMIT 5
