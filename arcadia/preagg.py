"""Exact pre-aggregates on PostgreSQL, kept by triggers on the contract tables.

Other programs write the contract tables with plain SQL, and the dashboard only
reads, so nothing may depend on a refresh command: every change to a source
row reaches the aggregates in the same transaction, through triggers that
`db init` (`schema.create_all`) installs.

- Bulk tables (cost lines, invoices, invoice lines, usage readings) have
  statement-level triggers with transition tables: one grouped upsert per
  statement, however many rows it writes.
- Attribution tables (resources, deployments) and invoice status changes have
  row-level triggers that fire only when an attributing column really changes
  (a `WHEN` clause, so an inventory sync that only touches last_seen_at costs
  nothing); they move the affected cost or revenue from the old owner to the new.
- Inserting a resource or deployment, or deleting one, never moves money: the
  contract's foreign keys keep cost lines from pointing at a row that does not
  exist (and invoice lines at an invoice that does not exist).

Each aggregate row carries a count of the source rows in it; a row whose count
drops to 0 is deleted, so "a month has data" is "it has aggregate rows".

The aggregates (all amounts in cents, months as first-of-month dates):

| table | grain | read by |
|---|---|---|
| agg_cost_tenant | month, tenant (NULL: unattributed), currency | tenant_pnl |
| agg_cost_kind | month, provider kind, currency | cogs_by_kind, monthly_pnl, data_months |
| agg_invoice | month, currency | monthly_pnl, data_months |
| agg_revenue_deployment | month, deployment, invoice tenant, currency | deployment_pnl |
| agg_revenue_kind | month, billing kind, currency | revenue_by_kind |
| agg_pnl_deployment | month, deployment, currency (revenue and COGS side by side) | deployment_pnl |
| agg_usage_hour / _quarter_day / _day / _month | subscription, catalog item, UTC hour / 6 h / day / month | usage_parts |
| agg_subscription_items | subscription: its item list as text | active_subscription_items (live accrual) |

Needs PostgreSQL 15 or newer (unique indexes with NULLS NOT DISTINCT).
"""

from __future__ import annotations

from typing import NamedTuple

import sqlalchemy as sa

TABLES = """
CREATE TABLE IF NOT EXISTS agg_cost_tenant (
    period date NOT NULL, tenant_id text, currency text NOT NULL,
    amount_cents numeric NOT NULL, line_count bigint NOT NULL);
CREATE UNIQUE INDEX IF NOT EXISTS uq_agg_cost_tenant
    ON agg_cost_tenant (period, tenant_id, currency) NULLS NOT DISTINCT;
CREATE INDEX IF NOT EXISTS ix_agg_cost_tenant_empty ON agg_cost_tenant (period) WHERE line_count = 0;

CREATE TABLE IF NOT EXISTS agg_cost_kind (
    period date NOT NULL, kind text NOT NULL, currency text NOT NULL,
    amount_cents numeric NOT NULL, line_count bigint NOT NULL);
CREATE UNIQUE INDEX IF NOT EXISTS uq_agg_cost_kind ON agg_cost_kind (period, kind, currency) NULLS NOT DISTINCT;
CREATE INDEX IF NOT EXISTS ix_agg_cost_kind_empty ON agg_cost_kind (period) WHERE line_count = 0;

CREATE TABLE IF NOT EXISTS agg_invoice (
    period date NOT NULL, currency text NOT NULL,
    live_subtotal_cents numeric NOT NULL, live_count bigint NOT NULL, invoice_count bigint NOT NULL);
CREATE UNIQUE INDEX IF NOT EXISTS uq_agg_invoice ON agg_invoice (period, currency) NULLS NOT DISTINCT;
CREATE INDEX IF NOT EXISTS ix_agg_invoice_empty ON agg_invoice (period) WHERE invoice_count = 0;

CREATE TABLE IF NOT EXISTS agg_revenue_deployment (
    period date NOT NULL, deployment_id uuid NOT NULL, tenant_id text, currency text NOT NULL,
    amount_cents numeric NOT NULL, line_count bigint NOT NULL);
CREATE UNIQUE INDEX IF NOT EXISTS uq_agg_revenue_deployment
    ON agg_revenue_deployment (period, deployment_id, tenant_id, currency) NULLS NOT DISTINCT;
CREATE INDEX IF NOT EXISTS ix_agg_revenue_deployment_empty ON agg_revenue_deployment (period) WHERE line_count = 0;

CREATE TABLE IF NOT EXISTS agg_revenue_kind (
    period date NOT NULL, billing_kind text NOT NULL, currency text NOT NULL,
    amount_cents numeric NOT NULL, line_count bigint NOT NULL);
CREATE UNIQUE INDEX IF NOT EXISTS uq_agg_revenue_kind
    ON agg_revenue_kind (period, billing_kind, currency) NULLS NOT DISTINCT;
CREATE INDEX IF NOT EXISTS ix_agg_revenue_kind_empty ON agg_revenue_kind (period) WHERE line_count = 0;

-- Usage per UTC hour and per quarter of a UTC day (00-06, 06-12, 12-18, 18-24 h): with the days and months below,
-- the live accrual reads less than an hour of raw readings at each edge of its window, and at most a few hours'
-- and quarters' aggregate rows (arcadia/usage_parts.py). `hour` and `quarter_start` are the span's first instant.
CREATE TABLE IF NOT EXISTS agg_usage_hour (
    subscription_id uuid NOT NULL, catalog_item_id uuid NOT NULL, hour timestamptz NOT NULL,
    quantity numeric NOT NULL, reading_count bigint NOT NULL);
CREATE UNIQUE INDEX IF NOT EXISTS uq_agg_usage_hour ON agg_usage_hour (hour, subscription_id, catalog_item_id);
CREATE INDEX IF NOT EXISTS ix_agg_usage_hour_empty ON agg_usage_hour (hour) WHERE reading_count = 0;

CREATE TABLE IF NOT EXISTS agg_usage_quarter_day (
    subscription_id uuid NOT NULL, catalog_item_id uuid NOT NULL, quarter_start timestamptz NOT NULL,
    quantity numeric NOT NULL, reading_count bigint NOT NULL);
CREATE UNIQUE INDEX IF NOT EXISTS uq_agg_usage_quarter_day
    ON agg_usage_quarter_day (quarter_start, subscription_id, catalog_item_id);
CREATE INDEX IF NOT EXISTS ix_agg_usage_quarter_day_empty ON agg_usage_quarter_day (quarter_start)
    WHERE reading_count = 0;

CREATE TABLE IF NOT EXISTS agg_usage_day (
    subscription_id uuid NOT NULL, catalog_item_id uuid NOT NULL, day date NOT NULL,
    quantity numeric NOT NULL, reading_count bigint NOT NULL);
CREATE UNIQUE INDEX IF NOT EXISTS uq_agg_usage_day ON agg_usage_day (day, subscription_id, catalog_item_id);
CREATE INDEX IF NOT EXISTS ix_agg_usage_day_empty ON agg_usage_day (day) WHERE reading_count = 0;

CREATE TABLE IF NOT EXISTS agg_usage_month (
    subscription_id uuid NOT NULL, catalog_item_id uuid NOT NULL, period date NOT NULL,
    quantity numeric NOT NULL, reading_count bigint NOT NULL);
CREATE UNIQUE INDEX IF NOT EXISTS uq_agg_usage_month ON agg_usage_month (period, subscription_id, catalog_item_id);
CREATE INDEX IF NOT EXISTS ix_agg_usage_month_empty ON agg_usage_month (period) WHERE reading_count = 0;

CREATE TABLE IF NOT EXISTS agg_pnl_deployment (
    period date NOT NULL, deployment_id uuid NOT NULL, currency text NOT NULL,
    revenue_cents numeric NOT NULL, revenue_lines bigint NOT NULL, cogs_cents numeric NOT NULL, cost_lines bigint NOT NULL);
CREATE UNIQUE INDEX IF NOT EXISTS uq_agg_pnl_deployment
    ON agg_pnl_deployment (period, deployment_id, currency) NULLS NOT DISTINCT;
CREATE INDEX IF NOT EXISTS ix_agg_pnl_deployment_empty ON agg_pnl_deployment (period)
    WHERE revenue_lines + cost_lines = 0;

-- The live COGS estimate's inputs (arcadia/estimate.py): per resource and month its cost and how far its lines
-- run (first start; last end, a line without end_at running to the month's end; last end or, without one, when it
-- was written; last written), and per provider invoice and month the same coverage. Minimum and maximum do not
-- subtract: a delete or update recomputes the groups it touched from the raw lines (by the indexes on
-- resource_id and on provider_invoice_id).
-- A resource-month row also carries what the estimate needs of its resource, so that it joins no table of
-- hundreds of thousands of rows: the resource's tenant (COALESCE(deployment.tenant_id, resource.tenant_id)),
-- first_seen_at and deleted_at, and next_through: where its lines of the next month stop (the latest end or
-- write, never past the latest write), NULL without any; kept by the cost-line triggers and by row triggers on
-- resources and deployments.
CREATE TABLE IF NOT EXISTS agg_cost_resource (
    period date NOT NULL, resource_id uuid NOT NULL, currency text NOT NULL,
    amount_cents numeric NOT NULL, line_count bigint NOT NULL, first_start_at timestamptz,
    last_end_at timestamptz NOT NULL, last_written_end_at timestamptz NOT NULL, last_inserted_at timestamptz NOT NULL,
    tenant_id text, first_seen_at timestamptz, deleted_at timestamptz, next_through timestamptz)
    WITH (fillfactor = 80);  -- room on each page: a daily preview rewrites last month's next_through in place (HOT)
-- (A table made by an earlier build of this issue lacks the carried columns: added empty, filled by the rebuild.)
ALTER TABLE agg_cost_resource ADD COLUMN IF NOT EXISTS tenant_id text, ADD COLUMN IF NOT EXISTS first_seen_at timestamptz,
    ADD COLUMN IF NOT EXISTS deleted_at timestamptz, ADD COLUMN IF NOT EXISTS next_through timestamptz;
ALTER TABLE agg_cost_resource SET (fillfactor = 80);
CREATE UNIQUE INDEX IF NOT EXISTS uq_agg_cost_resource ON agg_cost_resource (period, resource_id, currency);
CREATE INDEX IF NOT EXISTS ix_agg_cost_resource_resource ON agg_cost_resource (resource_id, period);

CREATE TABLE IF NOT EXISTS agg_cost_invoice (
    period date NOT NULL, provider_invoice_id text NOT NULL, line_count bigint NOT NULL,
    last_written_end_at timestamptz NOT NULL, last_inserted_at timestamptz NOT NULL);
CREATE UNIQUE INDEX IF NOT EXISTS uq_agg_cost_invoice ON agg_cost_invoice (period, provider_invoice_id);
CREATE INDEX IF NOT EXISTS ix_cloud_cost_lines_invoice ON cloud_cost_lines (provider_invoice_id, period);

CREATE TABLE IF NOT EXISTS agg_subscription_items (
    subscription_id uuid PRIMARY KEY, items text NOT NULL);

-- Sums of bigint amounts can pass the bigint range (two lines of 9e18 cents): the aggregates hold them
-- exactly, and a figure whose sum does not fit says so when it is read. (Tables made before were bigint.)
ALTER TABLE agg_cost_tenant ALTER COLUMN amount_cents TYPE numeric;
ALTER TABLE agg_cost_kind ALTER COLUMN amount_cents TYPE numeric;
ALTER TABLE agg_invoice ALTER COLUMN live_subtotal_cents TYPE numeric;
ALTER TABLE agg_revenue_deployment ALTER COLUMN amount_cents TYPE numeric;
ALTER TABLE agg_revenue_kind ALTER COLUMN amount_cents TYPE numeric;
ALTER TABLE agg_pnl_deployment ALTER COLUMN revenue_cents TYPE numeric, ALTER COLUMN cogs_cents TYPE numeric;
"""

AGGREGATES = ["agg_cost_tenant", "agg_cost_kind", "agg_invoice", "agg_revenue_deployment", "agg_revenue_kind",
              "agg_pnl_deployment", "agg_usage_hour", "agg_usage_quarter_day", "agg_usage_day", "agg_usage_month",
              "agg_subscription_items", "agg_cost_resource", "agg_cost_invoice"]


def _upsert(table: str, keys: list[str], values: dict[str, str], count: str, source: str) -> str:
    """Add a grouped delta into an aggregate, then drop the rows whose source count fell to 0.

    `source` selects the key columns and the signed value columns from `{delta}`
    (the changed rows, each with `sign` = +1 or -1); groups that net to nothing
    (an update that moved no money) are not written at all.
    """
    columns = keys + list(values)
    sums = ", ".join(f"CAST(SUM(s.{v}) AS {t})" for v, t in values.items())
    netted = " OR ".join(f"SUM(s.{v}) <> 0" for v in values)
    updates = ", ".join(f"{v} = a.{v} + EXCLUDED.{v}" for v in values)
    key_list = ", ".join(keys)
    return (
        f"INSERT INTO {table} AS a ({', '.join(columns)})\n"
        f"SELECT {', '.join('s.' + k for k in keys)}, {sums}\n"
        f"FROM ({source}) AS s\n"
        f"GROUP BY {', '.join('s.' + k for k in keys)} HAVING {netted}\n"
        f"ORDER BY {', '.join('s.' + k for k in keys)}\n"
        f"ON CONFLICT ({key_list}) DO UPDATE SET {updates};\n"
        f"DELETE FROM {table} WHERE {count} = 0;\n"
    )


PNL_DEPLOYMENT = (["period", "deployment_id", "currency"],
                  {"revenue_cents": "numeric", "revenue_lines": "bigint", "cogs_cents": "numeric", "cost_lines": "bigint"},
                  "revenue_lines + cost_lines")

# Each source table's contributions. `{delta}` is a row set shaped like the source
# table plus a `sign` column: the new rows (+1), the old rows (-1), or the whole table (+1, rebuild).
MONTH = "CAST(date_trunc('month', x.period) AS date)"
SOURCES: dict[str, list[str]] = {
    "cloud_cost_lines": [
        _upsert("agg_cost_tenant", ["period", "tenant_id", "currency"],
                {"amount_cents": "numeric", "line_count": "bigint"}, "line_count",
                f"SELECT {MONTH} AS period, COALESCE(d.tenant_id, r.tenant_id) AS tenant_id, "
                "x.currency, x.sign * x.amount_cents AS amount_cents, x.sign AS line_count "
                "FROM {delta} AS x LEFT JOIN cloud_resources AS r ON r.id = x.resource_id "
                "LEFT JOIN cloud_deployments AS d ON d.id = r.deployment_id"),
        _upsert("agg_cost_kind", ["period", "kind", "currency"],
                {"amount_cents": "numeric", "line_count": "bigint"}, "line_count",
                f"SELECT {MONTH} AS period, x.kind, x.currency, x.sign * x.amount_cents AS amount_cents, "
                "x.sign AS line_count FROM {delta} AS x"),
        _upsert("agg_pnl_deployment", *PNL_DEPLOYMENT,
                f"SELECT {MONTH} AS period, r.deployment_id, x.currency, 0 AS revenue_cents, 0 AS revenue_lines, "
                "x.sign * x.amount_cents AS cogs_cents, x.sign AS cost_lines "
                "FROM {delta} AS x JOIN cloud_resources AS r ON r.id = x.resource_id WHERE r.deployment_id IS NOT NULL"),
    ],
    "tenant_invoices": [
        _upsert("agg_invoice", ["period", "currency"],
                {"live_subtotal_cents": "numeric", "live_count": "bigint", "invoice_count": "bigint"}, "invoice_count",
                f"SELECT {MONTH} AS period, x.currency, "
                "CASE WHEN x.status <> 'void' THEN x.sign * x.subtotal_cents ELSE 0 END AS live_subtotal_cents, "
                "CASE WHEN x.status <> 'void' THEN x.sign ELSE 0 END AS live_count, x.sign AS invoice_count "
                "FROM {delta} AS x"),
    ],
    "tenant_invoice_lines": [
        _upsert("agg_revenue_deployment", ["period", "deployment_id", "tenant_id", "currency"],
                {"amount_cents": "numeric", "line_count": "bigint"}, "line_count",
                "SELECT CAST(date_trunc('month', i.period) AS date) AS period, x.deployment_id, i.tenant_id, "
                "i.currency, x.sign * x.amount_cents AS amount_cents, x.sign AS line_count "
                "FROM {delta} AS x JOIN tenant_invoices AS i ON i.id = x.invoice_id "
                "WHERE i.status <> 'void' AND x.deployment_id IS NOT NULL"),
        _upsert("agg_revenue_kind", ["period", "billing_kind", "currency"],
                {"amount_cents": "numeric", "line_count": "bigint"}, "line_count",
                "SELECT CAST(date_trunc('month', i.period) AS date) AS period, x.billing_kind, i.currency, "
                "x.sign * x.amount_cents AS amount_cents, x.sign AS line_count "
                "FROM {delta} AS x JOIN tenant_invoices AS i ON i.id = x.invoice_id WHERE i.status <> 'void'"),
        _upsert("agg_pnl_deployment", *PNL_DEPLOYMENT,
                "SELECT CAST(date_trunc('month', i.period) AS date) AS period, x.deployment_id, i.currency, "
                "x.sign * x.amount_cents AS revenue_cents, x.sign AS revenue_lines, 0 AS cogs_cents, 0 AS cost_lines "
                "FROM {delta} AS x JOIN tenant_invoices AS i ON i.id = x.invoice_id "
                "WHERE i.status <> 'void' AND x.deployment_id IS NOT NULL"),
    ],
    "usage_records": [
        _upsert("agg_usage_hour", ["hour", "subscription_id", "catalog_item_id"],
                {"quantity": "numeric", "reading_count": "bigint"}, "reading_count",
                "SELECT date_trunc('hour', x.recorded_at, 'UTC') AS hour, x.subscription_id, x.catalog_item_id, "
                "x.sign * x.quantity AS quantity, x.sign AS reading_count FROM {delta} AS x"),
        _upsert("agg_usage_quarter_day", ["quarter_start", "subscription_id", "catalog_item_id"],
                {"quantity": "numeric", "reading_count": "bigint"}, "reading_count",
                "SELECT date_bin('6 hours', x.recorded_at, TIMESTAMPTZ '2000-01-01 00:00:00+00') AS quarter_start, "
                "x.subscription_id, x.catalog_item_id, x.sign * x.quantity AS quantity, x.sign AS reading_count "
                "FROM {delta} AS x"),
        _upsert("agg_usage_day", ["day", "subscription_id", "catalog_item_id"],
                {"quantity": "numeric", "reading_count": "bigint"}, "reading_count",
                "SELECT CAST(x.recorded_at AT TIME ZONE 'UTC' AS date) AS day, x.subscription_id, x.catalog_item_id, "
                "x.sign * x.quantity AS quantity, x.sign AS reading_count FROM {delta} AS x"),
        _upsert("agg_usage_month", ["period", "subscription_id", "catalog_item_id"],
                {"quantity": "numeric", "reading_count": "bigint"}, "reading_count",
                "SELECT CAST(date_trunc('month', x.recorded_at AT TIME ZONE 'UTC') AS date) AS period, "
                "x.subscription_id, x.catalog_item_id, x.sign * x.quantity AS quantity, x.sign AS reading_count "
                "FROM {delta} AS x"),
    ],
}


class Extremes(NamedTuple):
    """An aggregate with minimum and maximum columns, which a subtraction cannot undo: an insert widens its rows;
    a delete or update recomputes the groups it touched from the raw rows (of `source`, by an index on `touched`).

    Expressions are over `x`, a row of the source table (or of `{delta}`)."""

    table: str
    source: str
    keys: dict[str, str]  # key column: expression
    where: str  # the rows that count
    values: dict[str, tuple[str, str]]  # column: (SUM, COUNT, MIN or MAX, expression)
    touched: dict[str, str]  # the coarser key recomputed after a delete or update (column: expression)
    match: str  # a raw row x of a touched group k

    def insert(self, rows: str) -> str:
        """Add the rows `rows` (the new rows, or the whole table for a rebuild) into the aggregate."""
        updates = ", ".join(f"{c} = {self._combine(f, c)}" for c, (f, _) in self.values.items())
        return (self._select(f"{rows} AS x") + f"ON CONFLICT ({', '.join(self.keys)}) DO UPDATE SET {updates};\n"
                + self._after(rows))

    @staticmethod
    def _combine(function: str, column: str) -> str:
        """An existing row's value with an insert's (EXCLUDED) for an aggregate function."""
        return {"SUM": "a.{c} + EXCLUDED.{c}", "COUNT": "a.{c} + EXCLUDED.{c}", "MIN": "LEAST(a.{c}, EXCLUDED.{c})",
                "MAX": "GREATEST(a.{c}, EXCLUDED.{c})"}[function].format(c=column)

    def _groups(self, delta: str) -> str:
        """The touched groups of a statement's changed rows (`delta`)."""
        return (f"(SELECT DISTINCT {', '.join(f'{e} AS {c}' for c, e in self.touched.items())} "
                f"FROM {delta} AS x WHERE {self.where})")

    def recompute(self, delta: str) -> str:
        """Recompute from the raw rows every group a statement's changed rows (`delta`: old and new) touched."""
        groups = self._groups(delta)
        same = " AND ".join(f"a.{c} = k.{c}" for c in self.touched)
        return (f"DELETE FROM {self.table} AS a USING {groups} AS k WHERE {same};\n"
                + self._select(f"{self.source} AS x JOIN {groups} AS k ON {self.match}") + ";\n"
                + self._after(delta))

    @property
    def columns(self) -> list[str]:
        return [*self.keys, *self.values]

    def grouped(self, rows: str) -> str:
        """SELECT the groups of `rows` (a FROM clause whose row is `x`); ordered by their keys, the order in which
        concurrent writers lock aggregate rows."""
        exprs = [*(f"{e} AS {c}" for c, e in self.keys.items()),
                 *(f"{f}({e}) AS {c}" for c, (f, e) in self.values.items())]
        positions = ", ".join(str(n) for n in range(1, len(self.keys) + 1))
        return (f"SELECT {', '.join(exprs)}\nFROM {rows}\nWHERE {self.where}\n"
                f"GROUP BY {positions} ORDER BY {positions}\n")

    def _select(self, rows: str) -> str:
        """INSERT … SELECT the groups of `rows` (a FROM clause whose row is `x`)."""
        return f"INSERT INTO {self.table} AS a ({', '.join(self.columns)})\n" + self.grouped(rows)

    def _after(self, delta: str) -> str:
        """What else a statement's changed rows (`delta`) change, once the aggregate is written (nothing here)."""
        return ""


_NEXT_THROUGH = ("SELECT LEAST(MAX(n.last_written_end_at), MAX(n.last_inserted_at)) FROM agg_cost_resource AS n "
                 "WHERE n.resource_id = {resource} AND n.period = {period}")


class CarriedExtremes(Extremes):
    """agg_cost_resource: Extremes whose rows also carry their resource's tenant, first_seen_at and deleted_at and
    the next month's next_through, filled in the statement that writes the row (a row written twice costs twice);
    a change to a month's lines then sets next_through of the month before."""

    def _select(self, rows: str, next_through: str = "", joins: str = "") -> str:
        """INSERT the groups of `rows` with their carried columns; next_through by a lookup per row unless the
        caller joins it in (`joins`, `next_through`: a rebuild groups it once)."""
        next_through = next_through or "(" + _NEXT_THROUGH.format(
            resource="b.resource_id", period="CAST(b.period + INTERVAL '1 month' AS date)") + ")"
        return (f"INSERT INTO {self.table} AS a ({', '.join(self.columns)}, {', '.join(CARRIED)})\n"
                f"SELECT b.*, COALESCE(d.tenant_id, r.tenant_id), r.first_seen_at, r.deleted_at, {next_through}\n"
                f"FROM ({self.grouped(rows)}) AS b\n"
                "LEFT JOIN cloud_resources AS r ON r.id = b.resource_id "
                f"LEFT JOIN cloud_deployments AS d ON d.id = r.deployment_id\n{joins}"
                "ORDER BY 1, 2, 3\n")  # a month's rows together (a rebuild): the estimate reads a month of them

    def _after(self, delta: str) -> str:
        """next_through of the month before each resource-month the changed rows (`delta`) touched."""
        through = _NEXT_THROUGH.format(resource="k.resource_id", period="k.period")
        return ("UPDATE agg_cost_resource AS a SET next_through = v.through\n"
                f"FROM (SELECT k.resource_id, CAST(k.period - INTERVAL '1 month' AS date) AS period, ({through}) AS through"
                f"\n      FROM {self._groups(delta)} AS k OFFSET 0) AS v\n"  # OFFSET 0: each lookup made once
                "WHERE a.resource_id = v.resource_id AND a.period = v.period AND a.next_through IS DISTINCT FROM v.through;\n")


CARRIED = ("tenant_id", "first_seen_at", "deleted_at", "next_through")


_LINE_MONTH_END = "(CAST(date_trunc('month', x.period) AS date) + INTERVAL '1 month') AT TIME ZONE 'UTC'"
_IN_MONTH = "x.period >= k.period AND x.period < CAST(k.period + INTERVAL '1 month' AS date)"
EXTREMES: dict[str, list[Extremes]] = {
    "cloud_cost_lines": [
        CarriedExtremes("agg_cost_resource", "cloud_cost_lines",
                        {"period": MONTH, "resource_id": "x.resource_id", "currency": "x.currency"},
                        "x.resource_id IS NOT NULL",
                        {"amount_cents": ("SUM", "x.amount_cents"), "line_count": ("COUNT", "*"),
                         "first_start_at": ("MIN", "x.start_at"),
                         "last_end_at": ("MAX", f"COALESCE(x.end_at, {_LINE_MONTH_END})"),
                         "last_written_end_at": ("MAX", "COALESCE(x.end_at, x.inserted_at)"),
                         "last_inserted_at": ("MAX", "x.inserted_at")},
                        {"resource_id": "x.resource_id", "period": MONTH}, f"x.resource_id = k.resource_id AND {_IN_MONTH}"),
        Extremes("agg_cost_invoice", "cloud_cost_lines",
                 {"period": MONTH, "provider_invoice_id": "x.provider_invoice_id"}, "TRUE",
                 {"line_count": ("COUNT", "*"), "last_written_end_at": ("MAX", "COALESCE(x.end_at, x.inserted_at)"),
                  "last_inserted_at": ("MAX", "x.inserted_at")},
                 {"provider_invoice_id": "x.provider_invoice_id", "period": MONTH},
                 f"x.provider_invoice_id = k.provider_invoice_id AND {_IN_MONTH}"),
    ],
}


def _fill_cost_resource() -> str:
    """agg_cost_resource from all the raw lines at once (a rebuild): next_through by one grouping, not a lookup."""
    return EXTREMES["cloud_cost_lines"][0]._select(
        "cloud_cost_lines AS x", "nx.through",
        f"LEFT JOIN (SELECT x.resource_id, CAST({MONTH} - INTERVAL '1 month' AS date) AS period, "
        "LEAST(MAX(COALESCE(x.end_at, x.inserted_at)), MAX(x.inserted_at)) AS through FROM cloud_cost_lines AS x "
        "WHERE x.resource_id IS NOT NULL GROUP BY 1, 2) AS nx ON nx.resource_id = b.resource_id AND nx.period = b.period\n"
    ) + ";\n"


# A resource's tenant, deployment, first_seen_at or deleted_at changed, or a deployment's tenant: its rows' copies.
CARRY_RESOURCES = (
    "UPDATE agg_cost_resource AS a SET tenant_id = v.tenant_id, first_seen_at = v.first_seen_at, "
    "deleted_at = v.deleted_at\n"
    "FROM (SELECT r.id, COALESCE(d.tenant_id, r.tenant_id) AS tenant_id, r.first_seen_at, r.deleted_at "
    "FROM cloud_resources AS r LEFT JOIN cloud_deployments AS d ON d.id = r.deployment_id WHERE r.id IN ({ids})) AS v\n"
    "WHERE a.resource_id = v.id AND (a.tenant_id, a.first_seen_at, a.deleted_at) "
    "IS DISTINCT FROM (v.tenant_id, v.first_seen_at, v.deleted_at);\n"
)

DELTAS = {
    "INSERT": "(SELECT n.*, 1 AS sign FROM new_rows AS n)",
    "DELETE": "(SELECT o.*, -1 AS sign FROM old_rows AS o)",
    "UPDATE": "(SELECT n.*, 1 AS sign FROM new_rows AS n UNION ALL SELECT o.*, -1 AS sign FROM old_rows AS o)",
}
REFERENCING = {
    "INSERT": "REFERENCING NEW TABLE AS new_rows",
    "DELETE": "REFERENCING OLD TABLE AS old_rows",
    "UPDATE": "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
}
_CLEAR_COGS = ("UPDATE agg_pnl_deployment SET cogs_cents = 0, cost_lines = 0;\n"
               "DELETE FROM agg_pnl_deployment WHERE revenue_lines + cost_lines = 0;\n")
_CLEAR_REVENUE = ("UPDATE agg_pnl_deployment SET revenue_cents = 0, revenue_lines = 0;\n"
                  "DELETE FROM agg_pnl_deployment WHERE revenue_lines + cost_lines = 0;\n")
TRUNCATES = {
    "cloud_cost_lines": "DELETE FROM agg_cost_tenant;\nDELETE FROM agg_cost_kind;\nDELETE FROM agg_cost_resource;\n"
                        "DELETE FROM agg_cost_invoice;\n" + _CLEAR_COGS,
    "tenant_invoices": "DELETE FROM agg_invoice;\nDELETE FROM agg_revenue_deployment;\nDELETE FROM agg_revenue_kind;\n"
                       + _CLEAR_REVENUE,
    "tenant_invoice_lines": "DELETE FROM agg_revenue_deployment;\nDELETE FROM agg_revenue_kind;\n" + _CLEAR_REVENUE,
    "usage_records": "DELETE FROM agg_usage_hour;\nDELETE FROM agg_usage_quarter_day;\nDELETE FROM agg_usage_day;\n"
                     "DELETE FROM agg_usage_month;\n",
}


def _statement_triggers(table: str) -> str:
    sql = []
    for op, delta in DELTAS.items():
        name = f"arcadia_agg_{table}_{op.lower()}"
        body = "".join(s.replace("{delta}", delta) for s in SOURCES[table])
        for extremes in EXTREMES.get(table, ()):
            body += extremes.insert(delta) if op == "INSERT" else extremes.recompute(delta)
        sql.append(
            f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $fn$\nBEGIN\n{body}"
            "RETURN NULL;\nEND\n$fn$;\n"
            f"DROP TRIGGER IF EXISTS {name} ON {table};\n"
            f"CREATE TRIGGER {name} AFTER {op} ON {table} {REFERENCING[op]} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {name}();\n"
        )
    name = f"arcadia_agg_{table}_truncate"
    sql.append(
        f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $fn$\nBEGIN\n{TRUNCATES[table]}"
        "RETURN NULL;\nEND\n$fn$;\n"
        f"DROP TRIGGER IF EXISTS {name} ON {table};\n"
        f"CREATE TRIGGER {name} AFTER TRUNCATE ON {table} FOR EACH STATEMENT EXECUTE FUNCTION {name}();\n"
    )
    return "".join(sql)


# A resource moving to another tenant or deployment moves its cost lines' COGS, in every month.
_TENANT_COGS_MOVE = _upsert(
    "agg_cost_tenant", ["period", "tenant_id", "currency"],
    {"amount_cents": "numeric", "line_count": "bigint"}, "line_count",
    "SELECT CAST(date_trunc('month', c.period) AS date) AS period, m.tenant_id, c.currency, "
    "m.sign * c.amount_cents AS amount_cents, m.sign AS line_count "
    "FROM cloud_cost_lines AS c JOIN ({moves}) AS m ON m.resource_id = c.resource_id",
)
_DEPLOYMENT_COGS_MOVE = _upsert(
    "agg_pnl_deployment", *PNL_DEPLOYMENT,
    "SELECT CAST(date_trunc('month', c.period) AS date) AS period, m.deployment_id, c.currency, 0 AS revenue_cents, "
    "0 AS revenue_lines, m.sign * c.amount_cents AS cogs_cents, m.sign AS cost_lines "
    "FROM cloud_cost_lines AS c JOIN ({moves}) AS m ON m.resource_id = c.resource_id WHERE m.deployment_id IS NOT NULL",
)
RESOURCE_MOVES = (
    "SELECT OLD.id AS resource_id, COALESCE(od.tenant_id, OLD.tenant_id) AS tenant_id, "
    "OLD.deployment_id AS deployment_id, -1 AS sign FROM (SELECT 1) AS one "
    "LEFT JOIN cloud_deployments AS od ON od.id = OLD.deployment_id "
    "UNION ALL SELECT NEW.id, COALESCE(nd.tenant_id, NEW.tenant_id), NEW.deployment_id, 1 FROM (SELECT 1) AS one "
    "LEFT JOIN cloud_deployments AS nd ON nd.id = NEW.deployment_id"
)
DEPLOYMENT_MOVES = (
    "SELECT r.id AS resource_id, COALESCE(OLD.tenant_id, r.tenant_id) AS tenant_id, r.deployment_id, -1 AS sign "
    "FROM cloud_resources AS r WHERE r.deployment_id = OLD.id "
    "UNION ALL SELECT r.id, COALESCE(NEW.tenant_id, r.tenant_id), r.deployment_id, 1 "
    "FROM cloud_resources AS r WHERE r.deployment_id = NEW.id"
)
# An invoice voided, un-voided, moved to another month, tenant or currency moves its lines' revenue.
_INVOICE_LINES = (
    "SELECT CAST(date_trunc('month', v.period) AS date) AS period, l.deployment_id, v.tenant_id, v.currency, "
    "l.billing_kind, v.sign * l.amount_cents AS amount_cents, v.sign AS line_count "
    "FROM tenant_invoice_lines AS l JOIN ("
    "SELECT OLD.id AS id, OLD.period AS period, OLD.tenant_id AS tenant_id, OLD.currency AS currency, -1 AS sign "
    "WHERE OLD.status <> 'void' "
    "UNION ALL SELECT NEW.id, NEW.period, NEW.tenant_id, NEW.currency, 1 WHERE NEW.status <> 'void'"
    ") AS v ON v.id = l.invoice_id"
)
INVOICE_MOVES = (
    _upsert("agg_revenue_deployment", ["period", "deployment_id", "tenant_id", "currency"],
            {"amount_cents": "numeric", "line_count": "bigint"}, "line_count",
            f"SELECT * FROM ({_INVOICE_LINES}) AS moved WHERE moved.deployment_id IS NOT NULL")
    + _upsert("agg_revenue_kind", ["period", "billing_kind", "currency"],
              {"amount_cents": "numeric", "line_count": "bigint"}, "line_count", _INVOICE_LINES)
    + _upsert("agg_pnl_deployment", *PNL_DEPLOYMENT,
              "SELECT moved.period, moved.deployment_id, moved.currency, moved.amount_cents AS revenue_cents, "
              f"moved.line_count AS revenue_lines, 0 AS cogs_cents, 0 AS cost_lines FROM ({_INVOICE_LINES}) AS moved "
              "WHERE moved.deployment_id IS NOT NULL")
)


# A subscription's item list, in the text form of queries/active_subscription_items.sql: rewritten
# whenever one of its items changes, or a catalog item's sku (the list's order) changes.
ITEM_LIST = (
    "SELECT si.subscription_id, string_agg(CAST(si.catalog_item_id AS TEXT) || ' ' || "
    "COALESCE(CAST(si.unit_price_micros AS TEXT), '-') || ' ' || CAST(si.quantity AS TEXT), ',' "
    "ORDER BY c.sku, si.id) FROM subscription_items AS si LEFT JOIN catalog_items AS c ON c.id = si.catalog_item_id "
)


def _relist(ids: str) -> str:
    """Rewrite the item lists of the subscriptions `ids` selects."""
    return (
        f"DELETE FROM agg_subscription_items WHERE subscription_id IN ({ids});\n"
        f"INSERT INTO agg_subscription_items (subscription_id, items) {ITEM_LIST}"
        f"WHERE si.subscription_id IN ({ids}) GROUP BY si.subscription_id;\n"
    )


ITEM_LIST_DELTAS = {
    "INSERT": "SELECT n.subscription_id FROM new_rows AS n",
    "DELETE": "SELECT o.subscription_id FROM old_rows AS o",
    "UPDATE": "SELECT n.subscription_id FROM new_rows AS n UNION SELECT o.subscription_id FROM old_rows AS o",
}


def _item_list_triggers() -> str:
    sql = []
    for op, ids in ITEM_LIST_DELTAS.items():
        name = f"arcadia_agg_subscription_items_{op.lower()}"
        sql.append(
            f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $fn$\nBEGIN\n{_relist(ids)}"
            "RETURN NULL;\nEND\n$fn$;\n"
            f"DROP TRIGGER IF EXISTS {name} ON subscription_items;\n"
            f"CREATE TRIGGER {name} AFTER {op} ON subscription_items {REFERENCING[op]} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {name}();\n"
        )
    sql.append(
        "CREATE OR REPLACE FUNCTION arcadia_agg_subscription_items_truncate() RETURNS trigger LANGUAGE plpgsql AS $fn$\n"
        "BEGIN\nDELETE FROM agg_subscription_items;\nRETURN NULL;\nEND\n$fn$;\n"
        "DROP TRIGGER IF EXISTS arcadia_agg_subscription_items_truncate ON subscription_items;\n"
        "CREATE TRIGGER arcadia_agg_subscription_items_truncate AFTER TRUNCATE ON subscription_items "
        "FOR EACH STATEMENT EXECUTE FUNCTION arcadia_agg_subscription_items_truncate();\n"
    )
    return "".join(sql)


def _row_trigger(name: str, table: str, columns: str, when: str, body: str) -> str:
    return (
        f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $fn$\nBEGIN\n{body}"
        "RETURN NULL;\nEND\n$fn$;\n"
        f"DROP TRIGGER IF EXISTS {name} ON {table};\n"
        f"CREATE TRIGGER {name} AFTER UPDATE OF {columns} ON {table} FOR EACH ROW WHEN ({when}) "
        f"EXECUTE FUNCTION {name}();\n"
    )


ROW_TRIGGERS = (
    _row_trigger("arcadia_agg_resource_moved", "cloud_resources", "id, tenant_id, deployment_id",
                 "OLD.tenant_id IS DISTINCT FROM NEW.tenant_id OR OLD.deployment_id IS DISTINCT FROM NEW.deployment_id "
                 "OR OLD.id IS DISTINCT FROM NEW.id",
                 (_TENANT_COGS_MOVE + _DEPLOYMENT_COGS_MOVE).replace("{moves}", RESOURCE_MOVES))
    + _row_trigger("arcadia_agg_deployment_moved", "cloud_deployments", "id, tenant_id",
                   "OLD.tenant_id IS DISTINCT FROM NEW.tenant_id OR OLD.id IS DISTINCT FROM NEW.id",
                   _TENANT_COGS_MOVE.replace("{moves}", DEPLOYMENT_MOVES)
                   + CARRY_RESOURCES.replace("{ids}", "SELECT m.id FROM cloud_resources AS m "
                                                      "WHERE m.deployment_id IN (OLD.id, NEW.id)"))
    + _row_trigger("arcadia_agg_resource_carried", "cloud_resources",
                   "id, tenant_id, deployment_id, first_seen_at, deleted_at",
                   "OLD.tenant_id IS DISTINCT FROM NEW.tenant_id OR OLD.deployment_id IS DISTINCT FROM NEW.deployment_id "
                   "OR OLD.first_seen_at IS DISTINCT FROM NEW.first_seen_at "
                   "OR OLD.deleted_at IS DISTINCT FROM NEW.deleted_at OR OLD.id IS DISTINCT FROM NEW.id",
                   CARRY_RESOURCES.replace("{ids}", "NEW.id"))
    + _row_trigger("arcadia_agg_invoice_moved", "tenant_invoices", "id, status, period, tenant_id, currency",
                   "(OLD.status = 'void') IS DISTINCT FROM (NEW.status = 'void') OR OLD.period IS DISTINCT FROM NEW.period "
                   "OR OLD.tenant_id IS DISTINCT FROM NEW.tenant_id OR OLD.currency IS DISTINCT FROM NEW.currency "
                   "OR OLD.id IS DISTINCT FROM NEW.id",
                   INVOICE_MOVES)
    + _row_trigger("arcadia_agg_catalog_item_renamed", "catalog_items", "id, sku",
                   "OLD.sku IS DISTINCT FROM NEW.sku OR OLD.id IS DISTINCT FROM NEW.id",
                   _relist("SELECT s.subscription_id FROM subscription_items AS s "
                           "WHERE s.catalog_item_id IN (OLD.id, NEW.id)"))
)


def install_sql() -> str:
    """The whole DDL: aggregate tables, trigger functions and triggers (idempotent)."""
    return TABLES + "".join(_statement_triggers(t) for t in SOURCES) + _item_list_triggers() + ROW_TRIGGERS


def rebuild_sql() -> str:
    """Recompute every aggregate from the raw contract rows."""
    whole = "(SELECT t.*, 1 AS sign FROM {table} AS t)"
    clear = f"TRUNCATE {', '.join(AGGREGATES)};\n"
    fills = "".join(s.replace("{delta}", whole.format(table=table)) for table, stmts in SOURCES.items() for s in stmts)
    fills += _fill_cost_resource() + "".join(e.insert(table) for table, extremes in EXTREMES.items()
                                             for e in extremes if e.table != "agg_cost_resource")
    lists = f"INSERT INTO agg_subscription_items (subscription_id, items) {ITEM_LIST}GROUP BY si.subscription_id;\n"
    return clear + fills + lists


def install(conn: sa.Connection) -> None:
    """Create (or replace) the aggregates and their triggers, then fill them from the raw rows."""
    _script(conn, install_sql())
    rebuild(conn)


def rebuild(conn: sa.Connection) -> None:
    """Recompute every aggregate from the raw contract rows, with writers held off meanwhile."""
    _script(conn, f"LOCK TABLE {', '.join(SOURCES)}, cloud_resources, cloud_deployments, subscription_items, "
                  "catalog_items IN SHARE MODE;\n"
                  + rebuild_sql() + "".join(f"ANALYZE {agg};\n" for agg in AGGREGATES))


def _script(conn: sa.Connection, sql: str) -> None:
    # No binds in DDL: psycopg sends a parameterless string as one simple-protocol script.
    conn.exec_driver_sql(sql)
