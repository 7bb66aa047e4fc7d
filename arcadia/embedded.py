"""The embedded default database: the SQLite demo the project builds on first use.

`arcadia.db` knows only URLs and engines; building the demo needs the demo
module (and through it billing), so that happens here, above the database layer.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from arcadia import db
from arcadia.errors import InputError

_demo_lock = threading.Lock()


def get_engine(explicit: str | None = None, *, reader: bool = True) -> sa.Engine:
    """The engine for the configured database (a reader unless asked otherwise); the embedded demo is
    created on first use."""
    url = db.database_url(explicit)
    if db.is_demo(url) and not db.DEMO_PATH.exists():
        _build_demo_file()
    return db.engine_for(url, reader=reader)


def _build_demo_file() -> None:
    """Build the embedded demo on first use (another thread may be at it: the first one builds)."""
    with _demo_lock:
        if not db.DEMO_PATH.exists():
            _build_beside(db.DEMO_PATH)


def _build_beside(path: Path, now=None) -> dict[str, int]:
    """Build the demo into a new file beside `path`, then move it over `path` in one step.

    A running server never sees half a demo or a missing file: its next connection opens the new
    file (the figures' SQLite engine opens one per use), connections already open finish on the old one.
    """
    from arcadia.demo import build_demo  # only the embedded default pays for the demo build

    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f"{path.name}.{os.getpid()}.partial")
    partial.unlink(missing_ok=True)
    partial_url = f"sqlite:///{partial}"
    try:
        counts = build_demo(partial_url, now)
    finally:
        db.engine_for(partial_url).dispose()
        db.forget_engines()
    os.replace(partial, path)
    return counts


def build_demo_beside(explicit: str | None, now=None, reset: bool = False, force: bool = False) -> dict[str, int]:
    """`demo` on the embedded demo, and `demo --reset`: a fresh demo swapped in atomically, while servers
    keep reading the database.

    `reset` replaces an existing demo; it touches only the embedded demo unless `force`: then a SQLite
    file is rebuilt beside and swapped in the same way, and any other database has every contract row
    replaced in one transaction.
    """
    url = db.database_url(explicit)
    if db.is_demo(url) and not reset and db.DEMO_PATH.exists():
        raise InputError("the embedded demo already exists: `python -m arcadia demo --reset` rebuilds it")
    if not db.is_demo(url) and not force:
        raise InputError(f"--reset only rebuilds the embedded demo database; {db.describe(url)} is not it. "
                         "Add --force to replace every row of that database with the demo")
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        with _demo_lock:
            return _build_beside(Path(parsed.database), now)
    from arcadia.demo import replace_with_demo

    return replace_with_demo(url, now)
