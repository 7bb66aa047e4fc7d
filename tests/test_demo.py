"""The demo data: the seed's April 2026 figures, and the story the rest of the year tells."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from arcadia import analytics, do_import, report, schema
from arcadia.db import engine_for
from arcadia.demo import build_demo, build_world
from arcadia.errors import InputError
from arcadia.period import Period, parse_instant
from tests.conftest import DEMO_NOW

APRIL = Period.parse("2026-04-01")


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def demo(request, tmp_path_factory):
    if request.param == "sqlite":
        return engine_for(request.getfixturevalue("demo_sqlite_url"))
    url = request.getfixturevalue("pg_server_url")
    engine = engine_for(url)
    schema.metadata.drop_all(engine)
    build_demo(url, DEMO_NOW)
    return engine


def test_april_2026_reproduces_the_seed_figures(demo):
    doc = report.margin_json(analytics.margin_summary(demo, APRIL))
    assert doc["overall"] == {"revenue": "71.12", "cogs": "86.92", "attributed_cogs": "30.53",
                              "unattributed_cogs": "56.39", "margin": "-15.80", "margin_pct": -22.2}
    assert doc["tenants"] == [{"tenant_id": "dashboard-pilot", "tenant_name": "Dashboard Pilot", "revenue": "71.12",
                               "cogs": "30.53", "margin": "40.59", "margin_pct": 57.1}]
    [dep] = doc["deployments"]
    assert (dep["tenant_id"], dep["revenue"], dep["cogs"], dep["margin_pct"]) == ("dashboard-pilot", "71.12", "30.53", 57.1)


def test_pilot_deployment_runs_five_droplets_in_april(demo):
    with demo.connect() as conn:
        droplets = conn.execute(
            sa.select(sa.func.count()).select_from(schema.cloud_resources)
            .where(schema.cloud_resources.c.tenant_id == "dashboard-pilot", schema.cloud_resources.c.kind == "droplet")
        ).scalar()
    assert droplets == 5


def test_before_april_is_internal_infra_only(demo):
    for month in ("2026-01-01", "2026-02-01", "2026-03-01"):
        s = analytics.margin_summary(demo, Period.parse(month))
        assert s.overall.revenue_cents == 0 and s.overall.cogs_cents > 0 and s.tenants == ()


def test_later_months_have_the_promised_variety(demo):
    tenants, loss_makers, kinds = set(), set(), set()
    for month in ("2026-05-01", "2026-06-01", "2026-07-01", "2026-08-01", "2026-09-01", "2026-10-01"):
        s = analytics.margin_summary(demo, Period.parse(month))
        assert sum(t.cogs_cents for t in s.tenants) + s.unattributed_cogs_cents == s.overall.cogs_cents
        tenants |= {t.tenant_id for t in s.tenants if not t.internal}
        loss_makers |= {t.tenant_id for t in s.tenants if not t.internal and t.margin_cents < 0}
        kinds |= {k.kind for k in analytics.by_kind(demo, Period.parse(month)).cogs}
    assert len(tenants) >= 15
    assert any("-" in t and len(t) == 36 for t in tenants) and "northwind" in tenants
    assert loss_makers
    assert kinds >= {"droplet", "volume", "snapshot", "backup", "load_balancer", "database", "spaces",
                     "kubernetes", "bandwidth", "other"}
    with demo.connect() as conn:
        statuses = {r[0] for r in conn.execute(sa.select(schema.tenant_invoices.c.status).distinct())}
        credits = conn.execute(sa.select(sa.func.count()).select_from(schema.cloud_cost_lines)
                               .where(schema.cloud_cost_lines.c.amount_cents < 0)).scalar()
        unmatched = conn.execute(sa.select(sa.func.count()).select_from(schema.cloud_cost_lines)
                                 .where(schema.cloud_cost_lines.c.resource_id.is_(None))).scalar()
        deleted = conn.execute(sa.select(sa.func.count()).select_from(schema.cloud_resources)
                               .where(schema.cloud_resources.c.deleted_at.is_not(None))).scalar()
    assert "void" in statuses and credits >= 2 and unmatched >= 7 and deleted >= 1


def test_current_month_has_partial_usage_and_no_invoice(demo):
    accrual = analytics.live_accrual(demo, parse_instant(DEMO_NOW))
    assert accrual.period == Period.parse("2026-11-01")
    assert accrual.subtotal_cents > 0 and accrual.projected_subtotal_cents > accrual.subtotal_cents
    assert not accrual.warnings
    november = analytics.margin_summary(demo, accrual.period)
    # No invoice yet; the cost so far is DigitalOcean's preview as the 06:00 sync left it (2026-11-26T06:00)
    assert november.invoice_count == 0 and november.cost_line_count > 0
    with demo.connect() as conn:
        (place,) = do_import.in_place(conn, accrual.period).values()
    assert (place.source, place.as_of, place.amount_cents) == ("preview", parse_instant("2026-11-26T06:00:00Z"),
                                                               november.overall.cogs_cents)
    assert accrual.estimate.actual.through == place.lines_through == place.as_of
    assert accrual.estimate.actual_cogs_cents == november.overall.cogs_cents


def test_demo_is_deterministic():
    first, second = build_world(parse_instant(DEMO_NOW)), build_world(parse_instant(DEMO_NOW))
    assert first.rows == second.rows


def test_demo_refuses_a_database_with_data(demo_sqlite_url):
    with pytest.raises(InputError, match="already has data"):
        build_demo(demo_sqlite_url, DEMO_NOW)
