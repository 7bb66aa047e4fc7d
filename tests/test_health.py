"""Data health (arcadia/health.py): each kind of bad row, written with plain SQL the way other programs
write the database, is found with its code, level, count and an example naming it; a clean database
has no errors; one failing check does not stop the others; the CLI's exit codes and JSON; the page."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
import sqlalchemy as sa

from arcadia import health
from arcadia.db import engine_for
from arcadia.errors import DatabaseUnavailable
from arcadia.period import UTC, Period
from tests.test_cli import UNREACHABLE, run_cli
from tests.test_pages import ADMIN, app_test, markdown_shown

NOW = datetime(2026, 6, 15, 12, tzinfo=UTC)
MARCH, APRIL, MAY = Period.parse("2026-03"), Period.parse("2026-04"), Period.parse("2026-05")

# Rows of tests/fixtures/small.sql the cases point at.
SUB = "50000000-0000-4000-8000-000000000001"  # acme's, items PLATFORM, COMPUTE, STORAGE
SUB_NO_ITEMS = "50000000-0000-4000-8000-000000000003"
COMPUTE = "d0000000-0000-4000-8000-000000000002"
INVOICE = "e0000000-0000-4000-8000-000000000001"  # acme, March, subtotal 2000, tax 200, total 2200
VOID = "e0000000-0000-4000-8000-000000000003"  # acme's voided March invoice
RESOURCE = "a0000000-0000-4000-8000-000000000001"  # acme-web, in acme's deployment, first seen 2026-02-01
DELETED = "a0000000-0000-4000-8000-000000000004"  # ci-runner, deleted 2026-03-15

# The one finding of the clean fixture: acme-worker is tagged platform-admin inside acme's deployment.
CLEAN = [("resource_tenant_conflict", "warning", 1)]


def usage(id_: str, recorded_at: str, sub: str = SUB, item: str = COMPUTE, quantity: str = "1") -> str:
    return (f"INSERT INTO usage_records (id, subscription_id, catalog_item_id, quantity, recorded_at, idempotency_key) "
            f"VALUES ('{id_}', '{sub}', '{item}', {quantity}, '{recorded_at}', '{id_}')")


def cost_line(id_: str, period: str, amount: int | str = 100, kind: str = "droplet", currency: str = "USD",
              resource: str | None = RESOURCE) -> str:
    resource_sql = "NULL" if resource is None else f"'{resource}'"
    return (f"INSERT INTO cloud_cost_lines (id, provider, provider_invoice_id, period, resource_id, kind, product, "
            f"description, amount_cents, currency) VALUES ('{id_}', 'digitalocean', 'do-x', '{period}', "
            f"{resource_sql}, '{kind}', 'Droplets', 'test line', {amount}, '{currency}')")


def catalog(sku: str, pricing_model: str, tiers: str | None, price: int | str = 1000) -> str:
    tiers_sql = "NULL" if tiers is None else f"'{tiers}'"
    return (f"INSERT INTO catalog_items (id, sku, name, billing_kind, unit, pricing_model, unit_price_micros, "
            f"included_units, tiers, currency, active) VALUES ('d1000000-0000-4000-8000-0000000000{sku[-2:]}', "
            f"'{sku}', '{sku}', 'compute', 'hour', '{pricing_model}', {price}, 0, {tiers_sql}, 'USD', TRUE)")


def invoice_line(id_: str, amount: int | str, invoice: str = INVOICE, billing_kind: str = "compute") -> str:
    return (f"INSERT INTO tenant_invoice_lines (id, invoice_id, billing_kind, description, quantity, amount_cents) "
            f"VALUES ('{id_}', '{invoice}', '{billing_kind}', 'extra', 1, {amount})")


U1, U2 = "70000000-0000-4000-8000-0000000000a1", "70000000-0000-4000-8000-0000000000a2"
C1, C2 = "c0000000-0000-4000-8000-0000000000a1", "c0000000-0000-4000-8000-0000000000a2"
L1 = "f0000000-0000-4000-8000-0000000000a1"
GOOD_TIERS = '[{"up_to": 10, "unit_price_micros": 5}, {"up_to": null, "unit_price_micros": 4}]'

# (case, period, statements, code, level, count, (example key, value naming the row))
CASES = [
    ("usage in 2062", None, [usage(U1, "2062-05-12 00:00:00+00:00")],
     "usage_future", "error", 1, ("usage_id", U1)),
    ("usage a day and a half ahead, checked for a month", MARCH, [usage(U1, "2026-06-16T23:59:00Z")],
     "usage_future", "error", 1, ("usage_id", U1)),
    ("usage in 1926", MAY, [usage(U1, "1926-05-12 00:00:00+00:00"), usage(U2, "1969-12-31 23:59:59+00:00")],
     "usage_far_past", "error", 2, ("usage_id", U2)),
    ("usage of an item the subscription lacks", MAY,
     [usage(U1, "2026-05-12 00:00:00+00:00", sub=SUB_NO_ITEMS, quantity="1.5"),
      usage(U2, "2026-05-13T00:00:00Z", sub=SUB_NO_ITEMS, quantity="2.25")],
     "usage_not_subscribed", "warning", 2, ("subscription_id", SUB_NO_ITEMS)),
    ("usage of an item the subscription lacks, all months", None,
     [usage(U1, "2026-01-12 00:00:00+00:00", sub=SUB_NO_ITEMS)],
     "usage_not_subscribed", "warning", 1, ("quantity", "1")),
    ("tiers: null up_to before the last", None,
     [catalog("T-01", "tiered", '[{"up_to": null, "unit_price_micros": 5}, {"up_to": 10, "unit_price_micros": 4}]')],
     "catalog_malformed", "error", 1, ("sku", "T-01")),
    ("tiers: not a list", None, [catalog("T-02", "tiered", '{"up_to": 10, "unit_price_micros": 5}')],
     "catalog_malformed", "error", 1, ("problem", "tiers is not a JSON list")),
    ("tiers: decreasing, fractional and negative prices", None,
     [catalog("T-04", "tiered", '[{"up_to": 10, "unit_price_micros": 5.5}, {"up_to": 5, "unit_price_micros": -1}]')],
     "catalog_malformed", "error", 1,
     ("problem", "tier 1: unit_price_micros Decimal('5.5') is not an integer; tier 2: up_to 5 not above the "
                 "previous tier's (10); tier 2: negative unit_price_micros (-1)")),
    ("tiered without tiers", None, [catalog("T-05", "tiered", None)],
     "catalog_malformed", "error", 1, ("problem", "tiered item without tiers")),
    ("unknown pricing model, negative price", None, [catalog("T-06", "volume", None, price=-5)],
     "catalog_malformed", "error", 1,
     ("problem", "unknown pricing_model 'volume' (expected flat, per_unit, tiered); negative unit_price_micros")),
    ("a cost line in AUD", MARCH, [cost_line(C1, "2026-03-01", currency="AUD")],
     "mixed_currencies", "error", 1, ("cloud_cost_lines", "AUD 1, USD 8")),
    ("an invoice in EUR, all months", None,
     ["UPDATE tenant_invoices SET currency = 'EUR' WHERE id = 'e0000000-0000-4000-8000-000000000002'"],
     "mixed_currencies", "error", 1, ("tenant_invoices", "EUR 1, USD 1")),
    ("a subscription in AUD active in May", MAY,
     ["UPDATE subscriptions SET currency = 'AUD' WHERE id = '50000000-0000-4000-8000-000000000002'"],
     "mixed_currencies", "error", 1, ("subscriptions", "AUD 1, USD 1")),
    ("an invoice line too many", MARCH, [invoice_line(L1, 1)],
     "invoice_lines_mismatch", "error", 1, ("invoice_id", INVOICE)),
    ("a total that is not subtotal + tax", MARCH, [f"UPDATE tenant_invoices SET total_cents = 2201 WHERE id = '{INVOICE}'"],
     "invoice_total_mismatch", "error", 1, ("total", "22.01")),
    ("a cost line of 10^15 cents", MARCH, [cost_line(C1, "2026-03-01", amount=10**15)],
     "amount_overflow", "error", 1, ("id", C1)),
    ("an invoice line of -10^15 and a catalog price of 10^15", None,
     [invoice_line(L1, -10**15, invoice=VOID), catalog("T-07", "per_unit", None, price=10**15)],
     "amount_overflow", "error", 2, ("value", str(-10**15))),
    ("two cost lines of 6 x 10^14 cents: each fine, their month not", MARCH,
     [cost_line(C1, "2026-03-01", amount=6 * 10**14), cost_line(C2, "2026-03-01", amount=6 * 10**14)],
     "month_overflow", "error", 1, ("period", "2026-03-01")),
    ("a cost line of kind gpu", MARCH, [cost_line(C1, "2026-03-01", kind="gpu")],
     "cost_line_unknown_kind", "warning", 1, ("kind", "gpu")),
    ("another resource tagged with another tenant", None,
     [f"UPDATE cloud_resources SET tenant_id = 'someone-else' WHERE id = '{RESOURCE}'"],
     "resource_tenant_conflict", "warning", 2, ("resource_tenant_id", "someone-else")),
    ("a cost line after its resource's deletion month", APRIL, [cost_line(C1, "2026-04-01", resource=DELETED)],
     "cost_line_outside_lifetime", "warning", 1, ("resource_id", DELETED)),
    ("a cost line before its resource was first seen", None, [cost_line(C1, "2026-01-01"), cost_line(C2, "2026-02-01")],
     "cost_line_outside_lifetime", "warning", 1, ("cost_line_id", C1)),
]


def findings(report: health.Report) -> list[tuple[str, str, int]]:
    return [(p.code, p.level, p.count) for p in report.problems]


def write(engine: sa.Engine, statements: list[str]) -> None:
    with engine.begin() as conn:
        for statement in statements:
            conn.exec_driver_sql(statement)


@pytest.mark.parametrize("period", [None, MARCH, APRIL, MAY], ids=str)
def test_the_clean_fixture_has_one_warning_and_no_error(small, period):
    report = health.check(small, period, NOW)
    assert findings(report) == CLEAN and report.errors == 0 and report.warnings == 1
    assert report.problems[0].examples[0]["resource_name"] == "acme-worker (tagged platform-admin)"


@pytest.mark.parametrize("case, period, statements, code, level, count, named", CASES, ids=[c[0] for c in CASES])
def test_each_kind_of_bad_row_is_found_and_named(small, case, period, statements, code, level, count, named):
    write(small, statements)
    report = health.check(small, period, NOW)
    problem = next(p for p in report.problems if p.code == code)
    assert (problem.level, problem.count) == (level, count)
    key, value = named
    assert any(example[key] == value for example in problem.examples), problem.examples
    assert 1 <= len(problem.examples) <= health.EXAMPLES
    # Nothing else changed: the fixture's own finding stays, no other problem appears.
    # (a single amount of 10^15 also makes its month's sum too large to add: both are said)
    also = [("month_overflow", "error", 1)] if case == "a cost line of 10^15 cents" else []
    assert sorted(findings(report)) == sorted([(code, level, count)] + also + [c for c in CLEAN if c[0] != code])


@pytest.mark.parametrize("statements, code, period", [
    ([usage(U1, "2026-04-12 00:00:00+00:00", sub=SUB_NO_ITEMS)], "usage_not_subscribed", MAY),
    ([cost_line(C1, "2026-04-01", kind="gpu")], "cost_line_unknown_kind", MARCH),
    ([invoice_line(L1, 1)], "invoice_lines_mismatch", APRIL),
    ([cost_line(C1, "2026-04-01", currency="AUD", resource=None)], "mixed_currencies", MARCH),
])
def test_a_month_only_sees_its_own_rows(small, statements, code, period):
    write(small, statements)
    assert code not in [p.code for p in health.check(small, period, NOW).problems]
    assert code in [p.code for p in health.check(small, None, NOW).problems]  # all months: found


def test_usage_not_subscribed_sums_the_quantity(small):
    write(small, [usage(U1, "2026-05-12 00:00:00+00:00", sub=SUB_NO_ITEMS, quantity="1.5"),
                  usage(U2, "2026-05-13 00:00:00+00:00", sub=SUB_NO_ITEMS, quantity="2.25")])
    problem = next(p for p in health.check(small, MAY, NOW).problems if p.code == "usage_not_subscribed")
    assert problem.title.endswith("(Σ quantity 3.75)")
    assert problem.examples == ({"subscription_id": SUB_NO_ITEMS, "catalog_item_id": COMPUTE, "sku": "COMPUTE",
                                 "readings": 2, "quantity": "3.75"},)


def test_a_clean_catalog_passes_the_tier_rules():
    assert health.tier_problems("tiered", 100000, GOOD_TIERS) == []
    assert health.tier_problems("tiered", 1, '[{"up_to": 10, "unit_price_micros": 5}]') == []  # last bounded: fine
    assert health.tier_problems("flat", 1, None) == [] and health.tier_problems("per_unit", 0, "null") == []
    # Only SQLite can hold this: PostgreSQL's json column refuses text that is not JSON.
    assert health.tier_problems("per_unit", 1, "[{up_to: 10}") == ["tiers is not valid JSON"]
    assert health.tier_problems("tiered", 1, '[{"up_to": "10", "unit_price_micros": true}, 3]') == [
        "tier 1: up_to '10' is not a number", "tier 1: unit_price_micros True is not an integer",
        "tier 2 is not an object"]


def test_timestamps_no_figure_can_read_do_not_break_a_check(engine):
    """SQLite: text it cannot read is listed; PostgreSQL stores year 10000 and infinity: in the future."""
    from tests.conftest import load_sql

    load_sql(engine, "small.sql")
    write(engine, [usage(U1, "10000-01-05 00:00:00+00:00"), usage(U2, "infinity" if engine.dialect.name ==
                                                                  "postgresql" else "yesterday")])
    if engine.dialect.name == "sqlite":
        write(engine, [f"UPDATE cloud_resources SET first_seen_at = 'garbage', deleted_at = '10000-01-05' "
                       f"WHERE id = '{DELETED}'", "UPDATE subscriptions SET started_at = 'soon'"])
        report = health.check(engine, None, NOW)
        assert findings(report) == [("unreadable_timestamps", "error", 7)] + CLEAN
        assert report.problems[0].examples[:2] == (
            {"table": "cloud_resources", "id": DELETED, "column": "deleted_at", "value": "10000-01-05"},
            {"table": "cloud_resources", "id": DELETED, "column": "first_seen_at", "value": "garbage"})
    else:
        report = health.check(engine, MAY, NOW)
        assert findings(report) == [("usage_future", "error", 2)] + CLEAN
        assert [e["recorded_at"] for e in report.problems[0].examples] == ["infinity", "10000-01-05 00:00:00"]


def test_sums_beyond_64_bits_fail_only_their_own_check(small):
    # Separate billing kinds: PostgreSQL's pre-aggregates (one row per kind) would refuse the sum themselves.
    write(small, [invoice_line(L1, 9 * 10**18, billing_kind="x1"),
                  invoice_line("f0000000-0000-4000-8000-0000000000a2", 9 * 10**18, billing_kind="x2")])
    report = health.check(small, MARCH, NOW)
    codes = {p.code: p for p in report.problems}
    assert codes["amount_overflow"].count == 2
    if small.dialect.name == "sqlite":  # SQLite's SUM stops at 64 bits: the check says it could not run
        assert codes["invoice_lines_mismatch"].title.startswith("Check failed:")
        assert "overflow" in codes["invoice_lines_mismatch"].examples[0]["reason"]
    else:  # PostgreSQL sums bigints as numeric
        assert codes["invoice_lines_mismatch"].count == 1
    assert "resource_tenant_conflict" in codes  # the checks after it still ran


def raising(exc: Exception):
    def run(conn, scope):
        raise exc
    return run


@pytest.mark.parametrize("exc", [RuntimeError("boom"), ValueError(""),
                                 DatabaseUnavailable("the database failed during query x: canceling statement")])
def test_a_check_that_raises_does_not_stop_the_others(small, exc):
    broken = health.Check("broken", health.WARNING, "A broken check", "hint", raising(exc))
    report = health.check(small, MARCH, NOW, checks=(broken, *health.CHECKS))
    assert findings(report) == [("broken", "error", 0)] + CLEAN
    failure = report.problems[0]
    assert failure.title == "Check failed: A broken check"
    assert failure.examples[0]["check"] == "broken" and failure.examples[0]["error"] == type(exc).__name__
    assert failure.examples[0]["reason"] == (str(exc) or type(exc).__name__)


def test_an_unreachable_database_fails_the_whole_report():
    with pytest.raises(DatabaseUnavailable, match="cannot reach the database"):
        health.check(engine_for(UNREACHABLE, reader=True), None, NOW)


def test_the_report_is_json_safe(small):
    write(small, [usage(U1, "2062-05-12 00:00:00+00:00"), cost_line(C1, "2026-03-01", kind="gpu", amount=-1234)])
    doc = health.to_json(health.check(small, MARCH, NOW))
    assert json.loads(json.dumps(doc)) == doc
    assert list(doc) == ["period", "checked_at", "problems", "errors", "warnings", "in_place", "syncs"]
    assert doc["period"] == "2026-03-01" and doc["checked_at"] == "2026-06-15T12:00:00Z"
    assert (doc["errors"], doc["warnings"]) == (1, 2)
    assert all(list(p) == ["code", "level", "title", "count", "examples", "hint"] for p in doc["problems"])
    kinds = next(p for p in doc["problems"] if p["code"] == "cost_line_unknown_kind")
    assert kinds["examples"] == [{"cost_line_id": C1, "period": "2026-03-01", "kind": "gpu",
                                  "description": "test line", "amount": "-12.34", "currency": "USD"}]


# --- the CLI -----------------------------------------------------------------------------------------

def url_of(engine: sa.Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def test_cli_exit_0_with_warnings_only(capsys, small):
    code, out, _ = run_cli(capsys, "--database-url", url_of(small), "check", "--period", "2026-03")
    assert code == 0
    assert "warning        1  Resources tagged with another tenant than their deployment's" in out
    assert "    resource_id=a0000000-0000-4000-8000-000000000002, resource_name=acme-worker" in out


def test_cli_exit_0_and_no_problems_found(capsys, engine):
    code, out, _ = run_cli(capsys, "--database-url", url_of(engine), "check")
    assert code == 0 and out.splitlines()[-1] == "no problems found"


def test_cli_exit_1_on_errors_with_json(capsys, small):
    write(small, [usage(U1, "2062-05-12 00:00:00+00:00")])
    code, out, _ = run_cli(capsys, "--database-url", url_of(small), "check", "--json")
    doc = json.loads(out)
    assert code == 1 and doc["period"] is None and (doc["errors"], doc["warnings"]) == (1, 1)
    assert doc["problems"][0]["code"] == "usage_future" and doc["problems"][0]["examples"][0]["usage_id"] == U1


@pytest.mark.parametrize("bad", ["2026-13", "", "March", "1969-12"])
def test_cli_bad_period_exits_2_naming_it(capsys, bad):
    code, out, err = run_cli(capsys, "--database-url", UNREACHABLE, "check", "--period", bad)
    assert code == 2 and out == "" and "invalid period" in err and repr(bad) in err


def test_cli_unreachable_database_exits_1(capsys):
    code, out, err = run_cli(capsys, "--database-url", UNREACHABLE, "check", "--json")
    assert code == 1 and out == "" and "cannot reach the database" in err


def test_cli_prints_control_characters_escaped(capsys, small):
    write(small, [f"UPDATE cloud_resources SET name = 'evil\u001b[2Jname' WHERE id = 'a0000000-0000-4000-8000-000000000002'"])
    code, out, _ = run_cli(capsys, "--database-url", url_of(small), "check")
    assert code == 0 and "\u001b" not in out and "resource_name=evil\\x1b[2Jname" in out


# --- the page ----------------------------------------------------------------------------------------

HOSTILE = "[x](https://evil.example)"


def test_page_shows_problems_and_database_text_literally(small, monkeypatch):
    write(small, [f"UPDATE cloud_resources SET name = '{HOSTILE}' WHERE id = 'a0000000-0000-4000-8000-000000000002'",
                  cost_line(C1, "2026-03-01", kind="**gpu**")])
    at = app_test(url_of(small), monkeypatch, user=ADMIN, page="pages/health.py", period="2026-03")
    assert not at.exception
    assert at.title[0].value == "Data health · March 2026"
    assert {m.label: m.value for m in at.metric} == {"Errors": "0", "Warnings": "2"}
    assert [s.value for s in at.subheader] == [
        ":material/warning: Cost lines with a kind outside the contract's list",
        ":material/warning: Resources tagged with another tenant than their deployment's"]
    assert list(at.dataframe[1].value["resource_name"]) == [HOSTILE]
    assert list(at.dataframe[0].value["kind"]) == ["**gpu**"]
    assert not any("evil" in text or "gpu" in text for text in markdown_shown(at))


def test_page_on_a_clean_month_says_so(engine, monkeypatch):
    write(engine, [cost_line(C1, "2026-03-01", resource=None)])  # a month to pick, nothing wrong
    at = app_test(url_of(engine), monkeypatch, user=ADMIN, page="pages/health.py", period="2026-03")
    assert not at.exception and at.success[0].value == "No problems found." and not at.dataframe
