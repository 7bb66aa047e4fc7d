"""The month in progress is never a $0-revenue month (issue 15): its COGS so far, labelled so; no margin, delta or
loss flag from it; one notice pointing to Live accrual; a range holding it says so and ends at the last complete
month in one click. The JSON (API and CLI) keeps revenue − COGS with a warning saying why it is not a margin.

The clock is pinned: dashboard.data.now for the pages, the `datetime` the CLI and the API read. The demo as of
DEMO_NOW has November 2026 in progress (the preview's cost lines so far, no invoices); the hand-checked fixture
has April 2026 as a month of cost lines and no invoices, in progress at APRIL_NOW.
"""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from starlette.testclient import TestClient

from arcadia import analytics, api, cli, report
from arcadia.db import engine_for
from arcadia.money import display, fmt, to_decimal
from arcadia.period import MonthRange, Period, parse_instant
from dashboard import data
from tests.conftest import DEMO_NOW
from tests.test_api import ENV, MARGIN, admin
from tests.test_pages import ADMIN, app_test

NOW = parse_instant(DEMO_NOW)
NOVEMBER = Period.parse("2026-11")
APRIL_NOW = parse_instant("2026-04-20T12:00:00Z")
ACCRUAL = "the live accrual (/api/v1/dashboard/accrual)"


def pin(monkeypatch, instant: datetime) -> None:
    """Every surface's clock at `instant`."""

    class Clock(datetime):
        @classmethod
        def now(cls, tz=None):
            return instant.astimezone(tz)

    monkeypatch.setattr(data, "now", lambda: instant)
    monkeypatch.setattr(cli, "datetime", Clock)
    monkeypatch.setattr(api, "datetime", Clock)


@pytest.fixture
def demo(demo_sqlite_url, monkeypatch):
    """The demo's URL with the clock at DEMO_NOW, and a margin alert that every tenant with COGS and no revenue
    is under (so a flag drawn from the month in progress would show)."""
    pin(monkeypatch, NOW)
    monkeypatch.setenv("ARCADIA_MARGIN_ALERT_PCT", "10")
    return demo_sqlite_url


def plain(markdown: str) -> str:
    return markdown.replace("\\", "")  # the notice is escaped markdown (dashboard/literal.py)


def summary_of(url: str, months) -> analytics.MarginSummary:
    return analytics.margin_summary(engine_for(url), months, NOW)


# --- analytics, on SQLite and PostgreSQL -----------------------------------------------------------

def months(first: str, last: str) -> MonthRange:
    return MonthRange(Period.parse(first), Period.parse(last))


APRIL = Period.parse("2026-04")
APRIL_ALONE = (f"April 2026 is in progress: its COGS so far is partial and it has no revenue yet, so revenue − COGS "
               f"is not its margin; its month-to-date margin is on {ACCRUAL}")
APRIL_NOT_OVER = "April 2026 is not over yet: its invoices and cost lines are not final"

# months, now → the month in progress the figure holds, and its warnings
IN_PROGRESS = [
    (APRIL, "2026-04-20T12:00:00Z", APRIL, [APRIL_ALONE]),
    (APRIL, "2026-04-01T00:00:00Z", APRIL, [APRIL_ALONE]),  # its first instant
    (APRIL, "2026-04-30T23:59:59Z", APRIL, [APRIL_ALONE]),
    (APRIL, "2026-05-01T00:00:00Z", None, []),  # over: a complete month
    (APRIL, "2026-03-31T23:59:59Z", None, [APRIL_NOT_OVER]),  # not begun: not in progress
    (months("2026-04", "2026-04"), "2026-04-20T12:00:00Z", APRIL, [APRIL_ALONE]),  # a range of one month
    (months("2026-03", "2026-04"), "2026-04-20T12:00:00Z", APRIL,
     ["March–April 2026 ends with April 2026, which is in progress: its COGS so far is partial and it has no revenue "
      "yet, so the range's revenue − COGS is not its margin; end the range at March 2026, the last complete month, "
      f"for complete figures; April 2026's month-to-date margin is on {ACCRUAL}"]),
    (months("2026-03", "2026-05"), "2026-04-20T12:00:00Z", APRIL,
     ["March–May 2026 holds April 2026, which is in progress: its COGS so far is partial and it has no revenue "
      "yet, so the range's revenue − COGS is not its margin; end the range at March 2026, the last complete month, "
      f"for complete figures; April 2026's month-to-date margin is on {ACCRUAL}",
      "May 2026 is not over yet: its invoices and cost lines are not final"]),
    (months("2026-04", "2026-05"), "2026-04-20T12:00:00Z", APRIL,  # no complete month to end at
     ["April–May 2026 holds April 2026, which is in progress: its COGS so far is partial and it has no revenue "
      f"yet, so the range's revenue − COGS is not its margin; April 2026's month-to-date margin is on {ACCRUAL}",
      "May 2026 is not over yet: its invoices and cost lines are not final"]),
    (months("2026-02", "2026-03"), "2026-04-20T12:00:00Z", None, []),
]


@pytest.mark.parametrize("period, now, in_progress, warnings", IN_PROGRESS, ids=lambda v: str(v)[:24])
def test_a_figure_holding_the_month_in_progress_says_so_first(small, period, now, in_progress, warnings):
    summary = analytics.margin_summary(small, period, parse_instant(now))
    assert summary.in_progress == in_progress
    assert list(summary.warnings) == warnings
    assert analytics.margin_summary(small, period).in_progress is None  # no clock, no month in progress


def test_a_month_in_progress_with_an_early_invoice_counts_it_as_its_revenue_so_far(small):
    with small.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO tenant_invoices (id, tenant_id, period, status, currency, subtotal_cents, tax_cents, "
            "total_cents) VALUES ('e5000000-0000-4000-8000-000000000001', 'acme', '2026-04-01', 'issued', 'USD', "
            "500, 50, 550)")
    summary = analytics.margin_summary(small, APRIL, APRIL_NOW)
    assert summary.overall.revenue_cents == 500 and summary.in_progress == APRIL
    assert summary.warnings == (
        "April 2026 is in progress: its COGS so far is partial and its revenue is only the 1 invoice issued early, "
        f"so revenue − COGS is not its margin; its month-to-date margin is on {ACCRUAL}",)
    # Over a range, the month's own invoices are counted (not the range's): March has two.
    first = analytics.margin_summary(small, months("2026-03", "2026-04"), APRIL_NOW).warnings[0]
    assert "its revenue is only the 1 invoice issued early" in first


@pytest.mark.parametrize("query, period", [({"period": "2026-04"}, APRIL),
                                           ({"from": "2026-03", "to": "2026-04"}, months("2026-03", "2026-04"))],
                         ids=str)
def test_the_api_the_cli_and_the_csv_agree_with_the_analytics(small, monkeypatch, capsys, query, period):
    """The contract's shape stays (margin = revenue − COGS), with the warning first; the CSV leaves the margin
    empty, as the pages show it; the CLI says the warning on stderr."""
    pin(monkeypatch, APRIL_NOW)
    url = small.url.render_as_string(hide_password=False)
    flags = [arg for name, value in query.items() for arg in (f"--{name}", value)]
    summary = analytics.margin_summary(small, period, APRIL_NOW)
    doc = report.margin_json(summary)
    assert doc["warnings"][0] == summary.warnings[0] and "April 2026" in doc["warnings"][0]
    assert doc["overall"]["margin"] == fmt(summary.overall.revenue_cents - summary.overall.cogs_cents)

    assert cli.main(["--database-url", url, "margin", *flags, "--json"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out) == doc and f"warning: {summary.warnings[0]}" in err.splitlines()

    assert TestClient(api.create_api(url, ENV)).get(MARGIN, params=query, headers={"Authorization": admin()}).json() \
        == doc

    for table in ("overall", "tenants", "deployments"):
        assert cli.main(["--database-url", url, "margin", *flags, "--csv", "--table", table]) == 0
        out = capsys.readouterr().out
        rows = report.margin_table(summary, table)
        assert out == report.to_csv(rows, table) and rows
        assert all(row["margin"] == row["margin_pct"] == "" for row in rows), table
    complete = report.margin_table(analytics.margin_summary(small, period, parse_instant("2026-05-01")), "overall")
    assert complete[0]["margin"] == doc["overall"]["margin"]  # once the month is over, the margin is shown


# --- the pages (the demo, November 2026 in progress) ----------------------------------------------

def test_pnl_of_the_month_in_progress_shows_cogs_so_far_and_no_margin_delta_or_alert(demo, monkeypatch):
    at = app_test(demo, monkeypatch, user=ADMIN, period="2026-11")
    summary = summary_of(demo, NOVEMBER)
    assert not at.exception and at.title[0].value == "P&L · November 2026 (in progress)"
    metrics = {m.label: m for m in at.metric}
    assert metrics["Revenue"].value == "$0.00" and "COGS" not in metrics
    assert metrics["COGS so far"].value == display(summary.overall.cogs_cents) != "$0.00"
    assert metrics["Attributed COGS so far"].value == display(summary.attributed_cogs_cents)
    assert metrics["Margin"].value == metrics["Margin %"].value == "—"
    assert metrics["Margin"].help.startswith("Not over yet")
    assert not [m.label for m in at.metric if m.delta]
    # One notice, the analytics' own words, and the link to Live accrual; no alert count, no other warning.
    assert [plain(i.value) for i in at.info] == [summary.warnings[0]] and not at.warning
    assert [link.proto.label for link in at.get("page_link")] == ["Live accrual: November 2026 so far"]

    october = app_test(demo, monkeypatch, user=ADMIN, period="2026-10")  # complete: deltas and the alert
    metrics = {m.label: m for m in october.metric}
    assert metrics["COGS"].delta and metrics["Margin"].delta and metrics["Margin"].value != "—"
    assert any("below the 10 % margin alert" in w.value for w in october.warning) and not october.info


def test_by_tenant_of_the_month_in_progress_has_cogs_so_far_and_no_margin_delta_or_flag(demo, monkeypatch):
    at = app_test(demo, monkeypatch, user=ADMIN, page="pages/tenants.py", period="2026-11")
    summary = summary_of(demo, NOVEMBER)
    assert not at.exception
    table = at.dataframe[0]
    frame = table.value
    assert not {"margin", "margin %", "Δ margin", "Δ %", "flag"} & set(frame.columns)
    assert list(frame["tenant_id"]) == [t.tenant_id for t in summary.tenants]
    assert list(frame["cogs"]) == [to_decimal(t.cogs_cents) for t in summary.tenants]
    columns = {c.get("key", name): c for name, c in json.loads(table.proto.columns).items()}
    assert columns["cogs"]["label"] == "COGS so far"
    subtotals = at.table[0].value
    assert "COGS so far" in subtotals.columns and set(subtotals["margin"]) == set(subtotals["margin %"]) == {"—"}
    assert plain(at.info[0].value) == summary.warnings[0] and not at.warning
    assert [link.proto.label for link in at.get("page_link")] == ["Live accrual: November 2026 so far"]
    assert not at.get("plotly_chart")  # both tenant charts compare margins
    # The CSV download is the report's table: the margin left empty, as shown.
    assert all(row["margin"] == "" for row in report.margin_table(summary, "tenants"))

    worst = summary.tenants[0].tenant_id  # drilled into: COGS so far, no margin
    at.selectbox(key="drill_tenant").set_value(worst).run()
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["COGS so far"] == display(summary.tenants[0].cogs_cents) and metrics["Margin"] == "—"
    assert "margin" not in at.dataframe[1].value.columns

    october = app_test(demo, monkeypatch, user=ADMIN, page="pages/tenants.py", period="2026-10")
    frame = october.dataframe[0].value
    assert {"margin", "Δ margin", "flag"} <= set(frame.columns) and any("loss" in f or "below 10 %" in f
                                                                       for f in frame["flag"])


@pytest.mark.parametrize("page, title", [("pages/pnl.py", "P&L"), ("pages/tenants.py", "By tenant")])
def test_a_range_ending_with_the_month_in_progress_says_so_and_ends_at_the_last_complete_month(demo, monkeypatch,
                                                                                               page, title):
    at = app_test(demo, monkeypatch, user=ADMIN, page=page, period="2026-11", **{"from": "2026-09", "to": "2026-11"})
    summary = summary_of(demo, months("2026-09", "2026-11"))
    notice = plain(at.info[0].value)
    assert notice == summary.warnings[0]
    assert notice.startswith("September–November 2026 ends with November 2026, which is in progress: its COGS so "
                             "far is partial and it has no revenue yet")
    assert "end the range at October 2026, the last complete month" in notice and not at.warning
    at.button(key="end-at-complete").click().run()
    assert not at.exception and at.title[0].value == f"{title} · September–October 2026"
    assert at.sidebar.selectbox(key="period").value == "2026-10" and at.query_params["to"] == "2026-10"
    assert not at.info or "in progress" not in at.info[0].value


def test_range_presets_end_at_the_last_complete_month_by_default(demo, monkeypatch):
    at = app_test(demo, monkeypatch, user=ADMIN)
    at.sidebar.toggle(key="range").set_value(True).run()
    assert (at.query_params["from"], at.query_params["to"]) == ("2026-08", "2026-10")
    assert at.title[0].value == "P&L · August–October 2026" and not at.info
    assert {m.label: m.value for m in at.metric}["Margin"] != "—"


def test_by_kind_of_the_month_in_progress_says_so_everywhere(demo, monkeypatch, capsys):
    """By kind too: one notice first (COGS so far, no revenue yet), no Δ from partial data; API = CLI = analytics."""
    breakdown = analytics.by_kind(engine_for(demo), NOVEMBER, NOW)
    assert breakdown.in_progress == NOVEMBER and breakdown.cogs  # November's preview so far
    assert breakdown.warnings[0].startswith("November 2026 is in progress: its COGS so far is partial")
    assert not any("no provider cost lines" in w for w in breakdown.warnings)
    assert analytics.by_kind(engine_for(demo), Period.parse("2026-10"), NOW).in_progress is None
    assert cli.main(["--database-url", demo, "by-kind", "--period", "2026-11", "--json"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out)["warnings"] == list(breakdown.warnings) and breakdown.warnings[0] in err
    at = app_test(demo, monkeypatch, user=ADMIN, page="pages/by_kind.py", period="2026-11")
    assert not at.exception
    assert any(plain(i.value).startswith("November 2026 is in progress") for i in at.info)
    tables = [frame.value for frame in at.dataframe if "Δ vs Oct" in frame.value.columns]
    assert len(tables) == 2 and all(t["Δ vs Oct"].isna().all() for t in tables)
    assert any(c.value.startswith("No Δ: November 2026 is in progress") for c in at.caption)
