"""Figure builders: the plotted values are the analytics figures (read from the figure, not the page)."""

from __future__ import annotations

from decimal import Decimal

from arcadia import analytics, charts
from arcadia.db import engine_for
from arcadia.period import Period, parse_instant
from tests.conftest import DEMO_NOW

OCTOBER = Period.parse("2026-10-01")


def test_trend_plots_revenue_cogs_and_margin(demo_sqlite_url):
    history = analytics.monthly_pnl(engine_for(demo_sqlite_url), OCTOBER)
    fig = charts.trend(history)
    revenue, cogs, margin = fig.data
    assert list(revenue.x)[-1] == "Oct 2026" and len(revenue.x) == 12
    april = list(revenue.x).index("Apr 2026")
    assert (revenue.y[april], cogs.y[april], margin.y[april]) == (Decimal("71.12"), Decimal("86.92"), Decimal("-15.80"))


def test_top_tenants_folds_the_rest_into_others(demo_sqlite_url):
    tenants = analytics.margin_summary(engine_for(demo_sqlite_url), OCTOBER).tenants
    names, revenue, cogs = charts.top_tenants(tenants, top=5)
    assert len(names) == 6 and names[-1] == f"Others ({len(tenants) - 5})"
    assert sum(revenue) == sum(t.revenue_cents for t in tenants) and sum(cogs) == sum(t.cogs_cents for t in tenants)


def test_kinds_and_accrual_charts(demo_sqlite_url):
    engine = engine_for(demo_sqlite_url)
    kinds = analytics.by_kind(engine, OCTOBER)
    fig = charts.kinds_bar(kinds.cogs, "COGS", charts.COGS)
    assert list(fig.data[0].x) == [k.kind for k in kinds.cogs]
    accrual = analytics.live_accrual(engine, parse_instant(DEMO_NOW))
    bars = charts.accrual_by_tenant(accrual, {"northwind": "Northwind Analytics"})
    assert sum(bars.data[0].y) == Decimal(accrual.subtotal_cents) / 100
    assert "Northwind Analytics" in bars.data[0].x
