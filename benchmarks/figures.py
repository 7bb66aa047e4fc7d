"""Benchmark: how long the figures take on the demo, on SQLite and PostgreSQL. Prints, never asserts.

    .venv/bin/python -m benchmarks.figures [--pg postgresql://postgres@127.0.0.1:5432/postgres]

Builds the demo (as of 2026-11-27T01:00Z) in a temporary SQLite file and in a
temporary PostgreSQL database (dropped afterwards), then times each analytics
call (best of 5, cold first call shown apart) and each page's first render
through Streamlit's AppTest on the SQLite demo.
"""

from __future__ import annotations

import argparse
import tempfile
import time
import uuid
from pathlib import Path

import psycopg

from arcadia import analytics, coverage
from arcadia.db import engine_for
from arcadia.demo import build_demo
from arcadia.period import Period, parse_instant

NOW = "2026-11-27T01:00:00Z"
OCTOBER = Period.parse("2026-10-01")


def timed(fn, repeat: int = 5) -> tuple[float, float]:
    """(first call, best of the rest) in milliseconds."""
    times = []
    for _ in range(repeat + 1):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return times[0], min(times[1:])


def figures(label: str, url: str) -> None:
    started = time.perf_counter()
    counts = build_demo(url, NOW)
    print(f"\n{label}: demo built in {time.perf_counter() - started:.2f} s "
          f"({counts['usage_records']} usage records, {counts['cloud_cost_lines']} cost lines)")
    engine = engine_for(url)
    calls = {
        "margin_summary(Oct 2026)": lambda: analytics.margin_summary(engine, OCTOBER),
        "by_kind(Oct 2026)": lambda: analytics.by_kind(engine, OCTOBER),
        "monthly_pnl(12 months)": lambda: analytics.monthly_pnl(engine, OCTOBER),
        "live_accrual(now)": lambda: analytics.live_accrual(engine, parse_instant(NOW)),
        "data_months": lambda: coverage.data_months(engine, parse_instant(NOW)),
    }
    for name, call in calls.items():
        first, best = timed(call)
        print(f"  {name:28s} first {first:7.1f} ms   best {best:7.1f} ms")


def pages(url: str) -> None:
    import os

    import streamlit as st
    from streamlit.testing.v1 import AppTest

    os.environ["ARCADIA_DATABASE_URL"] = url
    app = str(Path(__file__).resolve().parent.parent / "app.py")
    print("\nFirst render per page (AppTest, SQLite demo, cold cache; target < 2 s in a browser):")
    for page in ["pages/pnl.py", "pages/tenants.py", "pages/by_kind.py", "pages/accrual.py", "pages/unattributed.py"]:
        st.cache_data.clear()
        at = AppTest.from_file(app, default_timeout=120)
        at.secrets["auth"] = {"redirect_uri": "http://localhost/oauth2callback", "cookie_secret": "x" * 32,
                              "client_id": "c", "client_secret": "s",
                              "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration"}
        at.user = {"is_logged_in": True, "email": "ops@arcadia.test", "roles": ["platform_admin"]}
        at.query_params["period"] = "2026-10"
        started = time.perf_counter()
        at.run()  # app.py's first run renders the default page (P&L) and fills the shared caches
        landing = time.perf_counter() - started
        at.switch_page(page)
        at.query_params["period"] = "2026-10"
        started = time.perf_counter()
        at.run()
        print(f"  {page:24s} {time.perf_counter() - started:6.2f} s   (after a cold landing of {landing:.2f} s)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        sqlite_url = f"sqlite:///{Path(tmp) / 'bench.sqlite'}"
        figures("SQLite", sqlite_url)
        name = f"arcadia_bench_{uuid.uuid4().hex[:8]}"
        try:
            with psycopg.connect(args.pg, autocommit=True, connect_timeout=5) as admin:
                admin.execute(f'CREATE DATABASE "{name}"')
        except psycopg.OperationalError as exc:
            print(f"\nPostgreSQL skipped: {exc}")
        else:
            try:
                pg_url = args.pg.replace("postgresql://", "postgresql+psycopg://", 1).rsplit("/", 1)[0] + f"/{name}"
                figures("PostgreSQL", pg_url)
                engine_for(pg_url).dispose()
            finally:
                with psycopg.connect(args.pg, autocommit=True) as admin:
                    admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        pages(sqlite_url)


if __name__ == "__main__":
    main()
