"""A deadline on a figure's database work, enforced by the client: a stalled connection is cut.

The server's statement and lock timeouts end slow queries, but not a connection that has
stopped answering (a paused or wedged server process, a network that drops packets, a proxy
that holds them): the client would wait on the socket for as long as the kernel keeps it
open. So each `db.connect` on a reader engine arms a timer for the statement timeout plus a
second; when it fires, the connections that piece of work checked out are cut (the socket
shut down, or SQLite's query interrupted), the blocked call fails at once, and the pool
throws the connection away.

Pooled PostgreSQL connections are pinged on checkout under the same deadline (instead of
SQLAlchemy's pre-ping, which runs before any deadline could be armed).
"""

from __future__ import annotations

import os
import socket
import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa

from arcadia.errors import DatabaseTimeout

_active = threading.local()  # the Deadline of the work this thread is doing, if any
_seconds: weakref.WeakKeyDictionary[sa.pool.Pool, float] = weakref.WeakKeyDictionary()  # per engine's pool


class Deadline:
    """A timer that cuts the connections watched for one piece of work when it runs out."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.fired = False
        self._lock = threading.Lock()
        self._connections: list = []
        self._timer = threading.Timer(seconds, self._fire)
        self._timer.daemon = True

    def watch(self, dbapi_connection) -> None:
        with self._lock:
            if self.fired:
                _cut(dbapi_connection)
            else:
                self._connections.append(dbapi_connection)

    def error(self, where: str) -> DatabaseTimeout:
        return DatabaseTimeout(f"the database took too long (no answer from {where} within {self.seconds:g} s; "
                               "the connection was given up)")

    def _fire(self) -> None:
        with self._lock:
            self.fired = True
            for connection in self._connections:
                _cut(connection)

    def start(self) -> None:
        self._timer.start()

    def cancel(self) -> None:
        self._timer.cancel()
        with self._lock:
            self._connections.clear()


def _cut(dbapi_connection) -> None:
    """Make the call blocked on this connection fail now (from another thread)."""
    try:
        if hasattr(dbapi_connection, "interrupt"):  # sqlite3: abort the running statement
            dbapi_connection.interrupt()
            return
        fd = dbapi_connection.pgconn.socket
        # Shutting the socket down wakes the blocked read with end-of-file; libpq reports the
        # connection as lost and SQLAlchemy discards it from the pool. A duplicate descriptor,
        # so closing ours leaves libpq's own alone.
        with socket.socket(fileno=os.dup(fd)) as sock:
            sock.shutdown(socket.SHUT_RDWR)
    except Exception:  # already closed, or never opened: nothing left to cut
        pass


def watch(engine: sa.Engine, seconds: float) -> None:
    """Bound every `bounded` piece of work on this engine to `seconds`; ping pooled connections on checkout."""
    _seconds[engine.pool] = seconds  # the pool: raw(engine) shares it, and the deadline with it
    sa.event.listen(engine, "connect", _fresh)
    sa.event.listen(engine, "checkout", _checkout)


def _fresh(dbapi_connection, record) -> None:
    record.info["arcadia_fresh"] = True


def _checkout(dbapi_connection, record, proxy) -> None:
    limit = getattr(_active, "deadline", None)
    if limit is not None:
        limit.watch(dbapi_connection)
    if record.info.pop("arcadia_fresh", False) or hasattr(dbapi_connection, "interrupt"):
        return  # just connected, or SQLite (a new connection per use): nothing to ping
    try:
        with dbapi_connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:
        if limit is not None and limit.fired:
            raise limit.error("the database") from None
        raise sa.exc.DisconnectionError("a pooled connection did not answer a ping") from None


@contextmanager
def bounded(engine: sa.Engine) -> Iterator[Deadline | None]:
    """Arm the engine's deadline (if it has one) for the work done in this block, on this thread."""
    seconds = _seconds.get(engine.pool)
    if seconds is None or getattr(_active, "deadline", None) is not None:
        yield None  # a writer's engine, or work nested in work already bounded
        return
    limit = Deadline(seconds)
    _active.deadline = limit
    limit.start()
    try:
        yield limit
    finally:
        _active.deadline = None
        limit.cancel()
