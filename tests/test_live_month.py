"""The live accrual's instant and its month (issue 15, item 3): the newest usage reading by default, the metering
lag, an explicit as_of as given, an invoiced month said plainly; on both backends and on the pages."""

from __future__ import annotations

import pytest

from arcadia import analytics, report
from arcadia.period import Period, parse_instant
from tests.conftest import DEMO_NOW

MAY = Period.parse("2026-05")


@pytest.mark.parametrize("now, as_of, basis, lagging", [
    # small.sql's May readings: 05-12, 05-15, 05-20 18:30, 05-25; the newest before now is the instant
    ("2026-05-21T12:00:00Z", "2026-05-20T18:30:01Z", "latest reading", True),  # 17.5 h behind: warned
    ("2026-05-20T20:00:00Z", "2026-05-20T18:30:01Z", "latest reading", False),  # 1.5 h: not warned
    ("2026-05-25T00:00:00Z", "2026-05-25T00:00:01Z", "latest reading", False),  # a reading at now counts
    ("2026-07-10T00:00:00Z", "2026-07-10T00:00:00Z", "clock", False),  # July has no reading: the clock
])
def test_the_default_instant_is_the_newest_reading(small, now, as_of, basis, lagging):
    accrual = analytics.live_accrual(small, now=parse_instant(now))
    assert (accrual.as_of, accrual.as_of_basis) == (parse_instant(as_of), basis)
    assert any("metering lags" in w for w in accrual.warnings) == lagging
    doc = report.accrual_json(accrual)
    assert doc["as_of_basis"] == basis and doc["as_of"] == as_of
    assert doc["metered_through"] == (None if basis == "clock" else as_of.replace(":01Z", ":00Z"))


def test_the_projection_does_not_slide_while_the_meter_is_silent(small):
    """Half a day or four days after the last reading, with nothing new, the projection is the same."""
    at_reading = analytics.live_accrual(small, now=parse_instant("2026-05-25T00:00:00Z"))
    later = [analytics.live_accrual(small, now=parse_instant(now)) for now in ("2026-05-25T12:00:00Z",
                                                                              "2026-05-29T00:00:00Z")]
    assert {a.projected_subtotal_cents for a in later} == {at_reading.projected_subtotal_cents}
    # An explicit as_of is honoured as given (CONTRACT §2): four days on, the run rate is lower
    given = analytics.live_accrual(small, parse_instant("2026-05-29T00:00:00Z"))
    assert given.as_of_basis == "given" and given.metered_through == parse_instant("2026-05-25T00:00:00Z")
    assert given.projected_subtotal_cents < at_reading.projected_subtotal_cents


def test_an_invoiced_month_says_so_instead_of_projecting(demo_db):
    from arcadia.db import engine_for

    accrual = analytics.live_accrual(engine_for(f"sqlite:///{demo_db}"), parse_instant("2026-10-15T12:00:00Z"))
    assert accrual.invoiced and accrual.quotes == () and accrual.estimate is None
    assert accrual.warnings[0].startswith("October 2026 is invoiced already: its revenue is in the P&L")
    assert "estimate" not in report.accrual_json(accrual)


def test_the_page_on_an_invoiced_month_points_to_the_pnl(demo_sqlite_url, monkeypatch):
    from tests.test_pages import ADMIN, app_test

    at = app_test(demo_sqlite_url, monkeypatch, user=ADMIN, page="pages/accrual.py", as_of="2026-10-15T12:00:00Z")
    assert not at.exception
    assert any("October 2026 is invoiced" in i.value for i in at.info)
    assert not any(m.label == "Projected month-end COGS" for m in at.metric)


def test_the_page_shows_the_three_parts_and_the_previews_age(demo_sqlite_url, monkeypatch):
    """The demo at DEMO_NOW: November's preview runs to 2026-11-26 06:00; the estimate by tenant adds up."""
    from tests.test_pages import ADMIN, app_test

    at = app_test(demo_sqlite_url, monkeypatch, user=ADMIN, page="pages/accrual.py", as_of=DEMO_NOW)
    assert not at.exception and not at.error
    metrics = {m.label: m.value for m in at.metric}
    assert {"Actual cost so far", "Estimated COGS to now", "Projected month-end COGS"} <= set(metrics)
    assert any(c.value.startswith("The month's cost lines run to 2026-11-26 06:00 UTC") for c in at.caption)
    from arcadia.db import engine_for

    est = analytics.live_accrual(engine_for(demo_sqlite_url), parse_instant(DEMO_NOW)).estimate
    rows = report.estimate_tenants(est)
    assert sum(r["estimated COGS"] for r in rows) == est.estimated_cogs_cents
    assert sum(r["projected COGS"] for r in rows) == est.projected_cogs_cents
    assert sum(r["actual COGS"] for r in rows) == est.actual_cogs_cents > 0
    assert sum(r["estimated margin"] for r in rows) == est.estimated_margin_cents


def test_data_health_shows_what_is_in_place_and_the_last_sync(demo_sqlite_url, monkeypatch):
    from tests.test_pages import ADMIN, app_test

    at = app_test(demo_sqlite_url, monkeypatch, user=ADMIN, page="pages/health.py", period="2026-11")
    assert not at.exception
    assert {"DigitalOcean invoices in place", "Last DigitalOcean sync"} <= {s.value for s in at.subheader}
    placed = next(f.value for f in at.dataframe if "runs to" in f.value.columns)
    assert list(placed["account"]) == ["default"] and "preview" in placed["source"].iloc[0]
    synced = next(f.value for f in at.dataframe if "last success" in f.value.columns)
    assert synced["last success"].iloc[0] == "2026-11-26T06:05:00Z"


def test_the_estimate_stands_without_subscriptions(engine):
    """A month with resources and cost lines but no subscription: the estimate is there, every tenant a row."""
    from tests.conftest import load_sql

    load_sql(engine, "estimate.sql")
    with engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM subscription_items")
        conn.exec_driver_sql("DELETE FROM subscriptions")
    accrual = analytics.live_accrual(engine, parse_instant("2026-05-11T00:00:00Z"))
    assert accrual.quotes == () and not accrual.invoiced and accrual.estimate is not None
    est = accrual.estimate
    assert est.accrued_revenue_cents == 0 and est.estimated_cogs_cents == 3151  # tests/fixtures/estimate.sql's figure
    assert {t.tenant_id for t in est.tenants} == {"acme", "beta", "gamma"}
