"""`python -m arcadia bench`: how fast each figure is, three ways, and whether the three agree to the cent.

For each figure: `project_ms` (the analytics call as the dashboard makes it),
`floor_ms` (the portable raw-row SQL of that figure through `db.fetch_rows`
on `db.raw(engine)`, no Python shaping), and for the margin and the accrual
`naive_ms` (raw rows into pandas, benchmarks/naive.py). Each is the median of
`--repeat` runs after one warm-up. It then checks that the project, the same
analytics on the raw rows, and pandas give the same figures to the cent, and
optionally times the pages in Chromium (benchmarks/pages.py) and a bulk load
with and without the pre-aggregate triggers (benchmarks/bulk_load.py).

It only reads the database (the bulk load uses a temporary database of its
own). It prints times and targets; it never asserts a time. Exit 1 when the
ways disagree.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import NamedTuple

import sqlalchemy as sa

from arcadia import analytics, coverage, db, schema
from arcadia.embedded import get_engine
from arcadia.errors import InputError
from arcadia.period import UTC, Period, accrual_period, parse_instant

CHROMIUM = "/usr/bin/chromium"
DEFAULT_BULK_ROWS = 1_000_000
FIGURES = ("margin_summary", "by_kind", "monthly_pnl", "live_accrual", "data_months", "freshness")
TREND_MONTHS = 12  # monthly_pnl as the P&L page calls it


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the bench's flags (the global --database-url picks the database)."""
    parser.add_argument("--json", action="store_true", help="print one JSON document with every figure")
    parser.add_argument("--repeat", type=int, default=5, metavar="N",
                        help="timed runs per figure after one warm-up; the median is reported (default 5)")
    parser.add_argument("--pages", action=argparse.BooleanOptionalAction, default=None,
                        help=f"time each page in Chromium (default: on when {CHROMIUM} exists)")
    parser.add_argument("--as-of", help="the accrual's instant (ISO-8601; default: now)")
    parser.add_argument("--period", help="the month of the P&L figures, YYYY-MM or any date of it YYYY-MM-DD "
                                         "(default: the latest complete month with data)")
    parser.add_argument("--bulk-load", type=int, default=None, metavar="ROWS",
                        help=f"usage rows to bulk-load into a temporary database, with and without the "
                             f"pre-aggregate triggers (default {DEFAULT_BULK_ROWS:,} on PostgreSQL; 0 skips)")
    parser.add_argument("--targets-at", type=int, choices=(1, 4), default=1, metavar="SCALE",
                        help="the scale demo size the database is (1 or 4), for the targets shown (default 1)")
    from arcadia import scale_check

    scale_check.add_arguments(parser)


# --- comparison documents: every figure as plain dicts of integer cents --------------------------------------

def margin_doc(summary: analytics.MarginSummary) -> dict:
    """Overall, per-tenant and per-deployment revenue and COGS in cents."""
    pair = lambda row: {"revenue": row.revenue_cents, "cogs": row.cogs_cents}  # noqa: E731
    return {
        "overall": {"revenue": summary.overall.revenue_cents, "cogs": summary.overall.cogs_cents,
                    "attributed_cogs": summary.attributed_cogs_cents,
                    "unattributed_cogs": summary.unattributed_cogs_cents},
        "tenants": {t.tenant_id: pair(t) for t in summary.tenants},
        "deployments": {d.deployment_id: pair(d) for d in summary.deployments},
    }


def by_kind_doc(breakdown: analytics.ByKind) -> dict:
    """Revenue by billing kind and COGS by provider kind, in cents."""
    return {"revenue": {k.kind: k.amount_cents for k in breakdown.revenue},
            "cogs": {k.kind: k.amount_cents for k in breakdown.cogs}}


def monthly_doc(months: tuple[analytics.MonthPnL, ...]) -> dict:
    """Revenue and COGS per month, in cents."""
    return {str(m.period): {"revenue": m.revenue_cents, "cogs": m.cogs_cents} for m in months}


def accrual_doc(accrual: analytics.Accrual) -> dict:
    """Accrual totals and each subscription's subtotal, GST, total and projection, in cents."""
    return {
        "totals": {"subtotal": accrual.subtotal_cents, "tax": accrual.tax_cents, "total": accrual.total_cents,
                   "projected_subtotal": accrual.projected_subtotal_cents},
        "subscriptions": {q.subscription.id: {"subtotal": q.subtotal_cents, "tax": q.tax_cents,
                                              "total": q.total_cents, "projected_subtotal": q.projected_subtotal_cents}
                          for q in accrual.quotes},
    }


def estimate_doc(accrual: analytics.Accrual) -> dict:
    """The accrual's live COGS estimate in cents: overall, unattributed and per tenant (accrued and projected
    revenue, actual, estimated and projected COGS), how many resources it has no rate for, where the actual
    cost stops. Compared between the project and the raw rows only: the naive way makes no estimate."""
    e = accrual.estimate
    if e is None:
        return {"estimate": "none"}
    figures = lambda row: {"accrued_revenue": row.accrued_revenue_cents, "actual_cogs": row.actual_cogs_cents,  # noqa: E731
                           "estimated_cogs": row.estimated_cogs_cents, "projected_revenue": row.projected_revenue_cents,
                           "projected_cogs": row.projected_cogs_cents}
    return {
        "overall": figures(e),
        "unattributed": {"actual_cogs": e.unattributed_actual_cogs_cents,
                         "estimated_cogs": e.unattributed_estimated_cogs_cents,
                         "projected_cogs": e.unattributed_projected_cogs_cents},
        "tenants": {t.tenant_id: figures(t) for t in e.tenants},
        "resources_without_rate": len(e.without_rate),
        "actual_through": None if e.actual is None or e.actual.through is None else e.actual.through.isoformat(),
    }


def months_doc(months: list[Period]) -> dict:
    """The months offered (as keys)."""
    return {str(m): True for m in months}


def freshness_doc(fresh: coverage.Freshness) -> dict:
    """The freshness stamps as ISO text."""
    iso = lambda instant: None if instant is None else instant.isoformat()  # noqa: E731
    return {"latest_cost_line_at": iso(fresh.latest_cost_line_at), "latest_usage_at": iso(fresh.latest_usage_at),
            "latest_invoice_at": iso(fresh.latest_invoice_at)}


def _flatten(doc: dict, prefix: tuple = ()) -> dict[tuple, object]:
    """{path of keys: value} of every leaf of a nested document."""
    flat = {}
    for key, value in doc.items():
        if isinstance(value, dict):
            flat.update(_flatten(value, (*prefix, key)))
        else:
            flat[(*prefix, key)] = value
    return flat


def disagreements(figure: str, docs: dict[str, dict]) -> list[str]:
    """Every value where the ways in `docs` (way → comparison document) differ, one line each; [] if they agree."""
    (first, reference), *others = docs.items()
    ref = _flatten(reference)
    found = []
    for way, doc in others:
        flat = _flatten(doc)
        for path in sorted(ref.keys() | flat.keys(), key=lambda p: tuple(map(str, p))):
            where = f"{figure} {' '.join(map(str, path))}"
            if path not in flat:
                found.append(f"{where}: {ref[path]!r} in {first}, missing in {way}")
            elif path not in ref:
                found.append(f"{where}: {flat[path]!r} in {way}, missing in {first}")
            elif ref[path] != flat[path]:
                found.append(f"{where}: {ref[path]!r} in {first}, {flat[path]!r} in {way}")
    return found


# --- timing -------------------------------------------------------------------------------------------------

def timed(call: Callable[[], object], repeat: int) -> tuple[object, float]:
    """(the warm-up call's result, median milliseconds of `repeat` further calls)."""
    result = call()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return result, statistics.median(times)


def peak_rss_mb() -> float:
    """This process's peak resident set size so far (Linux reports kilobytes)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


@dataclass(frozen=True)
class Figure:
    """One figure: how the project computes it, how to compare it, its raw SQL and its naive twin."""

    name: str
    project: Callable[[sa.Engine], object]  # the analytics call, on any engine (normal or raw)
    doc: Callable[[object], dict]  # its comparison document
    floor: list[tuple[str, dict]]  # the raw queries (name, binds) that give the same totals
    naive: Callable[[sa.Connection], dict] | None = None
    # what the project and the raw rows are compared on besides `doc` (the naive way does not compute it)
    raw_doc: Callable[[object], dict] | None = None


def figures(period: Period, as_of: datetime) -> list[Figure]:
    """The six figures as the dashboard calls them, with their raw queries and naive twins."""
    from benchmarks import naive

    first = period.minus(TREND_MONTHS - 1)
    month = {"period_start": period.start, "period_end": period.end}
    accrued = accrual_period(as_of)
    window = {"window_start": accrued.start_at, "window_end": as_of}
    offered = coverage.offered_window(as_of)
    return [
        Figure("margin_summary", lambda e: analytics.margin_summary(e, period, as_of), margin_doc,
               [("tenant_pnl", month), ("deployment_pnl", month)], lambda conn: naive.margin(conn, period)),
        Figure("by_kind", lambda e: analytics.by_kind(e, period), by_kind_doc,
               [("revenue_by_kind", month), ("cogs_by_kind", month)]),
        Figure("monthly_pnl", lambda e: analytics.monthly_pnl(e, period, TREND_MONTHS), monthly_doc,
               [("monthly_pnl", {"period_start": first.start, "period_end": period.end})]),
        Figure("live_accrual", lambda e: analytics.live_accrual(e, as_of), accrual_doc,
               [("catalog_items", {}), ("active_subscription_items", window), ("usage_totals", window),
                ("invoiced_tenants", {"period_start": accrued.start, "period_end": accrued.end})],
               lambda conn: naive.accrual(conn, as_of), estimate_doc),
        Figure("data_months", lambda e: coverage.data_months(e, as_of), months_doc,
               [("data_months", offered), ("usage_span", offered)]),
        Figure("freshness", lambda e: coverage.freshness(e, as_of), freshness_doc,
               [("freshness", {"end_at": offered["end_at"]})]),
    ]


def _floor(engine: sa.Engine, queries: list[tuple[str, dict]]) -> None:
    with db.connect(engine) as conn:
        for name, binds in queries:
            db.fetch_rows(conn, name, **binds)


def _naive(engine: sa.Engine, naive: Callable[[sa.Connection], dict]) -> dict:
    with db.connect(engine) as conn:
        return naive(conn)


def measure_figures(engine: sa.Engine, period: Period, as_of: datetime, repeat: int,
                    naive: bool = True) -> tuple[dict, list[str], float, dict]:
    """Per figure its times; the disagreements between the ways; peak RSS before the naive runs (MB); and each
    figure's result as the project computed it. `naive` False skips the pandas runs (minutes at scale 4)."""
    raw = db.raw(engine)
    results, docs, projects = {}, {}, {}
    plan = figures(period, as_of)
    for figure in plan:
        project, project_ms = timed(lambda: figure.project(engine), repeat)
        _, floor_ms = timed(lambda: _floor(raw, figure.floor), repeat)
        results[figure.name] = {"project_ms": round(project_ms, 1), "floor_ms": round(floor_ms, 1)}
        on_raw = figure.project(raw)
        docs[figure.name] = {"project": figure.doc(project), "raw SQL": figure.doc(on_raw)}
        if figure.raw_doc is not None:
            docs[f"{figure.name} estimate"] = {"project": figure.raw_doc(project), "raw SQL": figure.raw_doc(on_raw)}
        projects[figure.name] = project
    # The naive runs hold every raw row in memory: the process's peak before them is the project's.
    rss_before_naive = peak_rss_mb()
    for figure in plan if naive else ():
        if figure.naive is not None:
            docs[figure.name]["naive"], naive_ms = timed(lambda: _naive(raw, figure.naive), repeat)
            times = results[figure.name]
            times["naive_ms"] = round(naive_ms, 1)
            times["naive_over_project"] = round(naive_ms / max(times["project_ms"], 0.1), 1)
    for figure in plan:  # how much the agreement covers: a check over an empty figure proves little
        results[figure.name]["values_compared"] = sum(len(_flatten(docs[name]["project"])) for name in docs
                                                      if name.split()[0] == figure.name)
    found = [line for name, ways in docs.items() for line in disagreements(name, ways)]
    return results, found, rss_before_naive, projects


def largest_tenant(accrual: analytics.Accrual) -> str | None:
    """The tenant with the most subscriptions in the accrual (then the lowest id): the ?tenant= of the API timings."""
    counts: dict[str, int] = {}
    for q in accrual.quotes:
        counts[q.subscription.tenant_id] = counts.get(q.subscription.tenant_id, 0) + 1
    return min(counts, key=lambda tenant: (-counts[tenant], tenant)) if counts else None


def row_counts(engine: sa.Engine) -> dict[str, int]:
    """Exact row counts of the contract tables (COUNT(*): a few seconds at 7 M usage rows, run once)."""
    with db.connect(engine) as conn:
        counts = {r["table_name"]: int(r["row_count"]) for r in db.fetch(conn, "bench/row_counts")}
    return {table: counts[table] for table in schema.metadata.tables if table in counts}


# --- targets (reported, never asserted) ------------------------------------------------------------------------

class Target(NamedTuple):
    issue: int
    what: str
    path: tuple  # into a size's report
    limit: float
    kind: str  # "max": at most, "min": at least, "true": must hold
    unit: str
    scale: int  # the scale of the demo the target is set at (issue 7's: 1)


TARGETS = [
    # issue 7 §6, at scale 1 on PostgreSQL
    Target(7, "margin_summary project", ("figures", "margin_summary", "project_ms"), 100, "max", "ms", 1),
    Target(7, "by_kind project", ("figures", "by_kind", "project_ms"), 50, "max", "ms", 1),
    Target(7, "monthly_pnl project", ("figures", "monthly_pnl", "project_ms"), 100, "max", "ms", 1),
    Target(7, "live_accrual project", ("figures", "live_accrual", "project_ms"), 300, "max", "ms", 1),
    Target(7, "data_months project", ("figures", "data_months", "project_ms"), 20, "max", "ms", 1),
    Target(7, "freshness project", ("figures", "freshness", "project_ms"), 20, "max", "ms", 1),
    Target(7, "naive/project margin_summary", ("figures", "margin_summary", "naive_over_project"), 20, "min", "×", 1),
    Target(7, "naive/project live_accrual", ("figures", "live_accrual", "naive_over_project"), 20, "min", "×", 1),
    Target(7, "API /margin cold", ("api", "margin_ms"), 500, "max", "ms", 1),
    Target(7, "API /accrual cold", ("api", "accrual_ms"), 500, "max", "ms", 1),
    Target(7, "server peak RSS after every page", ("server_peak_rss_mb",), 400, "max", "MB", 1),
    *[Target(7, f"page {slug} cold", ("pages", slug, "cold_ms"), 4000, "max", "ms", 1)
      for slug in ("pnl", "tenants", "by-kind", "accrual", "unattributed")],
    *[Target(7, f"page {slug} warm", ("pages", slug, "warm_ms"), 2000, "max", "ms", 1)
      for slug in ("pnl", "tenants", "by-kind", "accrual", "unattributed")],
    Target(7, "bulk load with triggers / without", ("bulk_load", "ratio"), 2, "max", "×", 1),
    # issue 18, at scales 1 and 4 (bench --scale-check adds the growth from 1 to 4)
    Target(18, "every figure equal to the raw rows (agree)", ("agree",), True, "true", "", 1),
    Target(18, "live_accrual (with estimate) project", ("figures", "live_accrual", "project_ms"), 300, "max", "ms", 1),
    Target(18, "margin_summary project", ("figures", "margin_summary", "project_ms"), 100, "max", "ms", 1),
    Target(18, "API /accrual cold", ("api", "accrual_ms"), 500, "max", "ms", 1),
    Target(18, "every figure equal to the raw rows (agree)", ("agree",), True, "true", "", 4),
    Target(18, "live_accrual (with estimate) project", ("figures", "live_accrual", "project_ms"), 1200, "max", "ms", 4),
    Target(18, "API /accrual cold", ("api", "accrual_ms"), 2000, "max", "ms", 4),
    Target(18, "API /accrual?lines=false cold", ("api", "accrual_nolines_ms"), 1000, "max", "ms", 4),
    Target(18, "API /margin cold", ("api", "margin_ms"), 500, "max", "ms", 4),
    Target(18, "server peak RSS after every page and API call", ("server_peak_rss_mb",), 600, "max", "MB", 4),
]
# issue 18's growth from scale 1 to 4 (bench --scale-check): 4× the subscriptions in at most 4.5× the time
GROWTH_TARGETS = [Target(18, "live_accrual growth, scale 1 → 4", ("growth", "live_accrual_ms"), 4.5, "max", "×", 4)]


def _lookup(doc: dict, path: tuple):
    for key in path:
        if not isinstance(doc, dict) or key not in doc:
            return None
        doc = doc[key]
    return doc


def targets(report: dict, scale: int = 1, targets: list[Target] | None = None) -> list[dict]:
    """Each target set at `scale` with the measured value and met / missed (None: not measured in this run)."""
    lines = []
    for t in TARGETS if targets is None else targets:
        if t.scale != scale:
            continue
        value = _lookup(report, t.path)
        met = None if value is None else {"max": lambda: value <= t.limit, "min": lambda: value >= t.limit,
                                          "true": lambda: value is True}[t.kind]()
        limit = "yes" if t.kind == "true" else f"{'≤' if t.kind == 'max' else '≥'} {t.limit:,} {t.unit}"
        lines.append({"issue": t.issue, "scale": t.scale, "target": t.what, "limit": limit, "value": value,
                      "met": met})
    return lines


# --- the run ------------------------------------------------------------------------------------------------

def run(args) -> int:
    """Measure, compare, print; exit 1 when the ways disagree."""
    if args.repeat < 1:
        raise InputError(f"invalid --repeat {args.repeat}: at least 1")
    if args.bulk_load is not None and args.bulk_load < 0:
        raise InputError(f"invalid --bulk-load {args.bulk_load}: a number of rows, 0 to skip")
    if args.scale_check:
        from arcadia import scale_check

        return scale_check.run(args)
    scale_check_only = [f"--{name.replace('_', '-')}" for name in ("scales", "scale_urls", "now", "keep")
                        if getattr(args, name) not in (None, False)]
    if scale_check_only:
        raise InputError(f"{', '.join(scale_check_only)} go(es) with --scale-check")
    as_of = parse_instant(args.as_of) if args.as_of else datetime.now(UTC)
    # Not a reader engine: the naive way reads millions of raw rows, longer than the dashboard's
    # statement timeout allows. The bench still only reads.
    engine = get_engine(args.database_url, reader=False)
    url = engine.url.render_as_string(hide_password=False)
    period = (Period.parse(args.period) if args.period
              else coverage.default_month(coverage.data_months(engine, as_of), as_of))
    dialect = engine.dialect.name

    report = {"database": db.describe(url), "dialect": dialect, "period": str(period),
              "as_of": as_of.isoformat(), "repeat": args.repeat, "cpus": os.cpu_count(),
              # Everything shares the machine: a busy one shows in every time below.
              "load_average_at_start": round(os.getloadavg()[0], 2)}
    report["figures"], found, rss_before_naive, projects = measure_figures(engine, period, as_of, args.repeat)
    report["agree"] = not found
    report["disagreements"] = found
    report["peak_rss_mb"] = peak_rss_mb()
    report["peak_rss_mb_before_naive"] = rss_before_naive
    report["row_counts"] = row_counts(engine)
    report["row_counts_method"] = "exact (COUNT(*))"
    report["tenant"] = largest_tenant(projects["live_accrual"])
    report["accrual_warnings"] = list(projects["live_accrual"].warnings)  # e.g. why there is no estimate

    pages = Path(CHROMIUM).exists() if args.pages is None else args.pages
    report.update(_pages(url, period, as_of, report["tenant"]) if pages else
                  {"pages": None, "api": None, "server_peak_rss_mb": None,
                   "pages_note": "not measured (--no-pages or no Chromium)"})
    bulk_rows = args.bulk_load if args.bulk_load is not None else (DEFAULT_BULK_ROWS if dialect == "postgresql" else 0)
    report["bulk_load"] = _bulk_load(url, dialect, bulk_rows)
    report["load_average_at_end"] = round(os.getloadavg()[0], 2)
    report["targets_at"] = args.targets_at
    report["targets"] = targets(report, args.targets_at)

    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print_report(report)
    for line in found:
        print(f"disagreement: {line}", file=sys.stderr)
    return 0 if not found else 1


def _pages(url: str, period: Period, as_of: datetime, tenant: str | None) -> dict:
    from benchmarks import pages

    try:
        return pages.measure(url, period, as_of, tenant)
    except Exception as exc:  # a page timing that fails is reported, it does not end the bench
        return {"pages": None, "api": None, "server_peak_rss_mb": None,
                "pages_note": f"not measured: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"}


def _bulk_load(url: str, dialect: str, rows: int) -> dict | None:
    if rows == 0:
        return None
    if dialect != "postgresql":
        return {"rows": rows, "note": "skipped: the bulk load measures PostgreSQL triggers"}
    from benchmarks import bulk_load

    return bulk_load.measure(url, rows)


def _ms(value) -> str:
    return "—" if value is None else f"{value:,.1f}"


def print_report(report: dict) -> None:
    """The readable table."""
    print(f"Benchmark on {report['database']}: period {report['period'][:7]}, accrual as of {report['as_of']}, "
          f"median of {report['repeat']} after a warm-up; {report['cpus']} CPUs, load average "
          f"{report['load_average_at_start']} at start\n")
    print(f"{'figure':16s} {'project ms':>11s} {'floor ms':>10s} {'naive ms':>10s} {'naive/project':>14s}")
    for name in FIGURES:
        f = report["figures"][name]
        ratio = f.get("naive_over_project")
        print(f"{name:16s} {_ms(f['project_ms']):>11s} {_ms(f['floor_ms']):>10s} {_ms(f.get('naive_ms')):>10s} "
              f"{'—' if ratio is None else f'{ratio:,.1f}×':>14s}")
    print()
    print("agree: yes (project, raw SQL and naive, to the cent; the accrual's estimate: project and raw SQL)"
          if report["agree"]
          else f"agree: NO — {len(report['disagreements'])} difference(s), first: {report['disagreements'][0]}")
    for warning in report["accrual_warnings"]:
        print(f"the accrual warns: {warning}")
    print(f"peak_rss_mb: {report['peak_rss_mb']} (before the naive runs: {report['peak_rss_mb_before_naive']})")
    print(f"rows ({report['row_counts_method']}): "
          + ", ".join(f"{table} {count:,}" for table, count in report["row_counts"].items()))
    if report.get("pages"):
        print("\npage (Chromium)      cold ms    warm ms   (script run over: cold, warm)")
        for slug, t in report["pages"].items():
            print(f"{slug:16s} {_ms(t['cold_ms']):>11s} {_ms(t['warm_ms']):>10s}   "
                  f"({_ms(t['cold_run_over_ms'])}, {_ms(t['warm_run_over_ms'])})" + (f"  {t['error']}" if "error" in t else ""))
        print_api(report)
    else:
        print(f"pages: {report.get('pages_note')}")
    bulk = report["bulk_load"]
    if bulk and "ratio" in bulk:
        print(f"bulk load of {bulk['rows']:,} usage rows: contract tables only {_ms(bulk['contract_only_ms'])} ms, "
              f"with pre-aggregates and triggers {_ms(bulk['with_preaggregates_ms'])} ms ({bulk['ratio']}×)")
    elif bulk:
        print(f"bulk load: {bulk['note']}")
    print(targets_text(report["targets"]))


API_NAMES = {"margin": "/margin", "accrual": "/accrual", "accrual_nolines": "/accrual?lines=false"}


def print_api(report: dict) -> None:
    """The API's cold times and response sizes (and for one tenant), and the server's peak RSS."""
    api = report.get("api") or {}
    tenant = report.get("tenant")
    for name, path in API_NAMES.items():
        one = f"{name}_tenant"
        print(f"API {path:22s} cold {_ms(api.get(f'{name}_ms')):>9s} ms {_bytes(api.get(f'{name}_bytes')):>10s}"
              + (f"   ?tenant= {_ms(api.get(f'{one}_ms')):>7s} ms {_bytes(api.get(f'{one}_bytes')):>10s}"
                 if tenant else ""))
        for key in (name, one):
            if f"{key}_error" in api:
                print(f"  API {key} failed: {api[f'{key}_error']}")
    if tenant:
        print(f"  (?tenant={tenant}: the tenant with the most subscriptions, on a warm server)")
    print(f"server peak RSS after every page and API call: {report.get('server_peak_rss_mb')} MB"
          + (f" ({report['server_rss_note']})" if report.get("server_rss_note") else ""))


def _bytes(size) -> str:
    return "—" if size is None else f"{size / 1e6:,.2f} MB"


def targets_text(lines: list[dict]) -> str:
    """Each target met or missed, by issue and scale."""
    out = []
    for issue, scale in dict.fromkeys((t["issue"], t["scale"]) for t in lines):
        out.append(f"\ntargets of issue {issue} (scale {scale} on PostgreSQL):")
        for t in lines:
            if (t["issue"], t["scale"]) == (issue, scale):
                state = {True: "met", False: "MISSED", None: "not measured"}[t["met"]]
                value = "" if t["value"] is None or isinstance(t["value"], bool) else f" {t['value']:,}"
                out.append(f"  {t['target']:46s} {t['limit']:>12s} {state}{value}")
    return "\n".join(out)
