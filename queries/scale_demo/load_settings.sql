-- Scale demo: memory for the load's sorts, hashes and index builds, for this transaction only; no JIT
-- (compiling these wide expressions costs more than it saves).
-- Binds: none.
SELECT set_config('work_mem', '256MB', true), set_config('maintenance_work_mem', '1GB', true),
       set_config('jit', 'off', true)
