"""The CLI: contract JSON shapes, CSV tables, exit codes and one-line errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import sqlalchemy as sa

from arcadia import analytics, coverage, report
from arcadia.cli import main
from arcadia.db import engine_for
from arcadia.period import Period, parse_instant
from tests.conftest import DEMO_NOW

UNREACHABLE = "postgresql+psycopg://postgres@127.0.0.1:5999/nowhere"


def run_cli(capsys, *args):
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_margin_json_is_the_contract_shape(capsys, demo_sqlite_url):
    code, out, _ = run_cli(capsys, "--database-url", demo_sqlite_url, "margin", "--period", "2026-04-01", "--json")
    doc = json.loads(out)
    assert code == 0
    assert list(doc) == ["period", "currency", "overall", "tenants", "deployments"]
    assert list(doc["overall"]) == ["revenue", "cogs", "attributed_cogs", "unattributed_cogs", "margin", "margin_pct"]
    assert doc["overall"]["revenue"] == "71.12" and doc["overall"]["margin_pct"] == -22.2
    assert list(doc["tenants"][0]) == ["tenant_id", "tenant_name", "revenue", "cogs", "margin", "margin_pct"]
    assert list(doc["deployments"][0]) == ["deployment_id", "deployment_name", "tenant_id", "revenue", "cogs",
                                           "margin", "margin_pct"]


def test_any_day_means_its_month(capsys, demo_sqlite_url):
    _, first, _ = run_cli(capsys, "--database-url", demo_sqlite_url, "margin", "--period", "2026-04-01", "--json")
    _, mid, _ = run_cli(capsys, "--database-url", demo_sqlite_url, "margin", "--period", "2026-04-30", "--json")
    assert first == mid


def test_by_kind_json_shape(capsys, demo_sqlite_url):
    code, out, _ = run_cli(capsys, "--database-url", demo_sqlite_url, "by-kind", "--period", "2026-10-01", "--json")
    doc = json.loads(out)
    assert code == 0 and list(doc) == ["period", "currency", "revenue", "cogs"]
    amounts = [int(k["amount"].replace(".", "")) for k in doc["cogs"]]
    assert amounts == sorted(amounts, reverse=True) and all(list(k) == ["kind", "amount"] for k in doc["revenue"])


def test_accrual_json_shape(capsys, demo_sqlite_url):
    code, out, _ = run_cli(capsys, "--database-url", demo_sqlite_url, "accrual", "--as-of", DEMO_NOW, "--json")
    doc = json.loads(out)
    assert code == 0 and list(doc) == ["as_of", "period", "currency", "totals", "subscriptions", "estimate", "metered_through",
                                    "as_of_basis"]
    assert list(doc["totals"]) == ["subtotal", "tax", "total", "projected_subtotal"]
    sub = doc["subscriptions"][0]
    assert list(sub) == ["subscription_id", "tenant_id", "deployment_id", "subtotal", "tax", "total",
                         "projected_subtotal", "lines"]
    assert list(sub["lines"][0]) == ["sku", "billing_kind", "quantity", "amount"]
    cents = lambda s: int(s.replace(".", "").replace("-", ""))  # noqa: E731
    assert cents(doc["totals"]["subtotal"]) == sum(cents(s["subtotal"]) for s in doc["subscriptions"])


@pytest.mark.parametrize("command, table, figure", [
    ("margin", "tenants", lambda e: report.margin_table(analytics.margin_summary(e, Period.parse("2026-10-01")), "tenants")),
    ("margin", "deployments", lambda e: report.margin_table(analytics.margin_summary(e, Period.parse("2026-10-01")), "deployments")),
    ("margin", "overall", lambda e: report.margin_table(analytics.margin_summary(e, Period.parse("2026-10-01")), "overall")),
    ("by-kind", "revenue", lambda e: report.by_kind_table(analytics.by_kind(e, Period.parse("2026-10-01")), "revenue")),
    ("by-kind", "cogs", lambda e: report.by_kind_table(analytics.by_kind(e, Period.parse("2026-10-01")), "cogs")),
])
def test_csv_equals_the_report_table(capsys, demo_sqlite_url, command, table, figure):
    code, out, _ = run_cli(capsys, "--database-url", demo_sqlite_url, command, "--period", "2026-10-01", "--csv",
                           "--table", table)
    assert code == 0
    assert out == report.to_csv(figure(engine_for(demo_sqlite_url)), table)
    assert out.count("\n") > 1


def test_accrual_csv_lines(capsys, demo_sqlite_url):
    code, out, _ = run_cli(capsys, "--database-url", demo_sqlite_url, "accrual", "--as-of", DEMO_NOW, "--csv",
                           "--table", "lines")
    accrual = analytics.live_accrual(engine_for(demo_sqlite_url), parse_instant(DEMO_NOW))
    assert code == 0 and out == report.to_csv(report.accrual_table(accrual, "lines"), "lines")


def test_readable_table_by_default(capsys, demo_sqlite_url):
    code, out, _ = run_cli(capsys, "--database-url", demo_sqlite_url, "margin", "--period", "2026-04-01")
    assert code == 0 and "Dashboard Pilot" in out and "$71.12" in out and "57.1%" in out


@pytest.mark.parametrize("bad", ["", "2026-13-01", "2026-02-30", "2026-04-01' OR 1=1 --", "x" * 10_000, "２０２６-04-01",
                                 "April", "2026/04/01"])
def test_bad_period_exits_2_with_one_line_naming_it(capsys, demo_sqlite_url, bad):
    code, out, err = run_cli(capsys, "--database-url", demo_sqlite_url, "margin", "--period", bad, "--json")
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "invalid period" in err and repr(bad)[:20] in err
    assert "Traceback" not in err


@pytest.mark.parametrize("bad", ["yesterday", "2026-04-31T00:00:00Z", "'; DROP TABLE x; --"])
def test_bad_as_of_exits_2(capsys, demo_sqlite_url, bad):
    code, out, err = run_cli(capsys, "--database-url", demo_sqlite_url, "accrual", "--as-of", bad)
    assert code == 2 and out == "" and "invalid instant" in err


def test_unreachable_database_exits_1_without_traceback():
    env = {**os.environ, "ARCADIA_DATABASE_URL": UNREACHABLE}
    done = subprocess.run([sys.executable, "-m", "arcadia", "margin", "--period", "2026-04-01", "--json"],
                          capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 1 and done.stdout == ""
    assert "cannot reach the database" in done.stderr and "127.0.0.1:5999" in done.stderr
    assert "Traceback" not in done.stderr


def test_bad_period_end_to_end_exit_code(demo_sqlite_url):
    done = subprocess.run([sys.executable, "-m", "arcadia", "--database-url", demo_sqlite_url, "margin",
                           "--period", "2026-13-01"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and done.stderr.strip() == "error: invalid period '2026-13-01': no such date"


def test_db_init_is_idempotent_and_rollup_works(capsys, tmp_path):
    url = f"sqlite:///{tmp_path / 'x.sqlite'}"
    assert run_cli(capsys, "--database-url", url, "db", "init")[0] == 0
    assert run_cli(capsys, "--database-url", url, "db", "init")[0] == 0
    code, out, _ = run_cli(capsys, "--database-url", url, "rollup", "--period", "2026-04-01")
    assert code == 0 and "0 invoice" in out
    code, _, err = run_cli(capsys, "--database-url", url, "rollup", "--period", "2099-01-01")
    assert code == 2 and "not complete" in err


def test_db_init_that_the_database_refuses_is_a_message_not_a_traceback(capsys, pg_server_url):
    """A table of an aggregate's name in another shape (or a role without the privilege) stops db init with the
    database's reason, exit 1."""
    engine = sa.create_engine(pg_server_url)
    with engine.begin() as conn:  # the run's database; the next test's schema.create_all makes the table again
        conn.exec_driver_sql("DROP TABLE IF EXISTS agg_cost_kind")
        conn.exec_driver_sql("CREATE TABLE agg_cost_kind (x integer)")
    try:
        code, _, err = run_cli(capsys, "--database-url", pg_server_url, "db", "init")
        assert code == 1 and err.startswith("error: db init failed on PostgreSQL") and '"period" does not exist' in err
        assert "Traceback" not in err
    finally:
        with engine.begin() as conn:
            conn.exec_driver_sql("DROP TABLE agg_cost_kind")
        engine.dispose()


def test_uninitialised_database_says_what_to_do(capsys, tmp_path):
    code, _, err = run_cli(capsys, "--database-url", f"sqlite:///{tmp_path / 'empty.sqlite'}", "margin",
                           "--period", "2026-04-01")
    assert code == 1 and "db init" in err


def test_demo_reset_refuses_other_databases(capsys, tmp_path):
    code, _, err = run_cli(capsys, "--database-url", f"sqlite:///{tmp_path / 'x.sqlite'}", "demo", "--reset")
    assert code == 2 and "only rebuilds the embedded demo" in err


@pytest.mark.parametrize("args, table, figure", [
    (["--tenant", "dashboard-pilot"], "tenant_lines",
     lambda e, p: report.cost_lines_table(coverage.tenant_cost_lines(e, "dashboard-pilot", p), p, "tenant_lines")),
    (["--unattributed"], "unattributed",
     lambda e, p: report.cost_lines_table(coverage.unattributed_cost_lines(e, p), p, "unattributed")),
])
def test_cost_lines_csv_equals_the_page_table(capsys, demo_sqlite_url, args, table, figure):
    code, out, _ = run_cli(capsys, "--database-url", demo_sqlite_url, "cost-lines", "--period", "2026-04-01", *args, "--csv")
    april = Period.parse("2026-04-01")
    assert code == 0 and out == report.to_csv(figure(engine_for(demo_sqlite_url), april), table)
    cents = sum(int(line.rsplit(",", 1)[1].replace(".", "")) for line in out.splitlines()[1:])
    assert cents == {"tenant_lines": 3053, "unattributed": 5639}[table]  # the seed's April split


def test_embedded_demo_is_built_on_first_use(monkeypatch, tmp_path, capsys):
    from arcadia import db

    path = tmp_path / "data" / "arcadia-demo.sqlite"
    monkeypatch.setattr(db, "DEMO_PATH", path)
    monkeypatch.setattr(db, "DEMO_URL", f"sqlite:///{path}")
    monkeypatch.delenv(db.URL_ENV, raising=False)
    code, out, _ = run_cli(capsys, "margin", "--period", "2026-04-01", "--json")
    assert code == 0 and json.loads(out)["overall"]["revenue"] == "71.12"
    assert path.exists() and not list(path.parent.glob("*.partial"))
