"""Database access: which database, one engine per URL, named SQL files with named binds."""

from __future__ import annotations

import os
from datetime import date, datetime
from functools import cache
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from arcadia.errors import ArcadiaError, DatabaseUnavailable
from arcadia.period import UTC

PROJECT_ROOT = Path(__file__).resolve().parent.parent
QUERIES = PROJECT_ROOT / "queries"
DEMO_PATH = PROJECT_ROOT / "data" / "arcadia-demo.sqlite"
DEMO_URL = f"sqlite:///{DEMO_PATH}"
URL_ENV = "ARCADIA_DATABASE_URL"


def database_url(explicit: str | None = None) -> str:
    """The URL to use: explicit, else $ARCADIA_DATABASE_URL, else the embedded demo."""
    url = explicit or os.environ.get(URL_ENV) or DEMO_URL
    if url.startswith(("postgres://", "postgresql://")):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def is_demo(url: str) -> bool:
    return database_url(url) == DEMO_URL


def describe(url: str) -> str:
    """A URL safe to show: no password; the demo named as such."""
    if is_demo(url):
        return "embedded demo (SQLite)"
    try:
        parsed = make_url(url)
    except sa.exc.ArgumentError:
        return "an unparsable database URL"
    if parsed.get_backend_name() == "sqlite":
        return f"SQLite {parsed.database}"
    return f"PostgreSQL {parsed.host or 'localhost'}:{parsed.port or 5432}/{parsed.database}"


# Every PostgreSQL session: JIT off (every figure is a short query over the pre-aggregates, and JIT
# would spend a quarter of a second compiling a plan that runs in milliseconds), custom plans.
SESSION_OPTIONS = "-c jit=off -c plan_cache_mode=force_custom_plan"
# The dashboard's, the API's and the CLI's figures only read: their sessions cannot write, and a
# locked table or a stalled query ends in an error they show, not a hang (see README, Reliability).
READER_OPTIONS = ("-c default_transaction_read_only=on -c statement_timeout=30s -c lock_timeout=5s "
                  "-c idle_in_transaction_session_timeout=60s")
POOL_WAIT_SECONDS = 10


def engine_for(url: str, reader: bool = False) -> sa.Engine:
    """One engine per URL (and role) per process: a pool, not a connection.

    `reader=True` on PostgreSQL: read-only sessions with statement, lock and idle timeouts, and a
    bounded wait for a pooled connection; for the figures. Writers (db init, demo, rollup) use the default.
    """
    return _engine(url, bool(reader))


def forget_engines() -> None:
    """Drop every cached engine (a rebuilt demo file, a dropped test database)."""
    _engine.cache_clear()


@cache
def _engine(url: str, reader: bool) -> sa.Engine:
    try:
        parsed = make_url(url)
    except sa.exc.ArgumentError:
        raise ArcadiaError("the database URL could not be parsed") from None
    if parsed.get_backend_name() == "sqlite":
        return sa.create_engine(url)
    options = f"{SESSION_OPTIONS} {READER_OPTIONS}" if reader else SESSION_OPTIONS
    return sa.create_engine(url, pool_pre_ping=True, pool_timeout=POOL_WAIT_SECONDS,
                            connect_args={"connect_timeout": 5, "options": options})


def connect(engine: sa.Engine):
    """A connection, with 'database unreachable' or 'every connection busy' turned into DatabaseUnavailable."""
    where = describe(str(engine.url.render_as_string(False)))
    try:
        return engine.connect()
    except sa.exc.OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else "connection failed"
        raise DatabaseUnavailable(f"cannot reach the database ({where}): {reason}") from None
    except sa.exc.TimeoutError:
        raise DatabaseUnavailable(
            f"the database ({where}) is busy: every pooled connection stayed in use for {POOL_WAIT_SECONDS} s"
        ) from None


RAW_OPTION = "arcadia_raw"


def raw(engine: sa.Engine) -> sa.Engine:
    """The same database (and pool), every figure computed from the raw contract rows.

    The project's own queries on PostgreSQL read the pre-aggregates (queries/preagg/);
    this engine ignores them: the raw-row computation the pre-aggregates must equal.
    """
    return engine.execution_options(**{RAW_OPTION: True})


def uses_preaggregates(conn: sa.Connection) -> bool:
    """Whether this connection's figures come from the pre-aggregates (PostgreSQL, not raw)."""
    return conn.dialect.name == "postgresql" and not conn.get_execution_options().get(RAW_OPTION, False)


@cache
def _sql_text(dialect: str, name: str, preaggregates: bool) -> str:
    folders = (["preagg"] if preaggregates else []) + [dialect, ""]
    for folder in folders:
        path = QUERIES / folder / f"{name}.sql"
        if path.exists():
            return path.read_text()
    raise FileNotFoundError(f"no query named {name!r} for {dialect}")


def _bind(dialect: str, value):
    """Dates and instants as each database compares them (SQLite: ISO text)."""
    if dialect != "sqlite":
        return value
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.") + f"{value.microsecond // 1000:03d}"
    if isinstance(value, date):
        return value.isoformat()
    return value


def fetch(conn: sa.Connection, name: str, **binds) -> list[sa.RowMapping]:
    """Run queries/[preagg/|<dialect>/]<name>.sql with named binds; rows as mappings."""
    return list(_execute(conn, name, binds).mappings())


def fetch_rows(conn: sa.Connection, name: str, **binds) -> list[sa.Row]:
    """Like `fetch`, rows as tuples in the query's column order (for the hot paths: no per-row mapping)."""
    return _execute(conn, name, binds).all()


def _execute(conn: sa.Connection, name: str, binds: dict) -> sa.CursorResult:
    dialect = conn.dialect.name
    statement = sa.text(_sql_text(dialect, name, uses_preaggregates(conn)))
    try:
        return conn.execute(statement, {key: _bind(dialect, value) for key, value in binds.items()})
    except (sa.exc.OperationalError, sa.exc.ProgrammingError) as exc:
        reason = str(exc.orig).strip().splitlines()[0]
        if "no such table" in reason or "does not exist" in reason:
            raise ArcadiaError(
                f"the database has no Arcadia tables ({reason}): run `python -m arcadia db init`"
            ) from None
        raise DatabaseUnavailable(f"the database failed during query {name}: {reason}") from None
