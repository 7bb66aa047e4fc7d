-- Scale demo: refresh the planner's statistics after the load (every table of the database).
-- Binds: none.
ANALYZE
