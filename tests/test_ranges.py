"""Month ranges (CONTRACT §3 "Month ranges") and the tenants' monthly history, on SQLite and PostgreSQL.

Identity tests: a range of one month is that month; a range of N months is the sum of its months, per
tenant, deployment and kind, with margin_pct computed from the sums; on PostgreSQL the pre-aggregates
give what the raw rows give. tenant_history is, month by month, the tenants of margin_summary.
The API and the CLI print the same documents, with "from" and "to" instead of "period", and refuse
every malformed request with a message naming the values.
"""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from starlette.testclient import TestClient

from arcadia import analytics, api, report
from arcadia.cli import main
from arcadia.db import engine_for, raw
from arcadia.demo import build_demo
from arcadia.errors import InputError, MixedCurrencyError
from arcadia.money import margin_pct
from arcadia.openapi import openapi_document
from arcadia.period import MAX_RANGE_MONTHS, UTC, MonthRange, Period, parse_months, parse_range
from tests.conftest import DEMO_NOW, load_sql
from tests.test_api import BY_KIND, ENV, MARGIN, admin, assert_refused

FEBRUARY, MARCH, APRIL, MAY = (Period.parse(f"2026-0{m}") for m in (2, 3, 4, 5))
UUID_TENANT = "b3f1c6de-0f6a-4c1e-9a57-0123456789ab"


def months(first: str, last: str) -> MonthRange:
    return MonthRange(Period.parse(first), Period.parse(last))


# --- the range type and its parser ------------------------------------------------------------------

# from, to → str, label, number of months
RANGES = [
    ("2026-04", "2026-04", "2026-04-01", "April 2026", 1),
    ("2026-04", "2026-06", "2026-04-01..2026-06-01", "April–June 2026", 3),
    ("2025-11", "2026-01-31", "2025-11-01..2026-01-01", "November 2025–January 2026", 3),
    ("2026-04-17", "2026-05-02", "2026-04-01..2026-05-01", "April–May 2026", 2),
    ("2016-05", "2026-04", "2016-05-01..2026-04-01", "May 2016–April 2026", MAX_RANGE_MONTHS),
    ("9998-12", "9998-12", "9998-12-01", "December 9998", 1),
]


@pytest.mark.parametrize("first, last, text, label, count", RANGES)
def test_a_range_prints_and_counts_its_months(first, last, text, label, count):
    span = parse_range(first, last)
    assert (str(span), span.label, span.months, len(span.periods)) == (text, label, count, count)
    assert span.start == Period.parse(first).start and span.end == Period.parse(last).end
    assert span.start_at == Period.parse(first).start_at and span.end_at == Period.parse(last).end_at
    assert span.periods[0] == Period.parse(first) and span.periods[-1] == Period.parse(last)
    assert parse_months(None, first, last) == span


@pytest.mark.parametrize("month", ["2026-04", "2026-01", "2025-12", "2000-03"])
def test_a_month_minus_n_months_is_n_steps_back(month):
    stepped = [Period.parse(month)]
    for _ in range(25):
        stepped.append(stepped[-1].previous())
    assert [Period.parse(month).minus(back) for back in range(26)] == stepped


def test_a_month_is_not_a_range_and_a_range_of_one_month_prints_as_it():
    assert parse_months("2026-04-17") == APRIL and isinstance(parse_months("2026-04"), Period)
    assert MonthRange.of(APRIL) == MonthRange(APRIL, APRIL) and MonthRange.of(MonthRange(MARCH, APRIL)).first == MARCH
    assert (str(MonthRange.of(APRIL)), MonthRange.of(APRIL).label) == (str(APRIL), APRIL.label)
    with pytest.raises(ValueError):
        MonthRange(APRIL, MARCH)


# period, from, to → fragments the one-line message must hold (the values it names)
BAD = [
    (None, "2026-06", "2026-04", ["from '2026-06'", "to '2026-04'", "after"]),
    (None, "2016-04", "2026-04", ["'2016-04'", "'2026-04'", "121 months", f"at most {MAX_RANGE_MONTHS}"]),
    (None, "2026-04", None, ["from '2026-04'", "'to'"]),
    (None, None, "2026-04", ["to '2026-04'", "'from'"]),
    ("2026-04", "2026-01", "2026-02", ["period '2026-04'", "from '2026-01'", "to '2026-02'", "not both"]),
    ("2026-04", "2026-01", None, ["period '2026-04'", "from '2026-01'", "not both"]),
    ("2026-04", None, "2026-02", ["period '2026-04'", "to '2026-02'", "not both"]),
    (None, "April", "2026-05", ["from 'April'", "YYYY-MM"]),
    (None, "2026-04", "2026-13", ["to '2026-13'", "no such date"]),
    (None, "2026-04", "10000-01", ["to '10000-01'"]),
    (None, "1969-12", "1970-01", ["from '1969-12'", "1970"]),
    (None, "2026-04", "", ["to ''"]),
    (None, None, None, ["missing 'period'", "'from' and 'to'"]),
]


@pytest.mark.parametrize("period, first, last, says", BAD)
def test_bad_months_are_an_input_error_naming_the_values(period, first, last, says):
    with pytest.raises(InputError) as refused:
        parse_months(period, first, last)
    message = str(refused.value)
    assert "\n" not in message and all(fragment in message for fragment in says), message


# --- analytics: identities on the hand-checked fixture and the demo ---------------------------------

def _rows(summary: analytics.MarginSummary) -> dict:
    """Every amount of a P&L, keyed so months can be added up."""
    return {
        "overall": (summary.overall.revenue_cents, summary.overall.cogs_cents),
        "attributed": summary.attributed_cogs_cents, "unattributed": summary.unattributed_cogs_cents,
        "tenants": {t.tenant_id: (t.revenue_cents, t.cogs_cents, t.tenant_name, t.tenant_kind) for t in summary.tenants},
        "deployments": {d.deployment_id: (d.revenue_cents, d.cogs_cents, d.deployment_name, d.tenant_id)
                        for d in summary.deployments},
        "counts": (summary.invoice_count, summary.cost_line_count),
    }


def _sum_rows(rows: dict, more: dict) -> dict:
    def add(a: dict, b: dict) -> dict:
        out = dict(a)
        for key, (revenue, cogs, *rest) in b.items():
            old = out.get(key, (0, 0, *rest))
            out[key] = (old[0] + revenue, old[1] + cogs, *rest)
        return out
    return {
        "overall": (rows["overall"][0] + more["overall"][0], rows["overall"][1] + more["overall"][1]),
        "attributed": rows["attributed"] + more["attributed"], "unattributed": rows["unattributed"] + more["unattributed"],
        "tenants": add(rows["tenants"], more["tenants"]), "deployments": add(rows["deployments"], more["deployments"]),
        "counts": (rows["counts"][0] + more["counts"][0], rows["counts"][1] + more["counts"][1]),
    }


def _kinds(breakdown: analytics.ByKind) -> dict:
    return {side: {k.kind: k.amount_cents for k in getattr(breakdown, side)} for side in ("revenue", "cogs")}


def assert_range_is_the_sum_of_its_months(engine, span: MonthRange) -> None:
    summary = analytics.margin_summary(engine, span)
    expected = None
    kinds: dict[str, dict[str, int]] = {"revenue": {}, "cogs": {}}
    for month in span.periods:
        rows = _rows(analytics.margin_summary(engine, month))
        expected = rows if expected is None else _sum_rows(expected, rows)
        for side, amounts in _kinds(analytics.by_kind(engine, month)).items():
            for kind, cents in amounts.items():
                kinds[side][kind] = kinds[side].get(kind, 0) + cents
    assert summary.period == span and _rows(summary) == expected
    assert _kinds(analytics.by_kind(engine, span)) == kinds
    # margin_pct from the sums; rows worst margin first, then id
    for row in (summary.overall, *summary.tenants, *summary.deployments):
        assert row.margin_pct == margin_pct(row.revenue_cents - row.cogs_cents, row.revenue_cents)
    for rows, key in ((summary.tenants, "tenant_id"), (summary.deployments, "deployment_id")):
        order = [(r.margin_cents, getattr(r, key)) for r in rows]
        assert order == sorted(order)
    assert summary.attributed_cogs_cents + summary.unattributed_cogs_cents == summary.overall.cogs_cents


def _without_months(doc: dict) -> dict:
    return {key: value for key, value in doc.items() if key not in ("period", "from", "to")}


@pytest.mark.parametrize("month", [FEBRUARY, MARCH, APRIL, MAY])
def test_a_range_of_one_month_is_that_month(small, month):
    single, span = analytics.margin_summary(small, month), analytics.margin_summary(small, MonthRange.of(month))
    single_doc, span_doc = report.margin_json(single), report.margin_json(span)
    assert (span_doc["from"], span_doc["to"], "period" in span_doc) == (str(month), str(month), False)
    assert _without_months(span_doc) == _without_months(single_doc)
    for table in ("overall", "tenants", "deployments"):  # the CSV is byte for byte the month's
        assert report.to_csv(report.margin_table(span, table), table) == \
            report.to_csv(report.margin_table(single, table), table)
    kinds = analytics.by_kind(small, MonthRange.of(month))
    assert _without_months(report.by_kind_json(kinds)) == _without_months(report.by_kind_json(analytics.by_kind(small, month)))


@pytest.mark.parametrize("span", [months("2026-03", "2026-04"), months("2026-02", "2026-05"),
                                  months("2025-12", "2026-03"), months("2026-04", "2026-06")], ids=str)
def test_a_range_is_the_sum_of_its_months(small, span):
    assert_range_is_the_sum_of_its_months(small, span)


def test_march_to_april_by_hand(small):
    """acme's April cost line (9.99, acme-web in acme-studio) joins its March figures."""
    doc = report.margin_json(analytics.margin_summary(small, months("2026-03", "2026-04")))
    assert (doc["from"], doc["to"]) == ("2026-03-01", "2026-04-01") and "period" not in doc
    assert doc["overall"] == {"revenue": "26.00", "cogs": "38.99", "attributed_cogs": "35.49",
                              "unattributed_cogs": "3.50", "margin": "-12.99", "margin_pct": -50.0}
    assert {t["tenant_id"]: (t["cogs"], t["margin_pct"]) for t in doc["tenants"]} == {
        "acme": ("24.49", -22.5), UUID_TENANT: ("8.00", -33.3), "platform-admin": ("3.00", None)}
    assert [d["deployment_name"] for d in doc["deployments"]] == ["acme-studio", "uuid-notebook"]  # -4.49, -2.00
    kinds = report.by_kind_json(analytics.by_kind(small, months("2026-03", "2026-04")))
    assert {k["kind"]: k["amount"] for k in kinds["cogs"]}["droplet"] == "36.99"


DEMO_RANGES = [months("2026-01", "2026-10"), months("2026-04", "2026-06"), months("2025-11", "2026-01"),
               months("2026-09", "2026-11"), months("2026-10", "2026-10")]


@pytest.mark.parametrize("span", DEMO_RANGES, ids=str)
def test_demo_ranges_are_the_sums_of_their_months(demo_sqlite_url, span):
    assert_range_is_the_sum_of_its_months(engine_for(demo_sqlite_url), span)


@pytest.fixture
def demo(engine):
    """The demo (as of DEMO_NOW) on each backend; on PostgreSQL its figures read the pre-aggregates."""
    build_demo(engine.url.render_as_string(hide_password=False), DEMO_NOW)
    return engine


def test_ranges_on_the_pre_aggregates_equal_the_raw_rows(demo):
    """On PostgreSQL every range reads the pre-aggregates (deployment_pnl_range for several months); on
    SQLite both are the raw rows. Either way the figures are the same documents, and sums of their months."""
    for span in DEMO_RANGES:
        assert report.margin_json(analytics.margin_summary(demo, span)) == \
            report.margin_json(analytics.margin_summary(raw(demo), span)), span
        assert report.by_kind_json(analytics.by_kind(demo, span)) == report.by_kind_json(analytics.by_kind(raw(demo), span))
    assert_range_is_the_sum_of_its_months(demo, months("2026-05", "2026-10"))
    assert analytics.tenant_history(demo, Period.parse("2026-11"), 12) == \
        analytics.tenant_history(raw(demo), Period.parse("2026-11"), 12)


def test_a_deployment_without_its_row_takes_its_invoices_tenant_over_a_range(small):
    """A deployment id on invoice lines with no cloud_deployments row: the invoice's tenant, in every path."""
    load_sql_text(small, """
        INSERT INTO tenant_invoices (id, tenant_id, period, status, currency, subtotal_cents, tax_cents, total_cents)
        VALUES ('e2000000-0000-4000-8000-000000000001', 'ghost-co', '2026-04-01', 'issued', 'USD', 700, 70, 770);
        INSERT INTO tenant_invoice_lines (id, invoice_id, deployment_id, billing_kind, description, quantity, amount_cents)
        VALUES ('f2000000-0000-4000-8000-000000000001', 'e2000000-0000-4000-8000-000000000001',
                '99999999-9999-4999-8999-999999999999', 'compute', 'c', 1, 700)""")
    span = months("2026-03", "2026-05")
    summary = analytics.margin_summary(small, span)
    ghost = {d.deployment_id: d for d in summary.deployments}["99999999-9999-4999-8999-999999999999"]
    assert (ghost.tenant_id, ghost.revenue_cents, ghost.deployment_name) == ("ghost-co", 700, ghost.deployment_id)
    assert report.margin_json(summary) == report.margin_json(analytics.margin_summary(raw(small), span))
    assert_range_is_the_sum_of_its_months(small, span)


def load_sql_text(engine, text: str) -> None:
    with engine.begin() as conn:
        for statement in (s.strip() for s in text.split(";")):
            if statement:
                conn.exec_driver_sql(statement)


# --- warnings and currencies ------------------------------------------------------------------------

MAY_INVOICE = """
    INSERT INTO tenant_invoices (id, tenant_id, period, status, currency, subtotal_cents, tax_cents, total_cents)
    VALUES ('e3000000-0000-4000-8000-000000000001', 'acme', '2026-05-01', 'issued', '{currency}', 1000, 100, 1100);
    INSERT INTO tenant_invoice_lines (id, invoice_id, deployment_id, billing_kind, description, quantity, amount_cents)
    VALUES ('f3000000-0000-4000-8000-000000000001', 'e3000000-0000-4000-8000-000000000001', NULL, 'platform', 'p', 1, 1000)
"""


MAY_WITHOUT_COSTS = "no provider cost lines for 2026-05-01 yet: its COGS and margin are incomplete"
ACCRUAL = "the live accrual (/api/v1/dashboard/accrual)"

# range, now → warnings of the P&L (after a May invoice with no May cost lines). The month in progress is said
# once, first; the by-kind breakdown (which takes no clock) warns of May's missing cost lines only.
WARNINGS = [
    (months("2026-03", "2026-04"), None, []),
    (months("2026-03", "2026-05"), None, [MAY_WITHOUT_COSTS]),
    (months("2026-04", "2026-06"), "2026-06-10T00:00:00Z",
     ["April–June 2026 ends with June 2026, which is in progress: its COGS so far is partial and it has no revenue "
      "yet, so the range's revenue − COGS is not its margin; end the range at May 2026, the last complete month, "
      f"for complete figures; June 2026's month-to-date margin is on {ACCRUAL}", MAY_WITHOUT_COSTS]),
    (months("2026-05", "2026-05"), "2026-05-31T23:59:59Z",
     ["May 2026 is in progress: its COGS so far is partial and its revenue is only the 1 invoice issued early, so "
      f"revenue − COGS is not its margin; its month-to-date margin is on {ACCRUAL}"]),
    (months("2026-03", "2026-05"), "2026-06-01T00:00:00Z", [MAY_WITHOUT_COSTS]),
    (months("2026-03", "2026-05"), "2026-02-10T00:00:00Z",
     [MAY_WITHOUT_COSTS, "May 2026 is not over yet: its invoices and cost lines are not final"]),
]


@pytest.mark.parametrize("span, now, expected", WARNINGS, ids=lambda v: str(v)[:24])
def test_range_warnings_name_the_months(small, span, now, expected):
    load_sql_text(small, MAY_INVOICE.format(currency="USD"))
    summary = analytics.margin_summary(small, span, now and datetime.fromisoformat(now.replace("Z", "+00:00")))
    assert list(summary.warnings) == expected
    kinds = analytics.by_kind(small, span)
    may = Period.parse("2026-05")
    assert list(kinds.warnings) == ([MAY_WITHOUT_COSTS.replace("COGS and margin are", "COGS is")]
                                    if span.first <= may <= span.last else [])


def test_a_range_in_two_currencies_is_an_error_naming_them(small):
    load_sql_text(small, MAY_INVOICE.format(currency="EUR"))
    for figure in (analytics.margin_summary, analytics.by_kind):
        with pytest.raises(MixedCurrencyError, match="EUR, USD") as refused:
            figure(small, months("2026-03", "2026-05"))
        assert "2026-03-01..2026-05-01" in str(refused.value)
        assert figure(small, months("2026-03", "2026-04")).currency == "USD"  # the months before May still add up
    with pytest.raises(MixedCurrencyError, match="Acme Corp"):  # the P&L names the rows in the other currency
        analytics.margin_summary(small, months("2026-03", "2026-05"))


# --- tenant_history ---------------------------------------------------------------------------------

def assert_history_is_the_months(engine, last: Period, count: int) -> dict:
    history = analytics.tenant_history(engine, last, count)
    span = MonthRange(analytics._first_of(last, count), last).periods
    assert list(history) == sorted(history) and all(len(cells) == count for cells in history.values())
    for i, month in enumerate(span):
        tenants = {t.tenant_id: (t.revenue_cents, t.cogs_cents) for t in analytics.margin_summary(engine, month).tenants}
        assert {tenant_id: (cells[i].revenue_cents, cells[i].cogs_cents) for tenant_id, cells in history.items()
                if cells[i].has_data} == tenants, month
        assert all(cells[i].period == month for cells in history.values())
        assert all((c.revenue_cents, c.cogs_cents, c.currency) == (0, 0, None)
                   for c in (cells[i] for cells in history.values()) if not c.has_data)
    return history


@pytest.mark.parametrize("last, count", [(APRIL, 3), (MAY, 12), (MARCH, 1)])
def test_tenant_history_is_the_tenants_of_each_month(small, last, count):
    history = assert_history_is_the_months(small, last, count)
    assert None not in history and "acme" in history  # the unattributed COGS is no tenant
    acme = history["acme"]
    months_shown = [str(c.period)[:7] for c in acme]
    assert months_shown[-1] == str(last)[:7] and len(months_shown) == count


@pytest.mark.parametrize("last, count", [(Period.parse("2026-10"), 12), (Period.parse("2026-11"), 6),
                                         (Period.parse("2026-06"), 2)])
def test_tenant_history_on_the_demo(demo_sqlite_url, last, count):
    assert_history_is_the_months(engine_for(demo_sqlite_url), last, count)


def test_a_tenant_month_in_another_currency_is_a_gap(small):
    load_sql_text(small, MAY_INVOICE.format(currency="EUR"))
    cells = lambda history: [(c.has_data, c.revenue_cents, c.cogs_cents, c.currency, c.note)  # noqa: E731
                             for c in history["acme"]]
    # May is in EUR alone: as in monthly_pnl the last month's currency is the history's, the USD months are gaps
    assert cells(analytics.tenant_history(small, MAY, 3)) == [
        (False, 0, 0, "USD", "in USD, not EUR"), (False, 0, 0, "USD", "in USD, not EUR"), (True, 1000, 0, "EUR", "")]
    assert cells(analytics.tenant_history(small, MAY, 3, currency="USD")) == [
        (True, 2000, 1450, "USD", ""), (True, 0, 999, "USD", ""), (False, 0, 0, "EUR", "in EUR, not USD")]
    # a tenant whose month mixes currencies: a gap that says so
    load_sql_text(small, """
        INSERT INTO cloud_cost_lines (id, provider, provider_invoice_id, period, resource_id, kind, product,
                                      description, amount_cents, currency)
        VALUES ('c3000000-0000-4000-8000-000000000001', 'digitalocean', 'x', '2026-05-01',
                'a0000000-0000-4000-8000-000000000001', 'droplet', 'D', 'd', 100, 'USD')""")
    history = analytics.tenant_history(small, MAY, 3)  # May mixes currencies: the one March and April have alone
    assert cells(history)[0] == (True, 2000, 1450, "USD", "")
    assert cells(history)[2] == (False, 0, 0, None, "mixed currencies (EUR, USD)")


def test_tenant_history_sums_a_month_written_mid_month(small):
    """A writer's period that is not the 1st still lands in its month, added to the rows of the 1st."""
    load_sql_text(small, """
        INSERT INTO cloud_cost_lines (id, provider, provider_invoice_id, period, resource_id, kind, product,
                                      description, amount_cents, currency)
        VALUES ('c4000000-0000-4000-8000-000000000001', 'digitalocean', 'x', '2026-03-17',
                'a0000000-0000-4000-8000-000000000001', 'volume', 'V', 'v', 25, 'USD')""")
    assert analytics.tenant_history(small, MARCH, 1)["acme"][0].cogs_cents == 1450 + 25
    assert_history_is_the_months(small, APRIL, 2)


# --- the API ----------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def client(demo_sqlite_url):
    return TestClient(api.create_api(demo_sqlite_url, ENV), headers={"Authorization": admin()})


@pytest.mark.parametrize("path, figure, render", [
    (MARGIN, analytics.margin_summary, report.margin_json), (BY_KIND, analytics.by_kind, report.by_kind_json)])
def test_api_range_is_the_analytics_document(client, demo_sqlite_url, path, figure, render):
    response = client.get(path, params={"from": "2026-04", "to": "2026-06-30"})
    assert response.status_code == 200, response.text
    doc = response.json()
    assert list(doc)[:3] == ["from", "to", "currency"] and "period" not in doc
    assert (doc["from"], doc["to"]) == ("2026-04-01", "2026-06-01")
    expected = render(figure(engine_for(demo_sqlite_url), months("2026-04", "2026-06")))
    assert {k: v for k, v in doc.items() if k != "warnings"} == {k: v for k, v in expected.items() if k != "warnings"}


@pytest.mark.parametrize("path", [MARGIN, BY_KIND])
@pytest.mark.parametrize("period, first, last, says", BAD)
def test_api_bad_months_are_400_naming_the_values(client, path, period, first, last, says):
    params = {name: value for name, value in (("period", period), ("from", first), ("to", last)) if value is not None}
    response = client.get(path, params=params)
    assert_refused(response, 400)
    assert all(fragment in response.json()["message"] for fragment in says), response.json()["message"]


@pytest.mark.parametrize("query", ["from=2026-04&from=2026-05&to=2026-06", "from=2026-04&to=2026-05&to=2026-06"])
def test_api_repeated_from_or_to_is_400(client, query):
    response = client.get(f"{MARGIN}?{query}")
    assert_refused(response, 400)
    assert "given 2 times" in response.json()["message"]


def test_api_range_documents_match_the_openapi_schemas(client):
    jsonschema = pytest.importorskip("jsonschema")
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    registry = Registry().with_resource("urn:arcadia-api", Resource(openapi_document(), DRAFT202012))

    def validator(schema):
        return jsonschema.Draft202012Validator({"$ref": f"urn:arcadia-api#/components/schemas/{schema}"},
                                               registry=registry)
    for path, schema in ((MARGIN, "Margin"), (BY_KIND, "ByKind")):
        for params in ({"from": "2025-11", "to": "2026-10"}, {"period": "2026-10"}, {"from": "2026-10", "to": "2026-10"}):
            response = client.get(path, params=params)
            assert response.status_code == 200
            validator(schema).validate(response.json())
        doc = client.get(path, params={"period": "2026-10"}).json()
        both = {**doc, "from": "2026-10-01", "to": "2026-10-01"}
        assert not validator(schema).is_valid(both)  # period XOR from/to
        assert not validator(schema).is_valid({k: v for k, v in both.items() if k not in ("period", "to")})
    parameters = {p["name"]: p for p in openapi_document()["paths"][MARGIN]["get"]["parameters"]}
    assert set(parameters) == {"period", "from", "to", "tenant"} and not any(p["required"] for p in parameters.values())
    assert parameters["from"]["schema"]["pattern"] == parameters["period"]["schema"]["pattern"]
    assert "unless" in parameters["period"]["description"]


# --- the CLI ----------------------------------------------------------------------------------------

def run_cli(capsys, *args):
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("command, keys", [("margin", ["from", "to", "currency", "overall", "tenants", "deployments"]),
                                           ("by-kind", ["from", "to", "currency", "revenue", "cogs"])])
def test_cli_range_json_is_the_api_document(capsys, client, demo_sqlite_url, command, keys):
    code, out, _ = run_cli(capsys, "--database-url", demo_sqlite_url, command, "--from", "2026-04", "--to", "2026-06",
                           "--json")
    doc = json.loads(out)
    assert code == 0 and [k for k in doc if k != "warnings"] == keys
    api_doc = client.get(MARGIN if command == "margin" else BY_KIND, params={"from": "2026-04", "to": "2026-06"}).json()
    assert {k: v for k, v in api_doc.items() if k != "warnings"} == {k: v for k, v in doc.items() if k != "warnings"}


@pytest.mark.parametrize("command, table", [("margin", "tenants"), ("margin", "deployments"), ("margin", "overall"),
                                            ("by-kind", "revenue"), ("by-kind", "cogs")])
def test_cli_range_csv_equals_the_report_table(capsys, demo_sqlite_url, command, table):
    code, out, _ = run_cli(capsys, "--database-url", demo_sqlite_url, command, "--from", "2026-04", "--to", "2026-06",
                           "--csv", "--table", table)
    span, engine = months("2026-04", "2026-06"), engine_for(demo_sqlite_url)
    rows = (report.margin_table(analytics.margin_summary(engine, span, datetime.now(UTC)), table) if command == "margin"
            else report.by_kind_table(analytics.by_kind(engine, span), table))
    assert code == 0 and out == report.to_csv(rows, table) and out.count("\n") > 1
    assert out.splitlines()[1].startswith("2026-04-01..2026-06-01,")


def test_cli_range_table_is_labelled(capsys, demo_sqlite_url):
    code, out, _ = run_cli(capsys, "--database-url", demo_sqlite_url, "margin", "--from", "2025-11", "--to", "2026-01")
    assert code == 0 and out.startswith("P&L November 2025–January 2026 (USD)")


@pytest.mark.parametrize("command", ["margin", "by-kind"])
@pytest.mark.parametrize("period, first, last, says", BAD)
def test_cli_bad_months_exit_2_naming_the_values(capsys, demo_sqlite_url, command, period, first, last, says):
    flags = [arg for name, value in (("--period", period), ("--from", first), ("--to", last)) if value is not None
             for arg in (name, value)]
    code, out, err = run_cli(capsys, "--database-url", demo_sqlite_url, command, *flags)
    assert code == 2 and out == "" and err.count("\n") == 1 and err.startswith("error: ")
    assert all(fragment in err for fragment in says), err
