"""Bulk-load cost of the pre-aggregate triggers: the same usage load with and without them (PostgreSQL).

In a temporary database on the benchmarked server (created and dropped here),
the schema is made twice: contract tables only (`schema.metadata.create_all`),
then with pre-aggregates and triggers (`schema.create_all`). Each time the same
subscriptions and catalog are written, then the timed part: ROWS usage rows in
one INSERT … SELECT generate_series (queries/bench/bulk_*.sql), committed.
Issue 7 asks for at most 2× the load without triggers.
"""

from __future__ import annotations

import time
import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from arcadia import schema
from arcadia.db import QUERIES, engine_for
from arcadia.period import UTC

MONTH_START = datetime(2026, 11, 1, tzinfo=UTC)
ROWS_PER_SUBSCRIPTION = 1000  # two items × 500 hourly readings: a month's worth, as in the scale demo


def _run(conn: sa.Connection, name: str, **binds) -> None:
    conn.execute(sa.text((QUERIES / "bench" / f"{name}.sql").read_text()), binds)


def _load(url: str, rows: int, create) -> float:
    """Create the schema with `create`, write the subscriptions, then time the usage load (ms)."""
    engine = sa.create_engine(url)
    try:
        create(engine)
        subscriptions = max(1, min(10_000, rows // ROWS_PER_SUBSCRIPTION))
        with engine.begin() as conn:
            _run(conn, "bulk_catalog")
            _run(conn, "bulk_subscriptions", subscriptions=subscriptions, started_at=MONTH_START)
            _run(conn, "bulk_subscription_items", subscriptions=subscriptions)
        started = time.perf_counter()
        with engine.begin() as conn:
            _run(conn, "bulk_usage", rows=rows, subscriptions=subscriptions, month_start=MONTH_START)
        return (time.perf_counter() - started) * 1000
    finally:
        engine.dispose()


def measure(url: str, rows: int) -> dict:
    """Both load times (ms) and their ratio, or a note saying why the load was skipped."""
    server = engine_for(url)
    times = {}
    for label, create in (("contract_only_ms", schema.metadata.create_all), ("with_preaggregates_ms", schema.create_all)):
        name = f"arcadia_bench_load_{uuid.uuid4().hex[:10]}"
        quoted = server.dialect.identifier_preparer.quote(name)
        try:
            with server.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql(f"CREATE DATABASE {quoted}")
        except sa.exc.DBAPIError as exc:
            reason = str(exc.orig).strip().splitlines()[0] if exc.orig else "refused"
            return {"rows": rows, "note": f"skipped: cannot create a temporary database ({reason})"}
        try:
            times[label] = round(_load(make_url(url).set(database=name).render_as_string(hide_password=False),
                                       rows, create), 1)
        finally:
            with server.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {quoted} WITH (FORCE)")
    ratio = round(times["with_preaggregates_ms"] / max(times["contract_only_ms"], 0.1), 2)
    return {"rows": rows, **times, "ratio": ratio}
