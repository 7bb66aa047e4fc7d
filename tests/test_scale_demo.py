"""The scale demo (arcadia.scale_demo) at a small scale on a real PostgreSQL: counts, determinism,
every realistic feature it promises, the invoice identities, and its refusals."""

from __future__ import annotations

import uuid
from contextlib import contextmanager
from datetime import datetime

import psycopg
import pytest
import sqlalchemy as sa

from arcadia import analytics, report, scale_demo
from arcadia.cli import main
from arcadia.db import engine_for, raw
from arcadia.errors import InputError
from arcadia.period import Period, parse_instant
from tests.conftest import IN_CI, PG_ADMIN_URL

SCALE = 0.002
NOW = parse_instant("2026-11-27T13:20:00Z")
MONTH_START = datetime.fromisoformat("2026-11-01T00:00:00+00:00")
THROUGH = datetime.fromisoformat("2026-11-27T06:00:00+00:00")  # the preview's instant: 06:00 of NOW's day
DO_KINDS = {"droplet", "volume", "snapshot", "backup", "load_balancer", "database", "spaces", "kubernetes",
            "bandwidth", "other"}


@contextmanager
def throwaway_database():
    """A PostgreSQL database made for one use and dropped afterwards; yields its SQLAlchemy URL."""
    name = f"arcadia_test_scale_{uuid.uuid4().hex[:10]}"
    try:
        admin = psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        reason = str(exc).strip().splitlines()[0]
        if IN_CI:
            pytest.fail(f"PostgreSQL is required with CI=true: {reason}")
        pytest.skip(f"PostgreSQL unavailable: {reason}")
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    base = sa.engine.make_url(PG_ADMIN_URL.replace("postgresql://", "postgresql+psycopg://", 1))
    url = base.set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        engine_for(url).dispose()
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def built():
    """Two databases, each built with the same (scale, now): (url, counts) of both."""
    with throwaway_database() as first, throwaway_database() as second:
        yield [(url, scale_demo.build(url, SCALE, NOW)) for url in (first, second)]


@pytest.fixture
def conn(built):
    """A connection to the first build, closed after the test (no transaction left open)."""
    url, _ = built[0]
    with engine_for(url).connect() as connection:
        yield connection


def scalar(conn, sql: str, **binds):
    return conn.execute(sa.text(sql), binds).scalar()


# --- sizes -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("scale, expected", [
    (1, {"tenants": 5000, "ghost_tenants": 50, "deployments": 20000, "resources": 100000,
         "subscriptions": 11500, "unmatched": 1200}),
    (0.25, {"tenants": 1250, "ghost_tenants": 13, "deployments": 5000, "resources": 25000,
            "subscriptions": 2875, "unmatched": 300}),
    (2, {"tenants": 10000, "ghost_tenants": 100, "deployments": 40000, "resources": 200000,
         "subscriptions": 23000, "unmatched": 2400}),
    (0.0001, {"tenants": 5, "ghost_tenants": 1, "deployments": 5, "resources": 40,
              "subscriptions": 5, "unmatched": 6}),
])
def test_counts_scale_linearly_with_a_floor(scale, expected):
    params = scale_demo.binds(scale, NOW)
    assert {key: params[key] for key in expected} == expected
    assert params["month_start"] == MONTH_START
    assert str(params["window_start"]) == "2025-11-01" and str(params["last_period"]) == "2026-10-01"


@pytest.mark.parametrize("now, through", [
    ("2026-11-27T13:20:00Z", "2026-11-27T06:00:00Z"),  # after the day's sync: that day's preview
    ("2026-11-27T06:00:00Z", "2026-11-27T06:00:00Z"),
    ("2026-11-27T05:59:59Z", "2026-11-26T06:00:00Z"),  # before it: the day before's
    ("2026-12-01T03:00:00Z", "2026-11-30T06:00:00Z"),  # the 1st before 06:00: no preview of December yet
])
def test_the_preview_runs_to_the_last_daily_sync(now, through):
    assert scale_demo.preview_through(parse_instant(now)) == parse_instant(through)


def test_build_counts(built):
    _, counts = built[0]
    params = scale_demo.binds(SCALE, NOW)
    assert counts["tenants"] == params["tenants"] == 10
    assert counts["cloud_deployments"] == params["deployments"] == 40
    assert counts["cloud_resources"] == params["resources"] == 200
    assert counts["subscriptions"] == params["subscriptions"] == 23
    assert counts["catalog_items"] == 8
    assert counts["cloud_projects"] == 3
    # ~100,000 cost lines a month at scale 1 (and the month in progress's preview, up to the 27th at 06:00);
    # ~7 M usage rows near a month's end (here the 27th).
    assert 12 * 150 + 150 <= counts["cloud_cost_lines"] <= 13 * 260
    assert 20 * 24 * 15 <= counts["usage_records"] <= 23 * 24 * 27 + 23 * 30
    assert set(counts) == set(scale_demo.CONTRACT_TABLES)


def test_cost_lines_cover_the_twelve_complete_months_and_the_preview(conn):
    periods = [row[0].isoformat() for row in conn.execute(sa.text(
        "SELECT DISTINCT period FROM cloud_cost_lines ORDER BY 1"))]
    assert periods == [f"{year}-{month:02d}-01" for year, month in
                       [(2025, 11), (2025, 12)] + [(2026, m) for m in range(1, 12)]]
    invoiced = scalar(conn, "SELECT count(DISTINCT period) FROM tenant_invoices")
    assert invoiced == 12


# --- determinism ---------------------------------------------------------------------------------

def test_same_scale_and_now_give_the_same_figures(built):
    (first, _), (second, _) = built
    october = Period.parse("2026-10")
    figures = []
    for url in (first, second):
        engine = engine_for(url)
        accrual = report.accrual_json(analytics.live_accrual(engine, NOW))
        figures.append((report.margin_json(analytics.margin_summary(engine, october)), accrual["totals"]))
    assert figures[0] == figures[1]
    assert figures[0][0]["tenants"] and figures[0][1]["subtotal"] != "0.00"


def test_same_scale_and_now_give_the_same_rows(built):
    digests = []
    for url, _ in built:
        with engine_for(url).connect() as connection:
            digests.append({table: scalar(connection, f"SELECT md5(string_agg(t::text, '|' ORDER BY t.id)) FROM {table} AS t")
                            for table in scale_demo.CONTRACT_TABLES})
    assert digests[0] == digests[1]


def test_pre_aggregates_agree_with_raw_rows(built):
    """The load runs with triggers off, so it must rebuild the pre-aggregates: they equal the raw figures."""
    engine = engine_for(built[0][0])
    for month in ("2025-11", "2026-06", "2026-10"):
        period = Period.parse(month)
        assert report.margin_json(analytics.margin_summary(engine, period)) == \
            report.margin_json(analytics.margin_summary(raw(engine), period))
        assert report.by_kind_json(analytics.by_kind(engine, period)) == \
            report.by_kind_json(analytics.by_kind(raw(engine), period))
    assert report.accrual_json(analytics.live_accrual(engine, NOW)) == \
        report.accrual_json(analytics.live_accrual(raw(engine), NOW))


# --- realistic features: one query each ----------------------------------------------------------

FEATURES = {
    "skewed tenant sizes: the largest tenant has over 3× the mean deployments": """
        SELECT max(n) > 3 * avg(n) FROM (SELECT count(*) AS n FROM cloud_deployments GROUP BY tenant_id) AS t""",
    "resources in deployments": "SELECT count(*) > 0 FROM cloud_resources WHERE deployment_id IS NOT NULL",
    "standalone tagged resources": """
        SELECT count(*) > 0 FROM cloud_resources WHERE deployment_id IS NULL AND tenant_id IS NOT NULL""",
    "a resource tagged with another tenant than its deployment's": """
        SELECT count(*) > 0 FROM cloud_resources AS r JOIN cloud_deployments AS d ON d.id = r.deployment_id
        WHERE r.tenant_id <> d.tenant_id""",
    "untagged resources carry cost (unattributed)": """
        SELECT count(*) > 0 FROM cloud_cost_lines AS c JOIN cloud_resources AS r ON r.id = c.resource_id
        WHERE r.tenant_id IS NULL AND r.deployment_id IS NULL""",
    "deleted resources carry cost for the months they ran, none after": """
        SELECT bool_or(c.period < r.deleted_at) AND NOT bool_or(c.period >= r.deleted_at)
        FROM cloud_cost_lines AS c JOIN cloud_resources AS r ON r.id = c.resource_id
        WHERE r.deleted_at IS NOT NULL AND r.status = 'deleted'""",
    "credits on matched and unmatched lines": """
        SELECT bool_or(amount_cents < 0 AND resource_id IS NOT NULL) AND bool_or(amount_cents < 0 AND resource_id IS NULL)
        FROM cloud_cost_lines""",
    "unmatched cost lines, some naming a provider resource": """
        SELECT count(*) > 0 AND bool_or(provider_resource_id IS NOT NULL)
        FROM cloud_cost_lines WHERE resource_id IS NULL""",
    "voided invoices reissued for the same tenant and month": """
        SELECT count(*) > 0 FROM tenant_invoices AS v JOIN tenant_invoices AS l
          ON l.tenant_id = v.tenant_id AND l.period = v.period AND l.status <> 'void'
        WHERE v.status = 'void' AND v.subtotal_cents <> l.subtotal_cents""",
    "tenant ids in deployments and invoices without a tenants row": """
        SELECT EXISTS (SELECT 1 FROM cloud_deployments AS d WHERE d.tenant_id NOT IN (SELECT id FROM tenants))
           AND EXISTS (SELECT 1 FROM tenant_invoices AS i WHERE i.tenant_id NOT IN (SELECT id FROM tenants))""",
    "subscriptions starting mid-way through now's month": """
        SELECT count(*) > 0 FROM subscriptions WHERE started_at > :month_start AND started_at < :now""",
    "subscriptions ending mid-way through now's month": """
        SELECT count(*) > 0 FROM subscriptions WHERE ended_at > :month_start AND ended_at < :now
                                                AND status = 'cancelled'""",
    "subscriptions that ended in an earlier month, and paused ones": """
        SELECT bool_or(ended_at < :month_start) AND bool_or(status = 'paused') FROM subscriptions""",
    "internal tenants": "SELECT count(*) > 0 FROM tenants WHERE kind = 'internal'",
    "UUID and slug tenant ids": r"""
        SELECT bool_or(id ~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$')
           AND bool_or(id ~ '^[a-z]+(-[a-z0-9]+)+$') FROM tenants""",
    "everything in USD": """
        SELECT (SELECT bool_and(currency = 'USD') FROM cloud_cost_lines)
           AND (SELECT bool_and(currency = 'USD') FROM tenant_invoices)
           AND (SELECT bool_and(currency = 'USD') FROM subscriptions)
           AND (SELECT bool_and(currency = 'USD') FROM catalog_items)""",
    "catalog covers flat, per_unit and tiered, tiers as graduated JSON": """
        SELECT array_agg(DISTINCT pricing_model ORDER BY pricing_model) = ARRAY['flat', 'per_unit', 'tiered']
           AND bool_and(pricing_model <> 'tiered' OR (json_array_length(tiers) > 1
                        AND tiers -> -1 ->> 'up_to' IS NULL AND tiers -> 0 ->> 'unit_price_micros' IS NOT NULL))
        FROM catalog_items""",
    "price overrides on subscription items": "SELECT count(*) > 0 FROM subscription_items WHERE unit_price_micros IS NOT NULL",
    "no invoices for now's month": "SELECT NOT EXISTS (SELECT 1 FROM tenant_invoices WHERE period >= :month_start)",
    "now's month has a daily preview: one invoice, lines up to 06:00 of now's day, written then": """
        SELECT count(DISTINCT provider_invoice_id) = 1 AND max(end_at) = :through AND max(inserted_at) = :through
           AND min(start_at) = :month_start AND bool_and(provider_invoice_id = 'do-preview-202611')
        FROM cloud_cost_lines WHERE period = CAST(:month_start AS date)""",
    "the preview is in place for the default account, with its sync": """
        SELECT EXISTS (SELECT 1 FROM provider_invoices AS p WHERE p.period = CAST(:month_start AS date)
                       AND p.account = 'default' AND p.source = 'preview' AND p.provider_invoice_id = 'do-preview-202611'
                       AND p.as_of = :through AND p.line_count = (SELECT count(*) FROM cloud_cost_lines
                                                                  WHERE period = CAST(:month_start AS date)))
           AND EXISTS (SELECT 1 FROM provider_syncs WHERE succeeded_at > :through)""",
    "credits and unmatched lines in the preview": """
        SELECT bool_or(amount_cents < 0 AND resource_id IS NOT NULL) AND bool_or(amount_cents < 0 AND resource_id IS NULL)
           AND bool_or(resource_id IS NULL AND amount_cents > 0)
        FROM cloud_cost_lines WHERE period = CAST(:month_start AS date)""",
    "resources created and deleted mid-way through now's month, billed in the preview for the time they ran": """
        SELECT bool_or(r.first_seen_at > :month_start AND c.start_at = r.first_seen_at)
           AND bool_or(r.deleted_at > :month_start AND r.deleted_at < :through AND c.end_at = r.deleted_at)
        FROM cloud_cost_lines AS c JOIN cloud_resources AS r ON r.id = c.resource_id
        WHERE c.period = CAST(:month_start AS date) AND c.unit = 'hour'""",
}


@pytest.mark.parametrize("feature", FEATURES)
def test_realistic_feature(conn, feature):
    assert scalar(conn, FEATURES[feature], month_start=MONTH_START, now=NOW, through=THROUGH) is True, feature


def test_every_do_kind_has_cost_lines(conn):
    kinds = {row[0] for row in conn.execute(sa.text("SELECT DISTINCT kind FROM cloud_cost_lines"))}
    assert kinds == DO_KINDS


def test_hourly_usage_for_now_month_only(conn):
    """One compute reading an hour per active subscription, in [max(month start, start), min(now, end))."""
    rows = conn.execute(sa.text("""
        SELECT s.id, s.started_at, s.ended_at, count(*) AS readings, min(u.recorded_at) AS first,
               max(u.recorded_at) AS last
        FROM usage_records AS u
        JOIN catalog_items AS c ON c.id = u.catalog_item_id AND c.sku = 'COMPUTE-VCPU-HOUR'
        JOIN subscriptions AS s ON s.id = u.subscription_id
        GROUP BY s.id, s.started_at, s.ended_at""")).all()
    active = scalar(conn, """SELECT count(*) FROM subscriptions
                             WHERE started_at < :now AND (ended_at IS NULL OR ended_at > :month_start)""",
                    now=NOW, month_start=MONTH_START)
    assert len(rows) == active >= 15
    for row in rows:
        assert row.first >= max(MONTH_START, row.started_at) and row.last < min(NOW, row.ended_at or NOW)
        assert (row.last - row.first).total_seconds() == 3600 * (row.readings - 1)
        assert (row.first - max(MONTH_START, row.started_at)).total_seconds() < 3600
        assert (min(NOW, row.ended_at or NOW) - row.last).total_seconds() <= 3600
    assert scalar(conn, "SELECT count(*) FROM usage_records WHERE recorded_at < :month_start OR recorded_at >= :now",
                  month_start=MONTH_START, now=NOW) == 0
    assert scalar(conn, "SELECT count(DISTINCT idempotency_key) = count(*) FROM usage_records") is True


# --- invoice identities --------------------------------------------------------------------------

def test_invoice_lines_sum_to_subtotals_and_tax_is_ten_percent_half_up(conn):
    mismatched = scalar(conn, """
        SELECT count(*) FROM tenant_invoices AS i
        LEFT JOIN (SELECT invoice_id, sum(amount_cents) AS lines FROM tenant_invoice_lines GROUP BY invoice_id) AS l
          ON l.invoice_id = i.id
        WHERE coalesce(l.lines, 0) <> i.subtotal_cents
           OR i.tax_cents <> round(i.subtotal_cents / 10.0)
           OR i.total_cents <> i.subtotal_cents + i.tax_cents""")
    assert mismatched == 0
    assert scalar(conn, "SELECT count(*) FROM tenant_invoices WHERE subtotal_cents % 10 = 5") > 0  # rounding is exercised


def test_one_live_invoice_per_tenant_with_subscriptions_per_month(conn):
    missing_or_extra = scalar(conn, """
        WITH months AS (SELECT DISTINCT period FROM tenant_invoices),
        expected AS (
            SELECT DISTINCT s.tenant_id, m.period FROM subscriptions AS s, months AS m
            WHERE s.started_at < m.period + interval '1 month'
              AND (s.ended_at IS NULL OR s.ended_at > m.period)),
        live AS (SELECT tenant_id, period FROM tenant_invoices WHERE status <> 'void')
        SELECT count(*) FROM ((SELECT * FROM expected EXCEPT ALL SELECT * FROM live)
                              UNION ALL (SELECT * FROM live EXCEPT ALL SELECT * FROM expected)) AS d""")
    assert missing_or_extra == 0


# --- refusals ------------------------------------------------------------------------------------

@pytest.mark.parametrize("scale", [0, -1, 20.5, 1e9, float("nan"), float("inf")])
def test_refuses_a_scale_out_of_range(scale):
    with pytest.raises(InputError, match="--scale"):
        scale_demo.build("postgresql+psycopg://nobody@127.0.0.1:1/none", scale, NOW)


def test_refuses_sqlite(tmp_path):
    path = tmp_path / "scale.sqlite"
    with pytest.raises(InputError, match="needs PostgreSQL"):
        scale_demo.build(f"sqlite:///{path}", SCALE, NOW)
    assert not path.exists() or path.stat().st_size == 0


def test_refuses_a_database_with_data(built):
    url, counts = built[0]
    with pytest.raises(InputError, match="already has data"):
        scale_demo.build(url, SCALE, NOW)
    with engine_for(url).connect() as connection:
        assert scalar(connection, "SELECT count(*) FROM tenants") == counts["tenants"]


def test_cli_refuses_scale_on_sqlite_with_exit_2(tmp_path, capsys):
    code = main(["--database-url", f"sqlite:///{tmp_path / 'x.sqlite'}", "demo", "--scale", "0.01",
                 "--now", "2026-11-27T00:00:00Z"])
    assert code == 2
    assert "needs PostgreSQL" in capsys.readouterr().err


def test_without_trigger_bypass_the_load_still_builds_and_triggers_keep_the_figures(monkeypatch):
    """The fallback for a role that may not set session_replication_role: triggers fire during the load."""
    monkeypatch.setattr(scale_demo, "_triggers_off", lambda conn: False)
    with throwaway_database() as url:
        counts = scale_demo.build(url, SCALE, NOW)
        engine = engine_for(url)
        assert counts["usage_records"] > 0
        october = Period.parse("2026-10")
        assert report.margin_json(analytics.margin_summary(engine, october)) == \
            report.margin_json(analytics.margin_summary(raw(engine), october))
        assert report.accrual_json(analytics.live_accrual(engine, NOW)) == \
            report.accrual_json(analytics.live_accrual(raw(engine), NOW))
