"""Figure and table builders: the plotted and listed values are the analytics figures (read from the builders)."""

from __future__ import annotations

import html
from decimal import Decimal

import pytest

from arcadia import analytics, charts, report
from arcadia.analytics import Accrual, TenantPnL
from arcadia.db import engine_for
from arcadia.period import Period, parse_instant
from arcadia.quote import Quote, Subscription
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
    bars = charts.accrual_by_tenant(accrual, {"northwind": "Northwind Analytics"}, top=25)
    assert sum(bars.data[0].y) == Decimal(accrual.subtotal_cents) / 100
    assert "Northwind Analytics" in bars.data[0].x


def test_accrual_chart_folds_the_rest_into_others(demo_sqlite_url):
    accrual = analytics.live_accrual(engine_for(demo_sqlite_url), parse_instant(DEMO_NOW))
    tenants = {q.subscription.tenant_id for q in accrual.quotes}
    labels, accrued, projected = charts.accrual_tenants(accrual, {}, top=3)
    assert len(labels) == 4 and labels[-1] == f"Others ({len(tenants) - 3})"
    assert accrued[:3] == sorted(accrued[:3], reverse=True) and min(accrued[:3]) >= max(
        sum(q.subtotal_cents for q in accrual.quotes if q.subscription.tenant_id == t)
        for t in tenants if t not in labels)
    assert sum(accrued) == accrual.subtotal_cents and sum(projected) == accrual.projected_subtotal_cents


HOSTILE = "[click](https://evil.example) <b>x</b>"


def _tenant(tenant_id: str, name: str, revenue: int, cogs: int) -> TenantPnL:
    return TenantPnL(revenue_cents=revenue, cogs_cents=cogs, tenant_id=tenant_id, tenant_name=name)


def test_chart_labels_show_database_text_literally_and_never_merge_two_tenants():
    tenants = (_tenant("a", HOSTILE, 500, 100), _tenant("b", "Same", 400, 0), _tenant("c", "Same", 300, 0),
               _tenant("d", "Other", 1, 0))
    labels, revenue, _ = charts.top_tenants(tenants, top=3)
    # Plotly renders <b> and <a> in labels: the label escapes them, so the browser shows the text as stored.
    assert labels == ["[click](https://evil.example) &lt;b&gt;x&lt;/b&gt;", "Same (b)", "Same (c)", "Others (1)"]
    assert revenue == [500, 400, 300, 1]
    assert html.unescape(charts.tenants_bar(tenants, 3).data[0].x[0]) == HOSTILE


def test_accrual_subscriptions_table_is_the_analytics_largest_first(demo_sqlite_url):
    accrual = analytics.live_accrual(engine_for(demo_sqlite_url), parse_instant(DEMO_NOW))
    names = {"northwind": "Northwind Analytics"}
    rows = report.accrual_subscriptions(accrual, names)
    by_id = {q.subscription.id: q for q in accrual.quotes}
    assert sorted(r["subscription_id"] for r in rows) == sorted(by_id)
    assert [r["subtotal"] for r in rows] == sorted((q.subtotal_cents for q in accrual.quotes), reverse=True)
    for r in rows:
        q = by_id[r["subscription_id"]]
        assert (r["subtotal"], r["GST"], r["total"], r["projected"]) == (
            q.subtotal_cents, q.tax_cents, q.total_cents, q.projected_subtotal_cents)
        assert r["tenant"] == names.get(r["tenant_id"], r["tenant_id"])
    assert sum(r["total"] for r in rows) == accrual.total_cents


@pytest.mark.parametrize("query, expected", [
    ("", {"s-1", "s-2", "s-3"}),
    ("ACME", {"s-1", "s-2"}),             # tenant name, any case
    ("t-orch", {"s-3"}),                  # tenant id
    ("S-2", {"s-2"}),                     # subscription id
    ("  corp ", {"s-1", "s-2"}),          # surrounding spaces ignored
    (".*", set()),                        # literal text, not a pattern
    ("[click]", {"s-3"}),                 # markdown in a name is just text
])
def test_accrual_search(query, expected):
    accrual = Accrual(parse_instant(DEMO_NOW), OCTOBER, "USD", (_quote("s-1", "t-acme"), _quote("s-2", "t-acme"),
                                                                _quote("s-3", "t-orch")))
    names = {"t-acme": "Acme Corp", "t-orch": HOSTILE}
    assert {r["subscription_id"] for r in report.accrual_subscriptions(accrual, names, query)} == expected


def _quote(subscription_id: str, tenant_id: str) -> Quote:
    return Quote(Subscription(id=subscription_id, tenant_id=tenant_id, deployment_id=None, started_at=None,
                              ended_at=None, currency="USD", items=()))


def test_accrual_csv_rows_share_one_instant(demo_sqlite_url):
    accrual = analytics.live_accrual(engine_for(demo_sqlite_url), parse_instant(DEMO_NOW))
    rows = report.accrual_table(accrual, "subscriptions")
    assert {r["as_of"] for r in rows} == {report.accrual_json(accrual)["as_of"]} and len(rows) == len(accrual.quotes)
