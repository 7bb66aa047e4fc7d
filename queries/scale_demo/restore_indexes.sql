-- Scale demo: rebuild the indexes and constraints remembered by save_indexes, after the bulk load.
-- Binds: none.
DO $$
DECLARE
    saved record;
BEGIN
    FOR saved IN SELECT * FROM scale_saved_indexes LOOP
        IF saved.constraint_name IS NOT NULL THEN
            EXECUTE format('ALTER TABLE %I.%I ADD CONSTRAINT %I %s', saved.schema_name, saved.table_name,
                           saved.constraint_name, saved.constraint_definition);
        ELSE
            EXECUTE saved.index_definition;
        END IF;
    END LOOP;
END
$$
