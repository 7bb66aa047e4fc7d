"""Database access: which database, one engine per URL, named SQL files with named binds."""

from __future__ import annotations

import math
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from functools import cache
from pathlib import Path
from urllib.parse import quote, unquote

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from arcadia import deadline
from arcadia.errors import ArcadiaError, DatabaseTimeout, DatabaseUnavailable, DataError
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
        return f"SQLite {_sqlite_path(parsed)}"
    return f"PostgreSQL {parsed.host or 'localhost'}:{parsed.port or 5432}/{parsed.database}"


# Every PostgreSQL session: JIT off (every figure is a short query over the pre-aggregates, and JIT
# would spend a quarter of a second compiling a plan that runs in milliseconds), custom plans.
SESSION_OPTIONS = "-c jit=off -c plan_cache_mode=force_custom_plan"
STATEMENT_TIMEOUT_ENV = "ARCADIA_STATEMENT_TIMEOUT"
DEFAULT_STATEMENT_TIMEOUT = 15.0
LOCK_TIMEOUT_SECONDS = 5.0
WRITE_LOCK_TIMEOUT_SECONDS = 30.0  # importer, sync, rollup: behind a held lock, fail after this (nothing written)
POOL_WAIT_SECONDS = 5
POOL_SIZE, POOL_OVERFLOW = 10, 10


def statement_timeout(env=None) -> float:
    """Seconds a figure's statement may run ($ARCADIA_STATEMENT_TIMEOUT: 15, 2.5s or 500ms; default 15)."""
    raw = (os.environ if env is None else env).get(STATEMENT_TIMEOUT_ENV, "").strip()
    if not raw:
        return DEFAULT_STATEMENT_TIMEOUT
    match = re.fullmatch(r"(\d+(?:\.\d+)?)\s*(ms|s)?", raw)
    seconds = float(match[1]) / (1000 if match[2] == "ms" else 1) if match else 0
    if not 0.1 <= seconds <= 86400:
        raise ArcadiaError(f"{STATEMENT_TIMEOUT_ENV}={raw!r} is not a timeout: give seconds (15, 2.5s) or "
                           "milliseconds (500ms), from 100 ms to a day")
    return seconds


def engine_for(url: str, reader: bool = False) -> sa.Engine:
    """One engine per URL (and role) per process: a pool, not a connection.

    `reader=True`: the figures' engine. Its sessions cannot write (PostgreSQL read-only transactions,
    SQLite opened `mode=ro`) and its work is bounded: a statement and a lock timeout on the server,
    TCP keepalives, a short wait for a pooled connection, and a deadline (the statement timeout plus
    a second) after which `connect` cuts a stalled connection itself. Writers (db init, demo, rollup,
    bench) use the default engine.
    """
    return _engine(url, bool(reader), statement_timeout() if reader else 0.0)


def forget_engines() -> None:
    """Drop every cached engine (a rebuilt demo file, a dropped test database, a new timeout)."""
    _engine.cache_clear()


@cache
def _engine(url: str, reader: bool, timeout: float) -> sa.Engine:
    try:
        parsed = make_url(url)
    except sa.exc.ArgumentError:
        raise ArcadiaError("the database URL could not be parsed") from None
    if parsed.get_backend_name() == "sqlite":
        if not reader:
            return sa.create_engine(url)
        # A connection per use (no pool): a demo file swapped in by `demo --reset` is seen by the next figure.
        engine = sa.create_engine(_read_only_sqlite(parsed), poolclass=sa.pool.NullPool)
    elif not reader:  # a writer waits WRITE_LOCK_TIMEOUT_SECONDS for a lock at most, then fails and writes nothing
        return sa.create_engine(url, pool_pre_ping=True, pool_timeout=POOL_WAIT_SECONDS,
                                connect_args={"connect_timeout": 5, "options": f"{SESSION_OPTIONS} -c lock_timeout="
                                              f"{round(WRITE_LOCK_TIMEOUT_SECONDS * 1000)}"})
    else:
        milliseconds = round(timeout * 1000)
        options = (f"{SESSION_OPTIONS} -c default_transaction_read_only=on -c statement_timeout={milliseconds} "
                   f"-c lock_timeout={round(min(LOCK_TIMEOUT_SECONDS, timeout) * 1000)} "
                   "-c idle_in_transaction_session_timeout=60000")
        # Repeatable read: a figure read in several statements (tenants, then deployments) sees one snapshot,
        # never half of an import committed in between. Read-only, so it never fails to serialise.
        engine = sa.create_engine(
            url, pool_size=POOL_SIZE, max_overflow=POOL_OVERFLOW, pool_timeout=POOL_WAIT_SECONDS,
            isolation_level="REPEATABLE READ",
            connect_args={
                "options": options, "connect_timeout": max(2, min(5, math.ceil(timeout))),
                # A peer that vanished (not one that is slow) is noticed within ~25 s, and unsent data
                # is given up on after the deadline.
                "keepalives": 1, "keepalives_idle": 10, "keepalives_interval": 5, "keepalives_count": 3,
                "tcp_user_timeout": milliseconds + 1000,
            },
        )
    deadline.watch(engine, timeout + 1)
    return engine


PROBE_SECONDS = 2.0


def probe(url: str) -> str | None:
    """Why the database cannot answer now (unreachable, busy, stalled), or None when it answers.

    A trivial query with a short deadline of its own, so a page can tell in ~2 s whether figures
    it holds from earlier are stale.
    """
    try:
        with connect(_engine(url, True, PROBE_SECONDS)) as conn:
            conn.exec_driver_sql("SELECT 1")
    except sa.exc.DBAPIError as exc:
        return _query_error(exc, "probe", {}).args[0]
    except ArcadiaError as exc:
        return str(exc)
    return None


def _sqlite_path(parsed: sa.URL) -> str:
    """The file a SQLite URL names (also when it is a read-only `file:` URI)."""
    database = parsed.database or ""
    return unquote(database.removeprefix("file:")) if parsed.query.get("uri") else database


def _read_only_sqlite(parsed: sa.URL) -> sa.URL:
    """The same SQLite file opened read-only (a URI with mode=ro): the figures cannot write to it."""
    database = parsed.database or ""
    if not database or database == ":memory:" or parsed.query.get("uri"):
        return parsed  # nothing on disk to protect, or the URL already says how to open it
    path = quote(str(Path(database).resolve()), safe="/")
    return parsed.set(database=f"file:{path}", query={**parsed.query, "mode": "ro", "uri": "true"})


@contextmanager
def connect(engine: sa.Engine) -> Iterator[sa.Connection]:
    """A connection for one piece of work, as a context manager.

    'Unreachable', 'every connection busy', a lock or statement timeout and a blown deadline become
    DatabaseUnavailable / DatabaseTimeout with a message that names the cause.
    """
    where = describe(str(engine.url.render_as_string(False)))
    with deadline.bounded(engine) as limit:
        try:
            conn = engine.connect()
        except sa.exc.TimeoutError:
            raise DatabaseUnavailable(
                f"the database ({where}) is busy: every pooled connection stayed in use for {POOL_WAIT_SECONDS} s"
            ) from None
        except (sa.exc.OperationalError, sa.exc.DisconnectionError) as exc:
            if limit is not None and limit.fired:
                raise limit.error(where) from None
            reason = _reason(exc) if isinstance(exc, sa.exc.DBAPIError) else "connection failed"
            if engine.dialect.name == "sqlite" and not Path(_sqlite_path(engine.url)).exists():
                reason = "there is no such file; create it with `python -m arcadia db init`"
            if "timeout expired" in reason:  # it accepts connections but does not answer them
                raise DatabaseTimeout(f"the database took too long (no connection to {where} within the "
                                      f"connect timeout): {reason}") from None
            raise DatabaseUnavailable(f"cannot reach the database ({where}): {reason}") from None
        try:
            with conn:
                yield conn
        except DatabaseUnavailable:
            if limit is not None and limit.fired:
                raise limit.error(where) from None
            raise


def _reason(exc: sa.exc.DBAPIError) -> str:
    text = str(exc.orig).strip() if exc.orig else ""
    return text.splitlines()[0] if text else "connection failed"


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


def fetch_tuples(conn: sa.Connection, name: str, **binds) -> list[tuple]:
    """Like `fetch_rows`, the driver's own tuples: no Row object per row (the accrual's queries return tens of
    thousands of rows, and a Row costs about a microsecond each). Only for queries whose columns need no
    conversion by SQLAlchemy (plain SQL text has none)."""
    result = _execute(conn, name, binds)
    try:
        return result.cursor.fetchall()
    finally:
        result.close()


def _execute(conn: sa.Connection, name: str, binds: dict) -> sa.CursorResult:
    dialect = conn.dialect.name
    statement = sa.text(_sql_text(dialect, name, uses_preaggregates(conn)))
    try:
        return conn.execute(statement, {key: _bind(dialect, value) for key, value in binds.items()})
    except sa.exc.DBAPIError as exc:
        raise _query_error(exc, name, binds) from None


def _query_error(exc: sa.exc.DBAPIError, name: str, binds: dict) -> ArcadiaError:
    """What a failed query means for the user: missing tables, a timeout, overflowing data, or an outage."""
    reason = _reason(exc)
    lowered = reason.lower()
    if "no such table" in lowered or ("does not exist" in lowered and "relation" in lowered):
        return ArcadiaError(f"the database has no Arcadia tables ({reason}): run `python -m arcadia db init`")
    if "lock timeout" in lowered or "database is locked" in lowered:
        return DatabaseTimeout(f"the database took too long (query {name} waited for a lock another session "
                               f"holds: lock timeout): {reason}")
    if "statement timeout" in lowered or "interrupted" in lowered:
        return DatabaseTimeout(f"the database took too long (query {name} ran past the "
                               f"{statement_timeout():g} s statement timeout): {reason}")
    if "integer overflow" in lowered or "out of range" in lowered:
        month = binds.get("period_start") or binds.get("window_start") or binds.get("month")
        return DataError(f"amounts {'of ' + str(month)[:7] + ' ' if month else ''}add up beyond 64-bit integers "
                         f"(query {name}: {reason}): some row holds an overflow-sized amount; "
                         "`python -m arcadia check` lists them")
    if isinstance(exc, (sa.exc.OperationalError, sa.exc.InterfaceError)) or exc.connection_invalidated:
        return DatabaseUnavailable(f"the database failed during query {name}: {reason}")
    return DataError(f"query {name} failed on the data: {reason}")
