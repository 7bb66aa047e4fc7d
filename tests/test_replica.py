"""Beyond one machine: the dashboard's figures read from a hot standby equal the primary's.

The test makes a throwaway primary and a streaming hot standby of it (tests/replica_support.py),
creates the schema and the hand-checked fixture on the primary, writes more rows there with plain
SQL, waits until the standby has replayed the primary's WAL, and computes every dashboard figure
on both. The standby refuses writes: the figures need only a read-only connection, and the
pre-aggregates (kept by triggers on the primary) reach the standby with the WAL.
"""

from __future__ import annotations

from datetime import datetime

import psycopg
import psycopg.sql
import pytest
import sqlalchemy as sa

from arcadia import analytics, coverage, report, schema
from arcadia.db import engine_for, raw
from arcadia.period import UTC, Period
from tests.conftest import IN_CI, load_sql
from tests.replica_support import PG_BIN, ReplicaPair, missing_binaries, wait_for_replay

MARCH = Period.parse("2026-03")
AS_OF = datetime(2026, 5, 21, 12, tzinfo=UTC)  # in the fixture's May accrual
NOW = datetime(2026, 6, 2, tzinfo=UTC)

NEW_COST_CENTS = 1234   # a March volume line on acme-web (acme's deployment)
NEW_INVOICE_CENTS = 4321  # a March invoice for platform-admin, one support line
NEW_USAGE_UNITS = 100   # acme's compute at its 10,000-micro override: exactly 1.00 more accrued
WRITES = [
    "INSERT INTO cloud_cost_lines (id, provider, provider_invoice_id, period, provider_resource_id, resource_id, kind, "
    "product, description, quantity, unit, amount_cents, currency) VALUES ('c0000000-0000-4000-8000-0000000000a1', "
    "'digitalocean', 'do-2026-03', '2026-03-01', '1001', 'a0000000-0000-4000-8000-000000000001', 'volume', "
    f"'Volumes', 'acme-web-data', 20, 'GiB-month', {NEW_COST_CENTS}, 'USD')",
    "INSERT INTO tenant_invoices (id, tenant_id, period, status, currency, subtotal_cents, tax_cents, total_cents, "
    "issued_at) VALUES ('e0000000-0000-4000-8000-0000000000a1', 'platform-admin', '2026-03-01', 'issued', 'USD', "
    f"{NEW_INVOICE_CENTS}, 432, {NEW_INVOICE_CENTS + 432}, '2026-04-01 00:00:00+00:00')",
    "INSERT INTO tenant_invoice_lines (id, invoice_id, deployment_id, billing_kind, description, quantity, "
    "unit_price_micros, amount_cents) VALUES ('f0000000-0000-4000-8000-0000000000a1', "
    f"'e0000000-0000-4000-8000-0000000000a1', NULL, 'support', 'Support', 1, 43210000, {NEW_INVOICE_CENTS})",
    "INSERT INTO usage_records (id, subscription_id, catalog_item_id, quantity, recorded_at, idempotency_key) VALUES "
    "('70000000-0000-4000-8000-0000000000a1', '50000000-0000-4000-8000-000000000001', "
    f"'d0000000-0000-4000-8000-000000000002', {NEW_USAGE_UNITS}, '2026-05-20 09:00:00+00:00', 'replica-k1')",
]


@pytest.fixture(scope="module")
def replica():
    """(primary, standby): a throwaway primary and its hot standby, stopped and removed afterwards."""
    missing = missing_binaries()
    if missing:
        reason = f"PostgreSQL server binaries missing in {PG_BIN}: {', '.join(missing)}"
        if IN_CI:
            pytest.fail(f"the replica test is required with CI=true: {reason}")
        pytest.skip(reason)
    pair = ReplicaPair()
    engines = []
    try:
        primary = pair.start_primary()
        standby = pair.start_standby(primary)
        engines = [engine_for(primary.url()), engine_for(standby.url())]
        yield primary, standby
    finally:
        for engine in engines:
            engine.dispose()  # before the servers go: no pooled connection outlives them
        pair.close()


def figures(engine: sa.Engine) -> dict:
    """Every figure the dashboard shows for the fixture's months, as the API and pages render them."""
    return {
        "margin": report.margin_json(analytics.margin_summary(engine, MARCH, NOW)),
        "by_kind": report.by_kind_json(analytics.by_kind(engine, MARCH)),
        "monthly_pnl": analytics.monthly_pnl(engine, MARCH.next(), 3),
        "accrual": report.accrual_json(analytics.live_accrual(engine, AS_OF)),
        "months": coverage.data_months(engine, NOW),
        "freshness": coverage.freshness(engine),
    }


def totals(engine: sa.Engine) -> dict:
    """The integer-cent totals the new rows move."""
    margin = analytics.margin_summary(engine, MARCH, NOW)
    breakdown = analytics.by_kind(engine, MARCH)
    march = analytics.monthly_pnl(engine, MARCH, 1)[0]
    return {
        "revenue": margin.overall.revenue_cents,
        "cogs": margin.overall.cogs_cents,
        "acme_cogs": next(t.cogs_cents for t in margin.tenants if t.tenant_id == "acme"),
        "platform_admin_revenue": next(t.revenue_cents for t in margin.tenants if t.tenant_id == "platform-admin"),
        "volume_cogs": sum(k.amount_cents for k in breakdown.cogs if k.kind == "volume"),
        "support_revenue": sum(k.amount_cents for k in breakdown.revenue if k.kind == "support"),
        "march_revenue": march.revenue_cents,
        "march_cogs": march.cogs_cents,
        "accrued": analytics.live_accrual(engine, AS_OF).subtotal_cents,
    }


def test_standby_figures_equal_primary_after_a_replicated_write(replica):
    primary, standby = replica
    primary_engine, standby_engine = engine_for(primary.url()), engine_for(standby.url())
    schema.create_all(primary_engine)
    load_sql(primary_engine, "small.sql")
    wait_for_replay(primary, standby)
    before = totals(standby_engine)
    assert before == totals(primary_engine)
    assert (before["revenue"], before["cogs"], before["accrued"]) == (2600, 2900, 2631)  # the fixture's hand-checked figures

    with primary_engine.begin() as conn:
        for statement in WRITES:
            conn.exec_driver_sql(statement)
    wait_for_replay(primary, standby)

    on_standby = figures(standby_engine)
    assert on_standby == figures(primary_engine)
    # The standby's pre-aggregates (written by the primary's triggers, replayed from the WAL) equal its raw rows.
    assert on_standby == figures(raw(standby_engine))
    after = totals(standby_engine)
    assert {name: after[name] - before[name] for name in after} == {
        "revenue": NEW_INVOICE_CENTS, "cogs": NEW_COST_CENTS,
        "acme_cogs": NEW_COST_CENTS, "platform_admin_revenue": NEW_INVOICE_CENTS,
        "volume_cogs": NEW_COST_CENTS, "support_revenue": NEW_INVOICE_CENTS,
        "march_revenue": NEW_INVOICE_CENTS, "march_cogs": NEW_COST_CENTS,
        "accrued": NEW_USAGE_UNITS,  # 100 units x 10,000 micros = 100 cents
    }
    assert on_standby["margin"]["overall"]["margin"] == "27.87"  # -3.00 + 43.21 - 12.34


def test_pre_aggregates_reach_the_standby(replica):
    """The standby has the agg_ tables the primary's `db init` made, with the same rows."""
    primary, standby = replica
    schema.create_all(engine_for(primary.url()))  # idempotent: the tables are there whichever test ran first
    wait_for_replay(primary, standby)
    listing = "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename LIKE 'agg\\_%' ORDER BY 1"
    with primary.connect() as on_primary, standby.connect() as on_standby:
        tables = [name for (name,) in on_primary.execute(listing)]
        assert tables and [name for (name,) in on_standby.execute(listing)] == tables
        for table in tables:
            rows = psycopg.sql.SQL("SELECT * FROM {}").format(psycopg.sql.Identifier(table))
            assert sorted(map(repr, on_standby.execute(rows))) == sorted(map(repr, on_primary.execute(rows))), table


def test_standby_refuses_writes(replica):
    _, standby = replica
    with standby.connect() as conn:
        assert conn.execute("SELECT pg_is_in_recovery()").fetchone()[0] is True
    with pytest.raises(sa.exc.DBAPIError) as refused:
        with engine_for(standby.url()).begin() as conn:
            conn.exec_driver_sql("CREATE TABLE replica_probe (id integer)")
    assert isinstance(refused.value.orig, psycopg.errors.ReadOnlySqlTransaction)

