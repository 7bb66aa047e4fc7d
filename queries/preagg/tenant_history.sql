-- Per-tenant revenue and COGS of each month of a range, from the pre-aggregates (PostgreSQL; same result
-- as ../tenant_history.sql). Revenue: live invoices of the months (index on tenant_invoices.period);
-- COGS: agg_cost_tenant, kept per month under COALESCE(deployment.tenant_id, resource.tenant_id), as
-- tenant_pnl.sql reads it. Its NULL tenant (the unattributed COGS) is left out.
-- The two sides are matched with a join, not summed in one grouping: agg_cost_tenant is already one row
-- per (period, tenant_id, currency), and a grouping of both sides at 5,000 tenants × 12 months spills to disk.
-- Grain: one row per (tenant_id, period, currency).
-- Binds: period_start, period_end (dates, half-open; both first days of months).
WITH revenue AS (
    SELECT i.tenant_id, i.period, i.currency, SUM(i.subtotal_cents) AS revenue_cents
    FROM tenant_invoices AS i
    WHERE i.period >= :period_start AND i.period < :period_end AND i.status <> 'void'
    GROUP BY i.tenant_id, i.period, i.currency
),
cogs AS (
    SELECT a.tenant_id, a.period, a.currency, a.amount_cents AS cogs_cents
    FROM agg_cost_tenant AS a
    WHERE a.period >= :period_start AND a.period < :period_end AND a.tenant_id IS NOT NULL
)
SELECT COALESCE(r.tenant_id, c.tenant_id) AS tenant_id, COALESCE(r.period, c.period) AS period,
       COALESCE(r.currency, c.currency) AS currency,
       CAST(COALESCE(r.revenue_cents, 0) AS BIGINT) AS revenue_cents,
       CAST(COALESCE(c.cogs_cents, 0) AS BIGINT) AS cogs_cents
FROM revenue AS r
FULL JOIN cogs AS c ON c.tenant_id = r.tenant_id AND c.period = r.period AND c.currency = r.currency
