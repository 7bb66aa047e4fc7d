-- Scale demo: after the load, mark the new rows' pages all-visible (index-only scans need no heap visit) and
-- refresh the planner's statistics, for every table of the database: what autovacuum would do some minutes
-- later, so a figure timed just after the build reads the database as it will be. Outside a transaction.
-- Binds: none.
VACUUM (ANALYZE)
