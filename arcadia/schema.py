"""The contract's tables (CONTRACT.md §1) as SQLAlchemy Core metadata, for PostgreSQL and SQLite.

PostgreSQL gets the native types (uuid, timestamptz, numeric, text[], jsonb).
SQLite gets what the contract says other writers put there: 36-character uuid
strings, ISO-8601 text timestamps with +00:00, JSON text; quantities are stored
as text so that no float ever holds them.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement

from arcadia import preagg
from arcadia.period import parse_instant

metadata = sa.MetaData()

UUID = sa.Uuid(as_uuid=False).with_variant(sa.String(36), "sqlite")


class _TextOnSQLite(sa.types.TypeDecorator):
    """The native `impl` on PostgreSQL, text on SQLite; subclasses convert the values."""

    cache_ok = True

    def load_dialect_impl(self, dialect):
        return dialect.type_descriptor(sa.Text() if dialect.name == "sqlite" else self.impl)


class Timestamp(_TextOnSQLite):
    """timestamptz on PostgreSQL; 'YYYY-MM-DD HH:MM:SS.ffffff+00:00' text on SQLite."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True  # SQLAlchemy reads it from each class itself

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        instant = parse_instant(value)
        return instant.isoformat(sep=" ", timespec="microseconds") if dialect.name == "sqlite" else instant

    def process_result_value(self, value, dialect):
        return None if value is None else parse_instant(value)


class Day(_TextOnSQLite):
    """date on PostgreSQL; 'YYYY-MM-DD' text on SQLite."""

    impl = sa.Date()
    cache_ok = True  # SQLAlchemy reads it from each class itself

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        day = value.date() if isinstance(value, datetime) else value
        return day.isoformat() if dialect.name == "sqlite" else day

    def process_result_value(self, value, dialect):
        if value is None or isinstance(value, date):
            return value
        return date.fromisoformat(str(value)[:10])


class Quantity(_TextOnSQLite):
    """numeric(20,6) on PostgreSQL; exact decimal text on SQLite (never a float)."""

    impl = sa.Numeric(20, 6)
    cache_ok = True  # SQLAlchemy reads it from each class itself

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        exact = to_decimal(value)
        return format(exact, "f") if dialect.name == "sqlite" else exact

    def process_result_value(self, value, dialect):
        return None if value is None else to_decimal(value)


class JSONText(sa.types.TypeDecorator):
    """A JSON document: `pg_type` on PostgreSQL, JSON text on SQLite."""

    impl = sa.Text()
    cache_ok = True

    def __init__(self, pg_type):
        super().__init__()
        self.pg_type = pg_type

    def load_dialect_impl(self, dialect):
        return dialect.type_descriptor(self.pg_type if dialect.name == "postgresql" else sa.Text())

    def process_bind_param(self, value, dialect):
        if value is None or dialect.name == "postgresql":
            return value
        return value if isinstance(value, str) else json.dumps(value, default=str)

    def process_result_value(self, value, dialect):
        return json.loads(value, parse_float=Decimal) if isinstance(value, str) else value


def to_decimal(value) -> Decimal:
    """An exact Decimal from a database or user value (a float is read by its shortest repr)."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        return Decimal(repr(value))
    return Decimal(str(value).strip())


class _DialectDefault(ColumnElement):
    """A server default written once per dialect (the SQL is a constant of this module)."""

    inherit_cache = False

    def __init__(self, postgresql: str, sqlite: str):
        self.postgresql, self.sqlite = postgresql, sqlite


@compiles(_DialectDefault)
def _default_sql(element, compiler, **kw):
    return element.postgresql


@compiles(_DialectDefault, "sqlite")
def _default_sql_sqlite(element, compiler, **kw):
    return element.sqlite


def _utc_now():
    return _DialectDefault("now()", "(strftime('%Y-%m-%d %H:%M:%f000+00:00', 'now'))")


def _empty_list():
    return _DialectDefault("'{}'::text[]", "'[]'")


def _empty_object():
    return _DialectDefault("'{}'::jsonb", "'{}'")


def _id():
    return sa.Column("id", UUID, primary_key=True)


def _stamp(name: str, nullable: bool = False, now: bool = False):
    return sa.Column(name, Timestamp(), nullable=nullable, server_default=_utc_now() if now else None)


def _money(name: str):
    return sa.Column(name, sa.BigInteger, nullable=False)


def _currency():
    return sa.Column("currency", sa.Text, nullable=False, server_default="USD")


tenants = sa.Table(
    "tenants", metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("kind", sa.Text, nullable=False, server_default="customer"),
    _stamp("inserted_at", now=True),
)

cloud_projects = sa.Table(
    "cloud_projects", metadata,
    _id(),
    sa.Column("provider", sa.Text, nullable=False),
    sa.Column("provider_id", sa.Text, nullable=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("tenant_id", sa.Text, nullable=True),
    _stamp("inserted_at", now=True),
    _stamp("updated_at", now=True),
)

cloud_deployments = sa.Table(
    "cloud_deployments", metadata,
    _id(),
    sa.Column("tenant_id", sa.Text, nullable=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("status", sa.Text, nullable=False),
    _stamp("inserted_at", now=True),
    _stamp("updated_at", now=True),
    sa.Index("ix_cloud_deployments_tenant", "tenant_id"),
)

cloud_resources = sa.Table(
    "cloud_resources", metadata,
    _id(),
    sa.Column("provider", sa.Text, nullable=False),
    sa.Column("provider_id", sa.Text, nullable=False),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("region", sa.Text, nullable=True),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("size_slug", sa.Text, nullable=True),
    sa.Column("tenant_id", sa.Text, nullable=True),
    sa.Column("deployment_id", UUID, sa.ForeignKey("cloud_deployments.id"), nullable=True),
    sa.Column("tags", JSONText(postgresql.ARRAY(sa.Text)), nullable=False, server_default=_empty_list()),
    sa.Column("attrs", JSONText(postgresql.JSONB), nullable=False, server_default=_empty_object()),
    _stamp("first_seen_at", now=True),
    _stamp("last_seen_at", now=True),
    sa.Column("stale_strike_count", sa.Integer, nullable=False, server_default="0"),
    _stamp("deleted_at", nullable=True),
    sa.Column("cloud_project_id", UUID, sa.ForeignKey("cloud_projects.id"), nullable=True),
    _stamp("inserted_at", now=True),
    _stamp("updated_at", now=True),
    sa.UniqueConstraint("provider", "provider_id", name="uq_cloud_resources_provider_id"),
    sa.Index("ix_cloud_resources_deployment", "deployment_id"),
    sa.Index("ix_cloud_resources_tenant", "tenant_id"),
)

cloud_cost_lines = sa.Table(
    "cloud_cost_lines", metadata,
    _id(),
    sa.Column("provider", sa.Text, nullable=False),
    sa.Column("provider_invoice_id", sa.Text, nullable=False),
    sa.Column("period", Day(), nullable=False),
    sa.Column("provider_resource_id", sa.Text, nullable=True),
    sa.Column("resource_id", UUID, sa.ForeignKey("cloud_resources.id"), nullable=True),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("product", sa.Text, nullable=False),
    sa.Column("description", sa.Text, nullable=False),
    sa.Column("quantity", Quantity(), nullable=True),
    sa.Column("unit", sa.Text, nullable=True),
    _stamp("start_at", nullable=True),
    _stamp("end_at", nullable=True),
    _money("amount_cents"),
    _currency(),
    _stamp("inserted_at", now=True),
    sa.Index("ix_cloud_cost_lines_period", "period"),
    sa.Index("ix_cloud_cost_lines_resource", "resource_id"),
    sa.Index("ix_cloud_cost_lines_inserted", "inserted_at"),  # freshness: newest line ingested
)

catalog_items = sa.Table(
    "catalog_items", metadata,
    _id(),
    sa.Column("sku", sa.Text, nullable=False, unique=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("billing_kind", sa.Text, nullable=False),
    sa.Column("unit", sa.Text, nullable=False),
    sa.Column("pricing_model", sa.Text, nullable=False),
    sa.Column("unit_price_micros", sa.BigInteger, nullable=False),
    sa.Column("included_units", Quantity(), nullable=False, server_default="0"),
    sa.Column("tiers", JSONText(postgresql.JSON(none_as_null=True)), nullable=True),
    _currency(),
    sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
)

subscriptions = sa.Table(
    "subscriptions", metadata,
    _id(),
    sa.Column("tenant_id", sa.Text, nullable=False),
    sa.Column("deployment_id", UUID, sa.ForeignKey("cloud_deployments.id"), nullable=True),
    sa.Column("status", sa.Text, nullable=False),
    _stamp("started_at"),
    _stamp("ended_at", nullable=True),
    _currency(),
    sa.Index("ix_subscriptions_tenant", "tenant_id"),
)

subscription_items = sa.Table(
    "subscription_items", metadata,
    _id(),
    sa.Column("subscription_id", UUID, sa.ForeignKey("subscriptions.id"), nullable=False),
    sa.Column("catalog_item_id", UUID, sa.ForeignKey("catalog_items.id"), nullable=False),
    sa.Column("quantity", Quantity(), nullable=False, server_default="1"),
    sa.Column("unit_price_micros", sa.BigInteger, nullable=True),
    sa.Index("ix_subscription_items_subscription", "subscription_id"),
)

usage_records = sa.Table(
    "usage_records", metadata,
    _id(),
    sa.Column("subscription_id", UUID, sa.ForeignKey("subscriptions.id"), nullable=False),
    sa.Column("catalog_item_id", UUID, sa.ForeignKey("catalog_items.id"), nullable=False),
    sa.Column("quantity", Quantity(), nullable=False),
    _stamp("recorded_at"),
    sa.Column("idempotency_key", sa.Text, nullable=True, unique=True),
    _stamp("inserted_at", now=True),
    sa.Index("ix_usage_records_subscription_recorded", "subscription_id", "recorded_at"),
    sa.Index("ix_usage_records_recorded", "recorded_at"),  # the accrual's window edges; freshness
)

tenant_invoices = sa.Table(
    "tenant_invoices", metadata,
    _id(),
    sa.Column("tenant_id", sa.Text, nullable=False),
    sa.Column("period", Day(), nullable=False),
    sa.Column("status", sa.Text, nullable=False),
    _currency(),
    _money("subtotal_cents"),
    _money("tax_cents"),
    _money("total_cents"),
    _stamp("issued_at", nullable=True),
    _stamp("inserted_at", now=True),
    sa.Index("ix_tenant_invoices_period", "period"),
    sa.Index("ix_tenant_invoices_inserted", "inserted_at"),  # freshness: newest invoice
    # One live invoice per tenant and month; voided ones stay as history.
    sa.Index(
        "uq_tenant_invoices_live", "tenant_id", "period", unique=True,
        postgresql_where=sa.text("status <> 'void'"), sqlite_where=sa.text("status <> 'void'"),
    ),
)

tenant_invoice_lines = sa.Table(
    "tenant_invoice_lines", metadata,
    _id(),
    sa.Column("invoice_id", UUID, sa.ForeignKey("tenant_invoices.id"), nullable=False),
    sa.Column("subscription_id", UUID, nullable=True),
    sa.Column("deployment_id", UUID, nullable=True),
    sa.Column("catalog_item_id", UUID, nullable=True),
    sa.Column("billing_kind", sa.Text, nullable=False),
    sa.Column("description", sa.Text, nullable=False),
    sa.Column("quantity", Quantity(), nullable=False),
    sa.Column("unit_price_micros", sa.BigInteger, nullable=True),
    _money("amount_cents"),
    sa.Index("ix_tenant_invoice_lines_invoice", "invoice_id"),
)


# --- The project's own tables (not the contract's): what the DigitalOcean importer keeps in place ----------

# Per provider account and month, the one source whose cost lines are in cloud_cost_lines (CONTRACT §3
# "Provider invoices in place"): the final invoice, else the newest daily preview, or a file export. Written only
# by the importer, in the transaction that writes the lines; lines of any other provider_invoice_id are not its.
provider_invoices = sa.Table(
    "provider_invoices", metadata,
    sa.Column("provider", sa.Text, primary_key=True),
    sa.Column("account", sa.Text, primary_key=True),
    sa.Column("period", Day(), primary_key=True),
    sa.Column("provider_invoice_id", sa.Text, nullable=False),
    sa.Column("source", sa.Text, nullable=False),  # invoice (final), preview, file
    _stamp("as_of", nullable=True),  # a preview's updated_at: how recent its lines are
    _stamp("lines_through", nullable=True),  # the latest end_at of its lines: where actual cost stops
    sa.Column("described", sa.Text, nullable=False),  # where the lines came from (file names, the API's invoice)
    sa.Column("line_count", sa.Integer, nullable=False),
    _money("amount_cents"),
    _currency(),
    _stamp("imported_at", now=True),
    # One account's source per month: an invoice id in place twice in a month would be counted twice.
    sa.UniqueConstraint("provider", "period", "provider_invoice_id", name="uq_provider_invoices_invoice"),
)

# The last `sync-do` run per provider account: when it last succeeded, and the last failure's words.
provider_syncs = sa.Table(
    "provider_syncs", metadata,
    sa.Column("provider", sa.Text, primary_key=True),
    sa.Column("account", sa.Text, primary_key=True),
    _stamp("attempted_at"),
    _stamp("succeeded_at", nullable=True),
    sa.Column("outcome", sa.Text, nullable=False),  # "ok: …" or the failure's message (never the token)
)


# What `alerts run` has told each channel (arcadia/alert_run.py): one row per rule, subject, month and channel;
# resolved_at set once the channel was told it no longer holds. Written only by `alerts run`.
alert_state = sa.Table(
    "alert_state", metadata,
    sa.Column("rule", sa.Text, primary_key=True),
    sa.Column("subject", sa.Text, primary_key=True),
    sa.Column("month", sa.Text, primary_key=True),  # 'YYYY-MM-01'
    sa.Column("channel", sa.Text, primary_key=True),
    sa.Column("title", sa.Text, nullable=False),
    _stamp("sent_at"),
    _stamp("resolved_at", nullable=True),
)


def create_all(engine: sa.Engine) -> None:
    """Create every table and index that does not exist yet (idempotent).

    On PostgreSQL also (re)install the pre-aggregates and their triggers and
    refill them from the raw rows (arcadia.preagg).
    """
    metadata.create_all(engine, checkfirst=True)
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            preagg.install(conn)
