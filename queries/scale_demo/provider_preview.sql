-- Scale demo: the preview written by cost_lines_preview, recorded as in place for the default account (as the
-- importer records what it put in place), and the daily sync that brought it, five minutes after it was made.
-- Grain: one provider_invoices row for now's month (none when the month has no preview yet), and its sync.
-- Binds: month_period (date), preview_through (instant).
WITH preview AS (
    INSERT INTO provider_invoices (provider, account, period, provider_invoice_id, source, as_of, lines_through,
                                   described, line_count, amount_cents, currency, imported_at)
    SELECT 'digitalocean', 'default', period, provider_invoice_id, 'preview', CAST(:preview_through AS timestamptz),
           max(end_at), 'DigitalOcean preview (scale demo)', count(*), sum(amount_cents), 'USD',
           CAST(:preview_through AS timestamptz) + interval '5 minutes'
    FROM cloud_cost_lines
    WHERE period = CAST(:month_period AS date)
    GROUP BY period, provider_invoice_id
    RETURNING imported_at, period
)
INSERT INTO provider_syncs (provider, account, attempted_at, succeeded_at, outcome)
SELECT 'digitalocean', 'default', imported_at, imported_at,
       'ok: imported ' || trim(to_char(period, 'Month')) || ' ' || to_char(period, 'YYYY') || ' preview'
FROM preview
