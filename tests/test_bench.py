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
               "load_average_at_end", "figures", "agree", "disagreements", "peak_rss_mb", "peak_rss_mb_before_naive",
               "row_counts", "row_counts_method", "tenant", "accrual_warnings", "pages", "api", "server_peak_rss_mb", "bulk_load",
               "targets_at", "targets"}
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
    # Issue 7's targets and issue 18's at scale 1 (the plain bench's default size)
    assert [(t["issue"], t["target"]) for t in report["targets"]] == \
        [(t.issue, t.what) for t in bench.TARGETS if t.scale == 1]
    assert {t["issue"] for t in report["targets"]} == {7, 18}


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
    # totals and both subscriptions (4 values each), and the estimate: overall 5, unattributed 3, tenants 5 each,
    # the resources without a rate and where the actual cost stops
    estimate = 5 + 3 + 5 * 2 + 2
    assert report["figures"]["live_accrual"]["values_compared"] == 4 + 2 * 4 + estimate


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


def test_the_estimate_is_compared_too(capsys, demo_sqlite_url, monkeypatch):
    """The accrual's live COGS estimate must equal the raw rows' to the cent: one cent off is a disagreement."""
    real, calls = bench.estimate_doc, []

    def raw_one_cent_off(accrual):
        doc = real(accrual)
        calls.append(doc)
        if len(calls) == 2:  # the project's first, then the raw rows'
            tenant = next(iter(doc["tenants"]))
            doc["tenants"][tenant]["projected_cogs"] += 1
        return doc

    monkeypatch.setattr(bench, "estimate_doc", raw_one_cent_off)
    code, report = run_bench(capsys, demo_sqlite_url, "--as-of", DEMO_NOW)
    assert code == 1 and len(report["disagreements"]) == 1
    assert report["disagreements"][0].startswith("live_accrual estimate tenants ")
    assert report["disagreements"][0].endswith("projected_cogs: " + (
        f"{calls[0]['tenants'][next(iter(calls[0]['tenants']))]['projected_cogs']!r} in project, "
        f"{calls[1]['tenants'][next(iter(calls[1]['tenants']))]['projected_cogs']!r} in raw SQL"))


@pytest.mark.parametrize("target, value, met", [
    ("live_accrual (with estimate) project", 1199.9, True), ("live_accrual (with estimate) project", 1200.1, False),
    ("API /accrual?lines=false cold", 1000, True), ("every figure equal to the raw rows (agree)", False, False),
])
def test_issue_18_targets_at_scale_4(target, value, met):
    path = next(t.path for t in bench.TARGETS if t.what == target and t.scale == 4)
    report: dict = {}
    node = report
    for key in path[:-1]:
        node = node.setdefault(key, {})
    node[path[-1]] = value
    found = {t["target"]: t for t in bench.targets(report, 4)}
    assert found[target]["met"] is met and found[target]["value"] == value
    assert all(t["scale"] == 4 and t["issue"] == 18 for t in found.values())


# --- bench --scale-check (issue 18): two sizes built, measured, compared, dropped -------------------------------

def _fake_api(url, period, as_of, tenant, pages=True):
    """The servers' part, stubbed: the API timings and RSS need a Streamlit server per request (benchmarks/pages)."""
    return {"api": {"margin_ms": 10.0, "margin_bytes": 1000, "accrual_ms": 20.0, "accrual_bytes": 4000,
                    "accrual_nolines_ms": 15.0, "accrual_nolines_bytes": 2000}, "server_peak_rss_mb": 200.0}


def test_scale_check_builds_both_sizes_measures_and_drops_them(capsys, pg_server_url, monkeypatch):
    import sqlalchemy as sa
    from benchmarks import pages

    monkeypatch.setattr(pages, "measure_api", _fake_api)
    code, report = run_bench(capsys, pg_server_url, "--scale-check", "--scales", "0.001,0.002",
                             "--now", "2026-11-27T13:20:00Z")
    assert code == 0 and report["agree"] is True
    assert list(report["sizes"]) == ["0.001", "0.002"]
    for size in report["sizes"].values():
        assert size["agree"] and size["build_s"] > 0 and size["period"] == "2026-10-01"
        assert size["figures"]["live_accrual"]["values_compared"] > 20 and "naive_ms" not in size["figures"]["live_accrual"]
        assert size["tenant"] and size["accrual_subscriptions"] > 0
    assert report["sizes"]["0.002"]["row_counts"]["tenants"] == 2 * report["sizes"]["0.001"]["row_counts"]["tenants"]
    assert report["growth"]["api_accrual_bytes"] == 1.0 and report["growth"]["accrual_subscriptions"] > 1
    assert {(t["issue"], t["scale"]) for t in report["targets"]} == {(18, 1), (18, 4)}
    assert "naive (pandas) not run" in report["naive"]
    with sa.create_engine(pg_server_url).connect() as conn:
        left = conn.execute(sa.text("SELECT count(*) FROM pg_database WHERE datname LIKE 'arcadia_scalecheck_%'"))
        assert left.scalar() == 0


@pytest.mark.parametrize("flags, says", [
    (["--scale-check", "--scales", "4,1"], "the smaller first"),
    (["--scale-check", "--scales", "1"], "two scales"),
    (["--scale-check", "--scales", "0,4"], "invalid --scales '0,4'"),
    (["--scale-check", "--scale-urls", "postgresql://x/a"], "one per scale"),
    (["--scales", "1,4"], "--scales go(es) with --scale-check"),
    (["--keep"], "--keep go(es) with --scale-check"),
])
def test_scale_check_bad_input(capsys, pg_server_url, flags, says):
    from arcadia.cli import main

    code = main(["--database-url", pg_server_url, "bench", *flags])
    assert code == 2 and says in capsys.readouterr().err


def test_scale_check_needs_a_postgresql_server(capsys, demo_sqlite_url):
    from arcadia.cli import main

    assert main(["--database-url", demo_sqlite_url, "bench", "--scale-check"]) == 2
    assert "PostgreSQL server" in capsys.readouterr().err
