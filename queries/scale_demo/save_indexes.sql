-- Scale demo: remember the indexes and unique/primary-key constraints of the three big tables (usage
-- records, cost lines, invoice lines) in a scratch table, so they can be dropped for the bulk load and
-- rebuilt once afterwards (one sort per index instead of millions of random inserts). Indexes that a
-- foreign key depends on are kept.
-- Grain: one row per index. Binds: none.
CREATE TEMPORARY TABLE scale_saved_indexes ON COMMIT DROP AS
SELECT n.nspname AS schema_name, t.relname AS table_name, i.relname AS index_name,
       con.conname AS constraint_name, pg_get_indexdef(i.oid) AS index_definition,
       pg_get_constraintdef(con.oid) AS constraint_definition
FROM pg_index AS x
JOIN pg_class AS i ON i.oid = x.indexrelid
JOIN pg_class AS t ON t.oid = x.indrelid
JOIN pg_namespace AS n ON n.oid = t.relnamespace
LEFT JOIN pg_constraint AS con ON con.conindid = i.oid AND con.conrelid = t.oid AND con.contype IN ('p', 'u')
WHERE n.nspname = current_schema()
  AND t.relname IN ('usage_records', 'cloud_cost_lines', 'tenant_invoice_lines')
  AND NOT EXISTS (SELECT 1 FROM pg_constraint AS f WHERE f.contype = 'f' AND f.conindid = i.oid)
