"""Figure and table builders: the plotted and listed values are the analytics figures (read from the builders),
money reads as on the cards, database text is shown literally, and no loss hides."""

from __future__ import annotations

import html
from decimal import Decimal

import pytest

from arcadia import analytics, charts, report
from arcadia.analytics import Accrual, KindAmount, MonthPnL, TenantPnL
from arcadia.db import engine_for
from arcadia.money import display, to_decimal
from arcadia.period import Period, parse_instant
from arcadia.quote import Quote, Subscription
from tests.conftest import DEMO_NOW

OCTOBER = Period.parse("2026-10-01")
NOVEMBER = Period.parse("2026-11-01")
HOSTILE = "[click](https://evil.example) <b>x</b>"


def _month(start: str, revenue: int, cogs: int, has_data: bool = True, note: str = "") -> MonthPnL:
    return MonthPnL(revenue, cogs, Period.parse(start), has_data, "USD", note)


def _tenant(tenant_id: str, name: str, revenue: int, cogs: int) -> TenantPnL:
    return TenantPnL(revenue_cents=revenue, cogs_cents=cogs, tenant_id=tenant_id, tenant_name=name)


def _table_order(tenants) -> tuple[TenantPnL, ...]:
    """As analytics.margin_summary sorts its tenants: margin ascending, then id."""
    return tuple(sorted(tenants, key=lambda t: (t.margin_cents, t.tenant_id)))


def _by_margin(*margins: int) -> tuple[TenantPnL, ...]:
    return _table_order(_tenant(f"t{i:02d}", f"Tenant {i:02d}", 100_000, 100_000 - m) for i, m in enumerate(margins))


def _plain(text: str) -> str:
    """A hover text as the browser shows it: our line breaks out, the escaped data back to what is stored."""
    assert "<" not in text.replace("<br>", ""), text  # no markup but our own line breaks
    return html.unescape(text.replace("<br>", " | "))


@pytest.mark.parametrize("cents, currency, texts", [
    ([0, 205_694], "USD", ["$0", "$500", "$1,000", "$1,500", "$2,000", "$2,500"]),
    ([-17_085, 38_860], "USD", ["-$200", "-$100", "$0", "$100", "$200", "$300", "$400"]),
    ([-5_000, -1_000], "USD", ["-$50", "-$40", "-$30", "-$20", "-$10", "$0"]),   # all losses: zero still shown
    ([150], "USD", ["$0.00", "$0.25", "$0.50", "$0.75", "$1.00", "$1.25", "$1.50"]),  # under a dollar: cents
    ([None, 7], "USD", ["$0.00", "$0.02", "$0.04", "$0.06", "$0.08"]),
    ([], "USD", ["$0"]),
    ([0, 0], "USD", ["$0"]),
    ([-10_000, 300_000], "EUR", ["-EUR 1,000", "EUR 0", "EUR 1,000", "EUR 2,000", "EUR 3,000"]),
    ([123_456_789_012], "USD", ["$0", "$250,000,000", "$500,000,000", "$750,000,000", "$1,000,000,000",
                                "$1,250,000,000"]),
])
def test_money_ticks_read_like_the_cards(cents, currency, texts):
    values, ticktext = charts.money_ticks(cents, currency)
    assert ticktext == texts
    # Each value is the exact Decimal its text reads, and the ticks span zero and every amount.
    assert values == [Decimal(t.replace("$", "").replace("EUR ", "").replace(",", "")) for t in texts]
    assert all(isinstance(v, Decimal) for v in values)
    assert len(values) <= 7 and all(c is None or values[0] <= to_decimal(c) <= values[-1] for c in cents)


def test_trend_plots_revenue_cogs_and_margin(demo_sqlite_url):
    history = analytics.monthly_pnl(engine_for(demo_sqlite_url), OCTOBER)
    fig = charts.trend(history)
    revenue, cogs, margin = fig.data
    assert list(revenue.x)[-1] == "Oct 2026" and len(revenue.x) == 12
    april = list(revenue.x).index("Apr 2026")
    assert (revenue.y[april], cogs.y[april], margin.y[april]) == (Decimal("71.12"), Decimal("86.92"), Decimal("-15.80"))
    # Hover lines read like the cards ("Margin: -$15.80", not "Margin : $-15.8"), under the month's name.
    assert (revenue.hovertext[april], cogs.hovertext[april], margin.hovertext[april]) == (
        "Revenue: $71.12", "COGS: $86.92", "Margin: -$15.80")
    assert all(t.hovertemplate is None and t.hoverinfo == "x+text" for t in fig.data)
    assert fig.layout.hovermode == "x unified"
    ticks = list(fig.layout.yaxis.ticktext)
    assert "$2,000" in ticks and "-$500" in ticks and not any("$-" in t or "−" in t for t in ticks)
    assert list(fig.layout.yaxis.tickvals) == [Decimal(t.replace("$", "").replace(",", "")) for t in ticks]
    assert fig.layout.yaxis.title.text == "USD"


def test_the_month_in_progress_with_figures_is_hatched_and_hollow_not_final():
    history = (_month("2026-09-01", 1_000, 600), _month("2026-10-01", 2_000, 1_500), _month("2026-11-01", 300, 800))
    fig = charts.trend(history, "USD", NOVEMBER)
    revenue, cogs, margin, connector, point = fig.data
    assert list(revenue.x) == ["Sep 2026", "Oct 2026", "Nov 2026 (in progress)"]
    for bars, color in ((revenue, charts.REVENUE), (cogs, charts.COGS)):
        assert bars.marker.pattern.shape == ("", "", "/") and bars.marker.color[:2] == (color, color)
        assert bars.marker.color[2].startswith("rgba(") and bars.marker.line.width == (0, 0, 1.5)
    assert revenue.y[2] == Decimal("3.00") and revenue.hovertext[2] == "Revenue so far: $3.00"
    # The month is not on the margin line: a hollow point, joined by a dashed line, says "so far".
    assert margin.y == (Decimal("4.00"), Decimal("5.00"), None)
    assert point.y == (Decimal("-5.00"),) and point.marker.symbol == "circle-open"
    assert point.hovertext == ("Margin so far: -$5.00",) and point.x == ("Nov 2026 (in progress)",)
    assert connector.line.dash == "dash" and connector.y == (Decimal("5.00"), Decimal("-5.00"))
    assert connector.hoverinfo == "skip" and not connector.showlegend and not point.showlegend
    assert not fig.layout.annotations


def test_the_month_in_progress_with_nothing_yet_is_never_a_zero_margin():
    history = (_month("2026-09-01", 1_000, 600), _month("2026-10-01", 2_000, 1_500),
               _month("2026-11-01", 0, 0, has_data=False))
    fig = charts.trend(history, "USD", NOVEMBER)
    assert len(fig.data) == 3 and all(trace.y[2] is None for trace in fig.data)
    assert fig.data[0].x[2] == "Nov 2026 (in progress)"
    assert fig.layout.annotations[0].text == "Nov 2026 is in progress: nothing invoiced or billed yet"
    # Without `in_progress` the same month is a past month with nothing in it: a real $0.
    assert charts.trend(history).data[2].y[2] == Decimal("0.00")
    # A month in progress that is not in the history changes nothing.
    assert charts.trend(history[:2], "USD", NOVEMBER).to_json() == charts.trend(history[:2]).to_json()


def test_a_month_left_out_is_a_gap_named_in_a_note_also_when_in_progress():
    history = (_month("2026-09-01", 1_000, 600, note="in <b>EUR</b>, not USD"), _month("2026-10-01", 2_000, 1_500),
               _month("2026-11-01", 300, 800, note="mixed currencies (EUR, USD)"))
    fig = charts.trend(history, "USD", NOVEMBER)
    assert [t.y for t in fig.data] == [(None, Decimal("20.00"), None), (None, Decimal("15.00"), None),
                                       (None, Decimal("5.00"), None)]
    assert fig.data[0].x[2] == "Nov 2026"  # left out, so not drawn as in progress either
    note = fig.layout.annotations[0].text
    assert _plain(note) == "Left out: Sep 2026: in <b>EUR</b>, not USD; Nov 2026: | mixed currencies (EUR, USD)"


def test_tenant_margins_are_bars_in_the_tables_order_coloured_by_sign():
    tenants = _table_order([_tenant("helix", "Helix Genomics", 6_925, 24_010),
                            _tenant("granite", "Granite Bank", 29_102, 7_651),
                            _tenant("vireo", "Vireo Education", 4_300, 5_800), _tenant("even", "Even", 100, 100)])
    fig = charts.tenant_margins(tenants, currency="USD")
    (bars,) = fig.data
    assert bars.orientation == "h" and fig.layout.yaxis.autorange == "reversed"  # first row on top, like the table
    assert list(fig.layout.yaxis.ticktext) == ["Helix Genomics", "Vireo Education", "Even", "Granite Bank"]
    assert list(bars.x) == [Decimal("-170.85"), Decimal("-15.00"), Decimal("0.00"), Decimal("214.51")]
    assert list(bars.marker.color) == [charts.LOSS, charts.LOSS, charts.GAIN, charts.GAIN]
    assert bars.hovertext[0] == ("Helix Genomics (helix)<br>Margin: -$170.85 (-246.7 %)<br>Revenue: $69.25"
                                 "<br>COGS: $240.10")
    assert list(fig.layout.xaxis.ticktext) == ["-$200", "-$100", "$0", "$100", "$200", "$300"]
    assert fig.layout.xaxis.zeroline and fig.layout.xaxis.zerolinecolor == charts.ZERO_LINE
    assert fig.layout.xaxis.automargin and fig.layout.yaxis.automargin and not fig.layout.showlegend


@pytest.mark.parametrize("margins, top, shown, note", [
    # No loss: the worst half and the best half; the middle counted, never summed into a bar.
    ([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 4, [0, 1, 8, 9], "Not drawn: 6 tenants in between, margin $0.33. See the table."),
    # Every loss-maker while they fit, the best ones after them.
    ([-3, -2, -1, 4, 5, 6, 7, 8, 9, 10], 4, [0, 1, 2, 9], "Not drawn: 6 tenants in between, margin $0.39."),
    ([-6, -5, -4, -3, -2, -1, 7, 8, 9, 10], 4, [0, 1, 2, 3], "2 of them lose money (-$0.03)"),
    ([-1, 5, 6, 7, 8], 5, [0, 1, 2, 3, 4], None),
    ([-1, 5, 6, 7, 8], 1, [0], "Not drawn: 4 tenants in between, margin $0.26."),
    ([5, 6, 7], 0, [0], None),  # at least one bar
])
def test_a_loss_is_drawn_while_it_fits_and_counted_when_it_does_not(margins, top, shown, note):
    tenants = _by_margin(*margins)
    for fig in (charts.tenant_margins(tenants, top=top), charts.tenants_bar(tenants, top=top)):
        axis = fig.layout.yaxis if fig.data[0].orientation == "h" else fig.layout.xaxis
        assert list(axis.ticktext) == [tenants[i].tenant_name for i in shown]
        notes = [html.unescape(a.text.replace("<br>", " ")) for a in fig.layout.annotations]
        if note is None:
            assert notes == [] or top == 0
        else:
            assert note in notes[0], notes


def test_a_small_loss_maker_among_big_earners_is_on_both_tenant_charts():
    """Issue 9: Vireo at -$15 landed in 'Others' of a chart ranked by size."""
    big = [_tenant(f"big{i:02d}", f"Big {i:02d}", 1_000_000 + i, 500_000) for i in range(30)]
    tenants = _table_order(big + [_tenant("vireo", "Vireo Education", 4_300, 5_800)])
    for fig in (charts.tenant_margins(tenants, top=10), charts.tenants_bar(tenants, top=10)):
        labels = list((fig.layout.yaxis if fig.data[0].orientation == "h" else fig.layout.xaxis).ticktext)
        assert labels[0] == "Vireo Education" and len(labels) == 10


def test_the_tenants_chart_follows_the_tenants_table(demo_sqlite_url):
    summary = analytics.margin_summary(engine_for(demo_sqlite_url), OCTOBER)
    tenants = summary.tenants
    fig = charts.tenants_bar(tenants, top=len(tenants))
    revenue, cogs = fig.data
    assert list(fig.layout.xaxis.ticktext) == [html.escape(t.tenant_name, quote=False) for t in tenants]
    assert list(revenue.y) == [to_decimal(t.revenue_cents) for t in tenants]
    assert list(cogs.y) == [to_decimal(t.cogs_cents) for t in tenants]
    assert (revenue.marker.color, cogs.marker.color) == (charts.REVENUE, charts.COGS)
    # With fewer bars: the table's order kept, and what is drawn plus what the note counts is every tenant.
    fig = charts.tenants_bar(tenants, top=6)
    drawn = [t for t in tenants if html.escape(t.tenant_name, quote=False) in fig.layout.xaxis.ticktext]
    assert drawn == [t for t in tenants if t in drawn] and len(drawn) == 6
    left = sum(t.margin_cents for t in tenants if t not in drawn)
    assert f"{len(tenants) - 6} tenants in between, margin {display(left)}" in fig.layout.annotations[0].text


def test_labels_are_cut_escaped_and_never_share_a_bar():
    long = "Very Long Holdings International Pty Ltd"
    tenants = _table_order([_tenant("a", HOSTILE, 100, 900), _tenant("b", "Same", 100, 500),
                            _tenant("c", "Same", 100, 400),
                            _tenant("d", long, 100, 0), _tenant("<i>e</i>", "", 100, 50)])
    for fig in (charts.tenant_margins(tenants), charts.tenants_bar(tenants)):
        horizontal = fig.data[0].orientation == "h"
        axis = fig.layout.yaxis if horizontal else fig.layout.xaxis
        labels = [html.unescape(label) for label in axis.ticktext]
        assert labels == ["[click](https://evil.exampl…", "Same", "Same", "<i>e</i>",
                          "Very Long Holdings Internat…"]
        assert not any("<" in label for label in axis.ticktext)
        for trace in fig.data:
            # Two tenants called "Same" are two bars: bars sit on row numbers, the names are tick texts.
            assert list(trace.y if horizontal else trace.x) == ["0", "1", "2", "3", "4"] == list(axis.tickvals)
            assert trace.hovertemplate is None and trace.texttemplate is None
            hovers = [_plain(h) for h in trace.hovertext]
            assert hovers[0].startswith(f"{HOSTILE} (a) | Margin: -$8.00")  # the whole name in the hover
            assert hovers[1].startswith("Same (b) |") and hovers[2].startswith("Same (c) |")
            assert hovers[4].startswith(f"{long} (d) |")
        assert "<b>" not in fig.to_json() and "<i>" not in fig.to_json()


def test_kinds_bar_shows_friendly_names_and_escapes_unknown_kinds():
    kinds = (KindAmount("load_balancer", 123_456), KindAmount("droplet", 99), KindAmount("gpu_node", 5),
             KindAmount("Load balancers", 1), KindAmount("<b>x</b>", -250))
    fig = charts.kinds_bar(kinds, "COGS by provider kind", charts.COGS)
    (bars,) = fig.data
    assert list(fig.layout.xaxis.ticktext) == ["Load balancers", "Droplets", "Gpu node", "Load balancers",
                                               "&lt;b&gt;x&lt;/b&gt;"]
    assert list(bars.x) == ["0", "1", "2", "3", "4"]  # the two "Load balancers" are two bars
    assert list(bars.y) == [Decimal("1234.56"), Decimal("0.99"), Decimal("0.05"), Decimal("0.01"), Decimal("-2.50")]
    assert list(bars.hovertext) == ["Load balancers: $1,234.56<br>id: load_balancer", "Droplets: $0.99<br>id: droplet",
                                    "Gpu node: $0.05<br>id: gpu_node", "Load balancers: $0.01",
                                    "&lt;b&gt;x&lt;/b&gt;: -$2.50"]
    assert bars.marker.color == charts.COGS and bars.hovertemplate is None
    assert list(fig.layout.yaxis.ticktext) == ["-$250", "$0", "$250", "$500", "$750", "$1,000", "$1,250"]


def test_kinds_and_accrual_charts(demo_sqlite_url):
    engine = engine_for(demo_sqlite_url)
    kinds = analytics.by_kind(engine, OCTOBER)
    fig = charts.kinds_bar(kinds.cogs, "COGS", charts.COGS)
    assert list(fig.data[0].y) == [to_decimal(k.amount_cents) for k in kinds.cogs]
    assert "Load balancers" in fig.layout.xaxis.ticktext and "load_balancer" not in fig.layout.xaxis.ticktext
    accrual = analytics.live_accrual(engine, parse_instant(DEMO_NOW))
    bars = charts.accrual_by_tenant(accrual, {"northwind": "Northwind Analytics"}, top=25)
    assert sum(bars.data[0].y) == Decimal(accrual.subtotal_cents) / 100
    assert sum(bars.data[1].y) == Decimal(accrual.projected_subtotal_cents) / 100
    assert "Northwind Analytics" in bars.layout.xaxis.ticktext
    assert bars.data[1].marker.pattern.shape[0] == "/" and bars.data[0].marker.color == charts.REVENUE


def test_accrual_chart_draws_the_largest_and_counts_the_rest(demo_sqlite_url):
    accrual = analytics.live_accrual(engine_for(demo_sqlite_url), parse_instant(DEMO_NOW))
    ranked = charts.accrual_ranking(accrual, {})
    assert [r[2] for r in ranked] == sorted((r[2] for r in ranked), reverse=True)
    assert sum(r[2] for r in ranked) == accrual.subtotal_cents
    assert sum(r[3] for r in ranked) == accrual.projected_subtotal_cents
    fig = charts.accrual_by_tenant(accrual, {}, top=3)
    accrued, projected = fig.data
    assert list(fig.layout.xaxis.ticktext) == [r[1] for r in ranked[:3]]
    assert list(accrued.y) == [to_decimal(r[2]) for r in ranked[:3]]
    rest = ranked[3:]
    assert fig.layout.annotations[0].text.replace("<br>", " ") == (
        f"Not drawn: {len(rest)} more tenants, {display(sum(r[2] for r in rest))} accrued "
        f"({display(sum(r[3] for r in rest))} projected).")
    assert accrued.hovertext[0] == (f"{ranked[0][0]}<br>Accrued: {display(ranked[0][2])}<br>Projected month-end: "
                                    f"{display(ranked[0][3])}")  # no names given: the id is the name


def test_accrual_chart_escapes_and_cuts_names(demo_sqlite_url):
    accrual = analytics.live_accrual(engine_for(demo_sqlite_url), parse_instant(DEMO_NOW))
    tenant = charts.accrual_ranking(accrual, {})[0][0]
    fig = charts.accrual_by_tenant(accrual, {tenant: HOSTILE}, top=2)
    assert fig.layout.xaxis.ticktext[0] == "[click](https://evil.exampl…"
    assert _plain(fig.data[0].hovertext[0]).startswith(f"{HOSTILE} ({tenant}) | Accrued: $")


def _figures() -> dict:
    """One figure of each builder, with a note where it can have one."""
    history = (_month("2026-09-01", 1_000, 600, note="in EUR, not USD"), _month("2026-10-01", 2_000, 1_500),
               _month("2026-11-01", 300, 800))
    tenants = _by_margin(*range(-5, 25))
    accrual = Accrual(parse_instant(DEMO_NOW), NOVEMBER, "USD", tuple(_quote(f"s-{i}", f"t-{i}") for i in range(12)))
    return {
        "trend": charts.trend(history, "USD", NOVEMBER),
        "tenant_margins": charts.tenant_margins(tenants, top=10),
        "tenants_bar": charts.tenants_bar(tenants, top=10),
        "kinds_bar": charts.kinds_bar((KindAmount("droplet", 500),), "COGS by provider kind", charts.COGS),
        "accrual_by_tenant": charts.accrual_by_tenant(accrual, {}),
    }


@pytest.mark.parametrize("name", ["trend", "tenant_margins", "tenants_bar", "kinds_bar", "accrual_by_tenant"])
def test_title_notes_legend_and_plot_are_stacked_from_the_top(name):
    fig = _figures()[name]
    layout = fig.layout
    title = layout.title
    assert (title.yref, title.y, title.yanchor) == ("container", 1, "top")
    legend = layout.legend
    assert (legend.orientation, legend.yref, legend.y, legend.yanchor) == ("h", "paper", 1, "bottom")
    legend_px = charts.LEGEND_PX if layout.showlegend else 0
    lines = [line for a in layout.annotations for line in html.unescape(a.text).split("<br>")]
    assert lines and all(len(line) <= charts.NOTE_CHARS for line in lines) or name == "kinds_bar"
    assert layout.margin.t == charts.TITLE_PX + charts.NOTE_LINE_PX * len(lines) + legend_px + 4
    for note in layout.annotations:  # just above the legend, below the title
        assert (note.yref, note.y, note.yanchor, note.yshift) == ("paper", 1, "bottom", legend_px)
    assert layout.xaxis.automargin and layout.yaxis.automargin


@pytest.mark.parametrize("months, in_progress, values", [
    ([("2026-08-01", 0, 0, False, ""), ("2026-09-01", 1_000, 600, True, ""), ("2026-10-01", 150, 100, True, "")],
     None, [4, 1]),                                                # leading empty months skipped; half-up dollars
    ([("2026-09-01", 0, 1_580, True, ""), ("2026-10-01", 0, 0, False, ""), ("2026-11-01", 50, 0, True, "")],
     None, [-16, 0, 1]),                                           # an empty month after data is a real 0
    ([("2026-09-01", 0, 50, True, ""), ("2026-10-01", 9_999, 0, True, "in EUR, not USD"),
      ("2026-11-01", 300, 800, True, "")], NOVEMBER, [-1]),       # no gap drawable: left-out and in-progress skipped
    ([], None, []),
])
def test_sparkline_values_are_whole_dollars_of_the_final_months(months, in_progress, values):
    history = tuple(_month(start, r, c, has_data, note) for start, r, c, has_data, note in months)
    got = charts.sparkline_values(history, in_progress)
    assert got == values and all(type(v) is int for v in got)


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
