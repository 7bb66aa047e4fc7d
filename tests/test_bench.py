"""`python -m arcadia bench` at small scale: the three ways agree, the document is complete. Never a timing.

The demo (SQLite) and the hand-checked fixture on both databases, pages off;
a small bulk load on PostgreSQL. And the comparison itself: one cent off is
a disagreement that names the figure, the row and both values.
"""

from __future__ import annotations

import argparse
import copy
import json

import pytest

from arcadia import bench
from tests.conftest import DEMO_NOW

pytestmark = pytest.mark.benchmark

REPORT_KEYS = {"database", "dialect", "period", "as_of", "repeat", "cpus", "load_average_at_start",
               "load_average_at_end", "figures", "agree", "disagreements", "peak_rss_mb", "peak_rss_mb_before_naive", "row_counts", "row_counts_method", "pages", "api",
               "server_peak_rss_mb", "bulk_load", "targets"}
CONTRACT_TABLES = {"tenants", "cloud_projects", "cloud_deployments", "cloud_resources", "cloud_cost_lines",
                   "catalog_items", "subscriptions", "subscription_items", "usage_records", "tenant_invoices",
                   "tenant_invoice_lines"}


def run_bench(capsys, url: str, *flags: str) -> tuple[int, dict]:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url")
    bench.add_arguments(parser)
    args = parser.parse_args(["--database-url", url, "--json", "--repeat", "1", "--no-pages", *flags])
    code = bench.run(args)
    return code, json.loads(capsys.readouterr().out)


def assert_complete(report: dict) -> None:
    assert REPORT_KEYS <= report.keys()
    assert set(report["figures"]) == set(bench.FIGURES)
    for name, times in report["figures"].items():
        assert {"project_ms", "floor_ms", "values_compared"} <= times.keys(), name
    for name in ("margin_summary", "live_accrual"):
        assert {"naive_ms", "naive_over_project"} <= report["figures"][name].keys()
    assert set(report["row_counts"]) == CONTRACT_TABLES
    assert {t["target"] for t in report["targets"]} == {t[0] for t in bench.TARGETS}


def test_demo_on_sqlite_agrees(capsys, demo_sqlite_url):
    code, report = run_bench(capsys, demo_sqlite_url, "--as-of", DEMO_NOW)
    assert code == 0 and report["agree"] is True and report["disagreements"] == []
    assert_complete(report)
    assert report["period"] == "2026-10-01"  # the latest complete month as of the demo's now
    assert report["row_counts"]["usage_records"] > 1000
    assert report["figures"]["live_accrual"]["values_compared"] > 4 * 20  # totals and every subscription
    assert report["bulk_load"] is None  # not PostgreSQL: no bulk load by default


# May 2026 of the fixture is not invoiced: its accrual mid-month and as of its end (the whole month).
@pytest.mark.parametrize("as_of", ["2026-05-21T12:00:00Z", "2026-06-01T00:00:00Z"])
def test_small_fixture_agrees_on_both_databases(capsys, small, as_of):
    url = small.url.render_as_string(hide_password=False)
    code, report = run_bench(capsys, url, "--period", "2026-03", "--as-of", as_of, "--bulk-load", "0")
    assert code == 0 and report["agree"] is True, report["disagreements"]
    assert_complete(report)
    # The agreement covered real rows: March's tenants and deployments, and May's two subscriptions.
    assert report["figures"]["margin_summary"]["values_compared"] >= 4 + 2 * 3 + 2 * 2
    assert report["figures"]["live_accrual"]["values_compared"] == 4 + 2 * 4


def test_bulk_load_on_postgresql(capsys, pg_server_url):
    from benchmarks import bulk_load

    result = bulk_load.measure(pg_server_url, 2000)
    assert result["rows"] == 2000 and "note" not in result, result
    assert result["contract_only_ms"] > 0 and result["with_preaggregates_ms"] > 0 and result["ratio"] > 0


def test_one_cent_off_is_a_disagreement():
    doc = {"overall": {"revenue": 7112, "cogs": 8692}, "tenants": {"acme": {"revenue": 2000, "cogs": 1450}}}
    naive = copy.deepcopy(doc)
    naive["tenants"]["acme"]["cogs"] = 1451
    assert bench.disagreements("margin_summary", {"project": doc, "raw SQL": copy.deepcopy(doc)}) == []
    found = bench.disagreements("margin_summary", {"project": doc, "raw SQL": copy.deepcopy(doc), "naive": naive})
    assert found == ["margin_summary tenants acme cogs: 1450 in project, 1451 in naive"]


def test_a_row_missing_from_one_way_is_a_disagreement():
    doc = {"subscriptions": {"s1": {"total": 110}, "s2": {"total": 0}}}
    fewer = {"subscriptions": {"s1": {"total": 110}}}
    assert bench.disagreements("live_accrual", {"project": doc, "naive": fewer}) == [
        "live_accrual subscriptions s2 total: 0 in project, missing in naive"]


def test_disagreement_exits_1_and_says_so(capsys, demo_sqlite_url, monkeypatch):
    from benchmarks import naive

    real = naive.margin

    def off_by_one_cent(conn, period):
        doc = real(conn, period)
        doc["overall"]["cogs"] += 1
        return doc

    monkeypatch.setattr(naive, "margin", off_by_one_cent)
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url")
    bench.add_arguments(parser)
    code = bench.run(parser.parse_args(["--database-url", demo_sqlite_url, "--repeat", "1", "--no-pages",
                                        "--as-of", DEMO_NOW]))
    out, err = capsys.readouterr()
    assert code == 1
    assert "agree: NO" in out and "margin_summary overall cogs" in out
    assert "disagreement: margin_summary overall cogs" in err
