-- Hold off any other import until this transaction ends (SQLite: a write that changes nothing takes the
-- database's write lock now, so a second import waits here instead of failing half-way).
-- Grain: no rows. Binds: lock_key (unused: SQLite has one write lock for the whole database).
DELETE FROM cloud_cost_lines WHERE :lock_key IS NULL AND 0 = 1 RETURNING id
