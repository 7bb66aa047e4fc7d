"""`python -m arcadia bench --scale-check`: the figures at two sizes of the scale demo (issue 18).

Builds a temporary scale-demo database at each of two scales (default 1 and 4) on the PostgreSQL server of
--database-url, as of one fixed instant (so every run measures the same rows), or takes databases already
built (--scale-urls). On each: every figure timed as the dashboard calls it and on the raw rows (median of
--repeat after a warm-up), the project and the raw rows compared to the cent (the accrual's estimate
included), the API cold with its response sizes (/margin, /accrual, /accrual?lines=false, and each for
the tenant with the most subscriptions), and a server's peak RSS after every page and API call. Then the
growth from the first size to the second and issue 18's targets met or missed. The pandas (naive) way is not
run: at scale 4 it takes many minutes and gigabytes. Databases it built are dropped unless --keep.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import uuid
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from arcadia import bench, coverage, db, scale_demo
from arcadia.errors import InputError
from arcadia.period import Period, parse_instant

DEFAULT_NOW = "2026-12-05T12:00:00Z"  # the month's 5th: a daily preview in place, new resources rated by it
NAIVE_NOTE = "naive (pandas) not run: minutes and gigabytes at scale 4; the plain bench runs it"
HISTORY_NOTE = ("'flat in months of history' is not measured here: both sizes hold the same 12 months; "
                "the figures read per-month pre-aggregates, whose size does not grow with older months")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The --scale-check flags (on `bench`)."""
    parser.add_argument("--scale-check", action="store_true",
                        help="build temporary scale-demo databases at --scales on the PostgreSQL server of "
                             "--database-url (or take --scale-urls), time every figure and the API on each, and "
                             "print both sizes, the growth and issue 18's targets (no naive runs)")
    parser.add_argument("--scales", metavar="N,M", help="with --scale-check: the two scales (default 1,4)")
    parser.add_argument("--scale-urls", metavar="URL,URL",
                        help="with --scale-check: databases already built at --scales, in that order, instead of "
                             "building them (nothing is dropped)")
    parser.add_argument("--now", help=f"with --scale-check: the scale demo's now, and the accrual's instant unless "
                                      f"--as-of (default {DEFAULT_NOW})")
    parser.add_argument("--keep", action="store_true",
                        help="with --scale-check: keep the databases it builds (their names are printed)")


def _scales(text: str | None) -> list[Decimal]:
    parts = (text or "1,4").split(",")
    if len(parts) != 2:
        raise InputError(f"invalid --scales {text!r}: two scales, e.g. 1,4")
    try:
        scales = [scale_demo.check_scale(part.strip()) for part in parts]
    except InputError as exc:
        raise InputError(f"invalid --scales {text!r}: {str(exc).split(': ', 1)[-1]}") from None
    if scales[0] >= scales[1]:
        raise InputError(f"invalid --scales {text!r}: the smaller first, e.g. 1,4")
    return scales


def _label(scale: Decimal) -> str:
    return f"{scale.normalize():f}"


def run(args) -> int:
    """Build (or take) both databases, measure each, print; exit 1 when a figure disagrees with the raw rows."""
    started = time.perf_counter()
    scales = _scales(args.scales)
    now = parse_instant(args.now or DEFAULT_NOW)
    as_of = parse_instant(args.as_of) if args.as_of else now
    period = Period.parse(args.period) if args.period else None
    urls = None
    if args.scale_urls:
        urls = [db.database_url(url.strip()) for url in args.scale_urls.split(",")]
        if len(urls) != len(scales):
            raise InputError(f"--scale-urls names {len(urls)} database(s): give one per scale ({len(scales)})")
    else:
        server = db.database_url(args.database_url)
        if make_url(server).get_backend_name() != "postgresql":
            raise InputError("--scale-check builds its databases on a PostgreSQL server: give --database-url "
                             "postgresql://…/any-database-on-it (or --scale-urls with databases already built)")
    # A browser renders every page before the server's RSS is read; page timings only with --pages.
    chromium = Path(bench.CHROMIUM).exists() and args.pages is not False
    report = {"now": now.isoformat(), "as_of": as_of.isoformat(), "repeat": args.repeat, "cpus": os.cpu_count(),
              "load_average_at_start": round(os.getloadavg()[0], 2), "scales": [_label(s) for s in scales],
              "naive": NAIVE_NOTE, "history": HISTORY_NOTE, "sizes": {}}
    for i, scale in enumerate(scales):
        label = _label(scale)
        if urls is not None:
            report["sizes"][label] = measure(urls[i], period, as_of, args.repeat, chromium, args.pages)
            continue
        url, build_s, counts = _build(server, scale, now)
        try:
            report["sizes"][label] = {"build_s": build_s, "database": make_url(url).database,
                                      **measure(url, period, as_of, args.repeat, chromium, args.pages)}
        finally:
            if not args.keep:
                _drop(server, url)
    first, second = (report["sizes"][_label(s)] for s in scales)
    report["growth"] = growth(first, second)
    issue_18 = [t for t in bench.TARGETS if t.issue == 18]
    report["targets"] = [*bench.targets(first, 1, issue_18), *bench.targets(second, 4, issue_18),
                         *bench.targets(report, 4, bench.GROWTH_TARGETS)]
    if scales != [1, 4]:
        report["targets_note"] = "issue 18's targets are set at scales 1 and 4: shown against these sizes as given"
    report["agree"] = first["agree"] and second["agree"]
    report["load_average_at_end"] = round(os.getloadavg()[0], 2)
    report["total_s"] = round(time.perf_counter() - started, 1)
    print(json.dumps(report, indent=2) if args.json else text(report))
    for label, size in report["sizes"].items():
        for line in size["disagreements"]:
            print(f"disagreement (scale {label}): {line}", file=sys.stderr)
    return 0 if report["agree"] else 1


def measure(url: str, period: Period | None, as_of: datetime, repeat: int, chromium: bool,
            page_timings: bool | None) -> dict:
    """One size: every figure (project and raw floor; agreement with the raw rows), row counts, the API and the
    server's RSS (pages cold/warm too with --pages)."""
    engine = db.engine_for(url)
    try:
        month = period or coverage.default_month(coverage.data_months(engine, as_of), as_of)
        figures, found, rss, projects = bench.measure_figures(engine, month, as_of, repeat, naive=False)
        size = {"period": str(month), "figures": figures, "agree": not found, "disagreements": found,
                "bench_peak_rss_mb": rss, "row_counts": bench.row_counts(engine),
                "tenant": bench.largest_tenant(projects["live_accrual"])}
        accrual = projects["live_accrual"]
        size["accrual_warnings"] = list(accrual.warnings)  # e.g. why there is no estimate
        size["accrual_subscriptions"] = len(accrual.quotes)
        size["accrual_lines"] = sum(len(q.lines) for q in accrual.quotes)
    finally:
        engine.dispose()
    from benchmarks import pages

    try:
        if page_timings:
            size.update(pages.measure(url, month, as_of, size["tenant"]))
        else:
            size.update(pages.measure_api(url, month, as_of, size["tenant"], pages=chromium))
    except Exception as exc:  # a server that fails is reported, it does not end the check
        size.update({"api": None, "server_peak_rss_mb": None,
                     "pages_note": f"not measured: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"})
    return size


def growth(first: dict, second: dict) -> dict:
    """Second size ÷ first: each figure's project time, each API time and size, the accrual's subscriptions."""
    def ratio(a, b):
        return None if a in (None, 0) or b is None else round(b / a, 2)

    out = {f"{name}_ms": ratio(first["figures"][name]["project_ms"], second["figures"][name]["project_ms"])
           for name in bench.FIGURES}
    api1, api2 = first.get("api") or {}, second.get("api") or {}
    for key in sorted(api2):
        if key.endswith(("_ms", "_bytes")):
            out[f"api_{key}"] = ratio(api1.get(key), api2.get(key))
    out["accrual_subscriptions"] = ratio(first["accrual_subscriptions"], second["accrual_subscriptions"])
    out["usage_records"] = ratio(first["row_counts"].get("usage_records"), second["row_counts"].get("usage_records"))
    return out


def _build(server: str, scale: Decimal, now: datetime) -> tuple[str, float, dict]:
    """A new database on the server with the scale demo: (its URL, build seconds, row counts)."""
    name = f"arcadia_scalecheck_{_label(scale).replace('.', '_')}_{uuid.uuid4().hex[:8]}"
    admin = db.engine_for(server)
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {admin.dialect.identifier_preparer.quote(name)}")
    url = make_url(server).set(database=name).render_as_string(hide_password=False)
    started = time.perf_counter()
    try:
        counts = scale_demo.build(url, float(scale), now)
    except BaseException:
        _drop(server, url)
        raise
    return url, round(time.perf_counter() - started, 1), counts


def _drop(server: str, url: str) -> None:
    db.engine_for(url).dispose()
    db.forget_engines()
    admin = db.engine_for(server)
    name = admin.dialect.identifier_preparer.quote(make_url(url).database)
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


# --- the readable table -------------------------------------------------------------------------------------

def _cell(value, unit: str = "") -> str:
    if value is None:
        return "—"
    if unit == "MB":
        return f"{value / 1e6:,.2f} MB"
    return f"{value:,.1f}{unit}" if isinstance(value, float) else f"{value:,}{unit}"


def text(report: dict) -> str:
    """Both sizes side by side, the growth, and the targets."""
    (a, first), (b, second) = report["sizes"].items()
    g = report["growth"]
    lines = [f"Scale check: scale {a} and {b} as of {report['now']} (accrual as of {report['as_of']}), median of "
             f"{report['repeat']} after a warm-up; {report['cpus']} CPUs, load average "
             f"{report['load_average_at_start']} at start, {report['load_average_at_end']} at end; "
             f"{report['total_s']:,.0f} s in all", ""]
    lines.append(f"{'':34s} {'scale ' + a:>14s} {'scale ' + b:>14s} {'growth':>9s}")

    def row(what: str, x, y, ratio, unit: str = "") -> None:
        lines.append(f"{what:34s} {_cell(x, unit):>14s} {_cell(y, unit):>14s} {_cell(ratio, '×'):>9s}")

    if "build_s" in first:
        row("build (demo --scale), s", first["build_s"], second["build_s"],
            round(second["build_s"] / first["build_s"], 2) if first["build_s"] else None)
    for table in ("tenants", "cloud_deployments", "subscriptions", "usage_records", "cloud_cost_lines"):
        x, y = first["row_counts"].get(table), second["row_counts"].get(table)
        row(f"rows: {table}", x, y, round(y / x, 2) if x and y else None)
    row("accrual: subscriptions", first["accrual_subscriptions"], second["accrual_subscriptions"],
        g["accrual_subscriptions"])
    row("accrual: lines", first["accrual_lines"], second["accrual_lines"], None)
    for name in bench.FIGURES:
        row(f"{name} project ms", first["figures"][name]["project_ms"], second["figures"][name]["project_ms"],
            g[f"{name}_ms"])
        row(f"{name} raw floor ms", first["figures"][name]["floor_ms"], second["figures"][name]["floor_ms"], None)
    api1, api2 = first.get("api") or {}, second.get("api") or {}
    for name, path in bench.API_NAMES.items():
        for suffix, where in (("", ""), ("_tenant", " ?tenant=")):
            key = f"{name}{suffix}"
            cold = " cold" if not suffix else ""
            row(f"API {path}{where}{cold} ms", api1.get(f"{key}_ms"), api2.get(f"{key}_ms"), g.get(f"api_{key}_ms"))
            row(f"API {path}{where} bytes", api1.get(f"{key}_bytes"), api2.get(f"{key}_bytes"),
                g.get(f"api_{key}_bytes"), "MB")
    row("server peak RSS, MB", first.get("server_peak_rss_mb"), second.get("server_peak_rss_mb"), None)
    row("bench peak RSS, MB", first["bench_peak_rss_mb"], second["bench_peak_rss_mb"], None)
    lines.append("")
    lines.append(f"?tenant=: scale {a} {first['tenant']}, scale {b} {second['tenant']} (the most subscriptions; "
                 "timed on a warm server)")
    for label, size in report["sizes"].items():
        if "pages_note" in size:
            lines.append(f"scale {label}: API and server {size['pages_note']}")
        elif size.get("server_rss_note"):
            lines.append(f"scale {label}: server RSS {size['server_rss_note']}")
        if size.get("pages"):
            lines.append(f"scale {label} pages (cold, warm ms): " + ", ".join(
                f"{slug} {_cell(t['cold_ms'])}, {_cell(t['warm_ms'])}" for slug, t in size["pages"].items()))
    for label, size in report["sizes"].items():
        lines.extend(f"scale {label}: the accrual warns: {warning}" for warning in size.get("accrual_warnings", ()))
    lines.append("agree: " + ", ".join(
        f"scale {label} " + ("yes" if size["agree"] else f"NO ({len(size['disagreements'])}: "
                                                       f"{size['disagreements'][0]})")
        for label, size in report["sizes"].items()) + " (project and raw rows, to the cent, estimate included)")
    lines.append(report["naive"])
    lines.append(report["history"])
    if report.get("targets_note"):
        lines.append(report["targets_note"])
    lines.append(bench.targets_text(report["targets"]))
    return "\n".join(lines)
