-- Insert an import's cost lines in one statement: the pre-aggregate triggers run once per statement, and
-- a driver's executemany would run one INSERT (and the triggers) per line (PostgreSQL only; SQLite has no
-- triggers and inserts through SQLAlchemy's executemany).
-- Grain: one row per line; returns the count and sum inserted, which the import checks against its plan.
-- Binds: one array per column, an element per line (ids, invoice_ids, provider_resource_ids, resource_ids,
--        kinds, products, descriptions, quantities, units, starts, ends, amounts); provider, period, currency.
WITH inserted AS (
    INSERT INTO cloud_cost_lines (id, provider, provider_invoice_id, period, provider_resource_id, resource_id,
                                  kind, product, description, quantity, unit, start_at, end_at, amount_cents, currency)
    SELECT l.id, CAST(:provider AS text), l.invoice_id, CAST(:period AS date), l.provider_resource_id, l.resource_id,
           l.kind, l.product, l.description, l.quantity, l.unit, l.start_at, l.end_at, l.amount_cents,
           CAST(:currency AS text)
    FROM unnest(CAST(:ids AS uuid[]), CAST(:invoice_ids AS text[]), CAST(:provider_resource_ids AS text[]),
                CAST(:resource_ids AS uuid[]), CAST(:kinds AS text[]), CAST(:products AS text[]),
                CAST(:descriptions AS text[]), CAST(:quantities AS numeric[]), CAST(:units AS text[]),
                CAST(:starts AS timestamptz[]), CAST(:ends AS timestamptz[]), CAST(:amounts AS bigint[]))
         AS l (id, invoice_id, provider_resource_id, resource_id, kind, product, description, quantity, unit,
               start_at, end_at, amount_cents)
    RETURNING amount_cents
)
SELECT COUNT(*) AS line_count, COALESCE(SUM(amount_cents), 0) AS amount_cents FROM inserted
