-- Hold off any other import of the same invoice and month until this transaction ends (two imports at once
-- would each delete the old lines, neither the other's new ones, and both insert).
-- Grain: one row. Binds: lock_key (text: provider, invoice id and month).
SELECT pg_advisory_xact_lock(hashtextextended(:lock_key, 0)) IS NULL AS locked
