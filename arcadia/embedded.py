"""The embedded default database: the SQLite demo the project builds on first use.

`arcadia.db` knows only URLs and engines; building the demo needs the demo
module (and through it billing), so that happens here, above the database layer.
"""

from __future__ import annotations

import os
import threading

import sqlalchemy as sa

from arcadia import db

_demo_lock = threading.Lock()


def get_engine(explicit: str | None = None, *, reader: bool = True) -> sa.Engine:
    """The engine for the configured database (a reader unless asked otherwise); the embedded demo is
    created on first use."""
    url = db.database_url(explicit)
    if db.is_demo(url) and not db.DEMO_PATH.exists():
        _build_demo_file()
    return db.engine_for(url, reader=reader)


def _build_demo_file() -> None:
    """Build the embedded demo beside its final path, then move it in: no reader sees half a demo."""
    from arcadia.demo import build_demo  # only the embedded default pays for the demo build

    with _demo_lock:
        path = db.DEMO_PATH
        if path.exists():
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f"{path.name}.{os.getpid()}.partial")
        partial.unlink(missing_ok=True)
        partial_url = f"sqlite:///{partial}"
        build_demo(partial_url)
        db.engine_for(partial_url).dispose()
        os.replace(partial, path)
