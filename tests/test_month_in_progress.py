"""The month in progress is never a $0-revenue month (issue 15): a figure holding it says so first, and the JSON
(API and CLI) keeps revenue − COGS with that warning; the CSV leaves the margin empty.

The clock is pinned: the `datetime` the CLI and the API read. The hand-checked fixture has April 2026 as a month
of cost lines and no invoices, in progress at APRIL_NOW.
"""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from starlette.testclient import TestClient

from arcadia import analytics, api, cli, report
from arcadia.money import fmt
from arcadia.period import MonthRange, Period, parse_instant
from tests.test_api import ENV, MARGIN, admin

APRIL_NOW = parse_instant("2026-04-20T12:00:00Z")
ACCRUAL = "the live accrual (/api/v1/dashboard/accrual)"


def pin(monkeypatch, instant: datetime) -> None:
    """Every surface's clock at `instant`."""

    class Clock(datetime):
        @classmethod
        def now(cls, tz=None):
            return instant.astimezone(tz)

    monkeypatch.setattr(cli, "datetime", Clock)
    monkeypatch.setattr(api, "datetime", Clock)


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
