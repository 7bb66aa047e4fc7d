"""Shared fixtures: a fresh database per test on SQLite and on a real PostgreSQL.

PostgreSQL: 127.0.0.1:5432 (override with ARCADIA_TEST_PG_URL). Each test run
creates its own database and drops it at the end. When it is unreachable the
PostgreSQL tests skip, except with CI=true, where they fail.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa

from arcadia import schema
from arcadia.db import engine_for, forget_engines

FIXTURES = Path(__file__).parent / "fixtures"
PG_ADMIN_URL = os.environ.get("ARCADIA_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
IN_CI = os.environ.get("CI", "").lower() == "true"
DEMO_NOW = "2026-11-27T01:00:00Z"


def _pg_or_skip(reason: str):
    if IN_CI:
        pytest.fail(f"PostgreSQL is required with CI=true: {reason}")
    pytest.skip(f"PostgreSQL unavailable: {reason}")


@pytest.fixture(scope="session")
def pg_server_url():
    """URL of a database made for this test run on the local PostgreSQL (dropped afterwards)."""
    name = f"arcadia_test_{uuid.uuid4().hex[:10]}"
    try:
        admin = psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        _pg_or_skip(str(exc).strip().splitlines()[0])
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    base = sa.engine.make_url(PG_ADMIN_URL.replace("postgresql://", "postgresql+psycopg://", 1))
    yield base.set(database=name).render_as_string(hide_password=False)
    for engine_url in list(_engines):
        _engines.pop(engine_url).dispose()
    forget_engines()
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


_engines: dict[str, sa.Engine] = {}


def fresh_engine(kind: str, tmp_path: Path, request) -> sa.Engine:
    """An engine on an empty database with the schema: a temp SQLite file or the run's PostgreSQL database."""
    if kind == "sqlite":
        engine = engine_for(f"sqlite:///{tmp_path / 'arcadia.sqlite'}")
    else:
        url = request.getfixturevalue("pg_server_url")
        engine = engine_for(url)
        _engines[url] = engine
        schema.metadata.drop_all(engine)
    schema.create_all(engine)
    return engine


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request, tmp_path):
    """An empty database with the schema, on each backend."""
    return fresh_engine(request.param, tmp_path, request)


def load_sql(engine: sa.Engine, name: str) -> None:
    """Run a fixture file of plain SQL statements (separated by ';' at line ends)."""
    text = (FIXTURES / name).read_text()
    statements = [s.strip() for s in text.split(";\n") if s.strip() and not _only_comments(s)]
    with engine.begin() as conn:
        for statement in statements:
            conn.exec_driver_sql(statement)


def _only_comments(chunk: str) -> bool:
    return all(not line.strip() or line.strip().startswith("--") for line in chunk.splitlines())


@pytest.fixture
def small(engine):
    """The hand-checked fixture (tests/fixtures/small.sql) on each backend."""
    load_sql(engine, "small.sql")
    return engine


@pytest.fixture(scope="session")
def demo_sqlite_url(tmp_path_factory):
    """The demo as of DEMO_NOW in a SQLite file, built once per run."""
    from arcadia.demo import build_demo

    url = f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.sqlite'}"
    build_demo(url, DEMO_NOW)
    return url


@pytest.fixture(scope="session")
def demo_db(demo_sqlite_url) -> Path:
    """The demo database file (for copies served by a real Streamlit server)."""
    return Path(demo_sqlite_url.removeprefix("sqlite:///"))


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium through Playwright, one per test run."""
    from tests.browser_support import chromium_or_skip

    manager, chromium = chromium_or_skip()
    yield chromium
    chromium.close()
    manager.stop()
