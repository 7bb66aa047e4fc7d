-- Scale demo: skip user triggers (the pre-aggregates, rebuilt once at the end) and foreign-key checks
-- for this transaction. Needs superuser (or the SET privilege on the parameter); the caller falls back
-- to a normal load when it is refused.
-- Binds: none.
SET LOCAL session_replication_role = replica
