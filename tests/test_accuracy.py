"""How good the live COGS estimate has been (issue 15, item 4): projections on days 7, 14 and 21 of past months
against their final COGS, from the model alone and the inventory as known on the day."""

from __future__ import annotations

import json

import pytest

from arcadia import accuracy, analytics
from arcadia.cli import main
from arcadia.db import connect, engine_for
from arcadia.money import margin_pct
from arcadia.period import Period, parse_instant
from tests.conftest import DEMO_NOW, load_sql

MAY = Period.parse("2026-05")


@pytest.fixture
def case(engine):
    load_sql(engine, "estimate.sql")
    return engine


def test_a_deletion_after_the_day_is_not_known_on_the_day(case):
    """old-db (April 15.00) is deleted 2026-05-04T06:00: on May 3 the model does not know it yet."""
    with connect(case) as conn:
        before = accuracy.model_estimate(conn, MAY, parse_instant("2026-05-03T00:00:00Z"))
        after = accuracy.model_estimate(conn, MAY, parse_instant("2026-05-11T00:00:00Z"))
    beta_before = {t.tenant_id: t.projected_cogs_cents for t in before.tenants}["beta"]
    beta_after = {t.tenant_id: t.projected_cogs_cents for t in after.tenants}["beta"]
    # after: 162.5 (old-db, 78 h) + 987.10 (fresh) + 1860 (sprout) = 3010; before: old-db runs to the month's end
    # (capped at April's 1500) and fresh (first seen May 6) is not alive yet: 1500 + 1860 = 3360
    assert (beta_before, beta_after) == (3360, 3010)


def test_the_demo_months_against_their_final_cogs(demo_sqlite_url):
    engine = engine_for(demo_sqlite_url)
    found = accuracy.estimate_accuracy(engine, months=3, now=parse_instant(DEMO_NOW))
    assert [str(m) for m in found.months] == ["2026-10-01", "2026-09-01", "2026-08-01"]
    assert [(str(p.period), p.day) for p in found.overall][:3] == [("2026-10-01", 7), ("2026-10-01", 14),
                                                                  ("2026-10-01", 21)]
    for point in found.overall:
        final = analytics.margin_summary(engine, point.period).overall.cogs_cents
        assert point.final_cents == final and point.error_cents == point.projected_cents - final
    with connect(engine) as conn:  # each point is the model's projection as of that day
        day14 = accuracy.model_estimate(conn, Period.parse("2026-09"), parse_instant("2026-09-14T00:00:00Z"))
    assert next(p for p in found.overall if str(p.period) == "2026-09-01" and p.day == 14).projected_cents == \
        day14.projected_cogs_cents
    # the 10 largest tenants of each month by final COGS, per day
    october = [p for p in found.tenants if str(p.period) == "2026-10-01" and p.day == 7]
    assert len(october) == 10 and [p.final_cents for p in october] == sorted((p.final_cents for p in october),
                                                                             reverse=True)
    (day7, pct7), *_ = found.summary()
    finals = sum(p.final_cents for p in found.overall if p.day == 7)
    assert day7 == 7 and pct7 == margin_pct(sum(abs(p.error_cents) for p in found.overall if p.day == 7),
                                                      finals)


def test_a_month_with_only_a_preview_is_skipped(demo_sqlite_url, tmp_path):
    """The demo's month in progress (November at DEMO_NOW) has a preview in place, no final invoice."""
    engine = engine_for(demo_sqlite_url)
    found = accuracy.estimate_accuracy(engine, months=1, now=parse_instant("2026-12-02T00:00:00Z"))
    assert found.months == () and found.skipped == ("November 2026: only a daily preview is in place (default)",)


def test_the_cli(demo_sqlite_url, capsys):
    assert main(["--database-url", demo_sqlite_url, "estimate-accuracy", "--months", "2", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert list(doc) == ["days", "months", "summary", "overall", "tenants", "skipped"] and doc["days"] == [7, 14, 21]
    assert all(set(row) == {"period", "day", "projected_cogs", "final_cogs", "error", "error_pct"}
               for row in doc["overall"])
    assert main(["--database-url", demo_sqlite_url, "estimate-accuracy", "--months", "0"]) == 2
    assert "--months 0" in capsys.readouterr().err
