-- Provider cost lines whose kind is not one of the contract's normalised kinds (CONTRACT.md §1).
-- Grain: up to 5 example lines, each carrying problem_count (all such lines).
-- Binds: period_start, period_end (dates, half-open): a range on period (ix_cloud_cost_lines_period).
SELECT CAST(c.id AS TEXT) AS cost_line_id, c.period, c.kind, c.description, c.amount_cents, c.currency,
       COUNT(*) OVER () AS problem_count
FROM cloud_cost_lines AS c
WHERE c.period >= :period_start AND c.period < :period_end
  AND c.kind NOT IN ('droplet', 'volume', 'snapshot', 'backup', 'load_balancer', 'database', 'spaces',
                     'kubernetes', 'bandwidth', 'other')
ORDER BY c.period, cost_line_id
LIMIT 5
