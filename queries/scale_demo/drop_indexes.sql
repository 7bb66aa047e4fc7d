-- Scale demo: drop the indexes remembered by save_indexes (inside the load's transaction).
-- Binds: none.
DO $$
DECLARE
    saved record;
BEGIN
    FOR saved IN SELECT * FROM scale_saved_indexes LOOP
        IF saved.constraint_name IS NOT NULL THEN
            EXECUTE format('ALTER TABLE %I.%I DROP CONSTRAINT %I',
                           saved.schema_name, saved.table_name, saved.constraint_name);
        ELSE
            EXECUTE format('DROP INDEX %I.%I', saved.schema_name, saved.index_name);
        END IF;
    END LOOP;
END
$$
