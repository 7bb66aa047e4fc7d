"""A locked or busy database ends in a clear error, never a hang; the figures' sessions cannot write;
a mistyped far-future row spoils nothing.

The lock, pool and read-only tests are PostgreSQL's: the dashboard, the API and the CLI read through
`engine_for(url, reader=True)`, whose sessions are read-only with lock, statement and idle timeouts
(arcadia/db.py). The far-future test runs on both databases.
"""

from __future__ import annotations

import re
import socket
import threading
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa
from starlette.testclient import TestClient

from arcadia import analytics, api, coverage, db, schema
from arcadia.errors import ArcadiaError, DatabaseTimeout, DatabaseUnavailable
from arcadia.period import Period, parse_instant
from tests.conftest import fresh_engine, load_sql
from tests.test_api import ENV, admin

MARCH = Period.parse("2026-03")


@pytest.fixture
def pg(request, tmp_path):
    engine = fresh_engine("postgresql", tmp_path, request)
    load_sql(engine, "small.sql")
    return engine


@pytest.fixture
def reader(pg):
    return db.engine_for(pg.url.render_as_string(hide_password=False), reader=True)


def test_the_figures_sessions_cannot_write(reader):
    with pytest.raises(sa.exc.DBAPIError, match="read-only transaction"):
        with reader.begin() as conn:
            conn.exec_driver_sql("DELETE FROM tenants")
    assert analytics.margin_summary(reader, MARCH).overall.cogs_cents == 2900  # reading works


def test_a_locked_table_is_an_error_naming_the_lock_and_other_figures_still_answer(pg, reader):
    url = pg.url.render_as_string(hide_password=False)
    client = TestClient(api.create_api(url, ENV))
    with pg.connect() as holder:  # another program holds a table for a long migration
        holder.exec_driver_sql("LOCK TABLE cloud_cost_lines, tenants IN ACCESS EXCLUSIVE MODE")
        with pytest.raises(DatabaseUnavailable, match="lock timeout"):
            analytics.margin_summary(reader, MARCH)  # the P&L names tenants: it waits 5 s, then says why
        refused = client.get("/api/v1/dashboard/margin", params={"period": "2026-03"},
                             headers={"Authorization": admin()})
        assert refused.status_code == 503 and "lock timeout" in refused.json()["message"]
        assert "overall" not in refused.json()
        # by-kind reads only the pre-aggregates (not the locked cost lines), the accrual neither.
        kinds = client.get("/api/v1/dashboard/by-kind", params={"period": "2026-03"},
                           headers={"Authorization": admin()})
        assert kinds.status_code == 200 and kinds.json()["cogs"]
        accrual = client.get("/api/v1/dashboard/accrual", params={"as_of": "2026-05-21T12:00:00Z"},
                             headers={"Authorization": admin()})
        assert accrual.status_code == 200 and accrual.json()["totals"]["subtotal"] != "0.00"
        # Its COGS estimate reads the locked cost lines: left out after a short wait, and the accrual says so.
        assert "estimate" not in accrual.json()
        assert any(w.startswith("no live COGS estimate") for w in accrual.json()["warnings"])
        holder.rollback()
    assert analytics.margin_summary(reader, MARCH).overall.cogs_cents == 2900  # and recovers


def test_every_pooled_connection_busy_is_an_error_not_a_hang(pg):
    tiny = sa.create_engine(pg.url, pool_size=1, max_overflow=0, pool_timeout=0.2)
    try:
        with tiny.connect():
            with pytest.raises(DatabaseUnavailable, match="busy"), db.connect(tiny):
                pass
    finally:
        tiny.dispose()


def test_live_accrual_reads_on_a_reader(reader):
    accrual = analytics.live_accrual(reader, parse_instant("2026-05-21T12:00:00Z"))
    assert accrual.subtotal_cents > 0


FAR = ["9998-12-15 00:00:00+00:00", "9999-12-31 23:00:00+00:00", "10000-01-05 00:00:00+00:00"]


def test_far_future_readings_do_not_take_the_months_list_or_the_figures_down(engine):
    """One mistyped year (9998, 9999, 10000) offers no extra month and breaks no figure (both databases)."""
    load_sql(engine, "small.sql")
    with engine.begin() as conn:
        for n, stamp in enumerate(FAR):
            conn.execute(sa.text(
                "INSERT INTO usage_records (id, subscription_id, catalog_item_id, quantity, recorded_at)"
                " VALUES (:id, '50000000-0000-4000-8000-000000000001', 'd0000000-0000-4000-8000-000000000002',"
                " 1, :at)"), {"id": f"7f000000-0000-4000-8000-00000000000{n}", "at": stamp})
    now = parse_instant("2026-06-10T00:00:00Z")
    months = coverage.data_months(engine, now)
    assert months[0] == Period.parse("2026-06") and all(m.start.year >= 1970 for m in months)
    fresh = coverage.freshness(engine, now)
    assert fresh.latest_usage_at is not None and fresh.latest_usage_at.year == 2026
    assert analytics.margin_summary(engine, MARCH).overall.cogs_cents == 2900
    assert analytics.live_accrual(engine, parse_instant("2026-05-21T12:00:00Z")).subtotal_cents > 0


class PausableProxy:
    """A TCP proxy to PostgreSQL that can stop passing bytes: a database that stops answering
    mid-connection (a paused server process, a wedged network), without closing anything."""

    def __init__(self, target=("127.0.0.1", 5432)):
        self.target = target
        self.passing = threading.Event()
        self.passing.set()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source, sink):
        try:
            while data := source.recv(65536):
                self.passing.wait()
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def close(self):
        self.passing.set()
        self.listener.close()


@pytest.fixture
def stalling(pg, monkeypatch):
    """A reader engine that reaches the test database through a PausableProxy, with a 2 s statement timeout."""
    monkeypatch.setenv(db.STATEMENT_TIMEOUT_ENV, "2")
    proxy = PausableProxy()
    url = pg.url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    yield proxy, db.engine_for(url, reader=True)
    proxy.close()
    db.forget_engines()


def _within(seconds, work):
    """Run `work` on a thread: what it returned or raised; fail when it is still running after `seconds`."""
    outcome = {}

    def run():
        try:
            outcome["result"] = work()
        except Exception as exc:  # noqa: BLE001 - the test inspects it
            outcome["result"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    assert "result" in outcome, f"still waiting on the database after {seconds} s"
    return outcome["result"]


def test_a_stalled_connection_is_cut_at_the_deadline_and_the_next_figure_recovers(stalling):
    proxy, reader = stalling
    assert analytics.margin_summary(reader, MARCH).overall.cogs_cents == 2900  # a pooled connection now
    proxy.passing.clear()  # the database stops answering: no error, no close, nothing
    started = time.monotonic()
    error = _within(12, lambda: analytics.margin_summary(reader, MARCH))
    assert isinstance(error, DatabaseTimeout) and "took too long" in str(error)
    assert time.monotonic() - started < 2 + 1 + 2  # the deadline (timeout + 1 s), with slack for a loaded machine
    # A new connection through the stalled path fails within the connect timeout too.
    error = _within(12, lambda: analytics.by_kind(reader, MARCH))
    assert isinstance(error, DatabaseUnavailable)
    proxy.passing.set()
    assert analytics.margin_summary(reader, MARCH).overall.cogs_cents == 2900


def test_a_stalled_database_is_a_503_with_retry_after_from_the_api(stalling):
    proxy, reader = stalling
    url = reader.url.render_as_string(hide_password=False)
    client = TestClient(api.create_api(url, ENV))
    headers = {"Authorization": admin()}
    assert client.get("/api/v1/dashboard/margin", params={"period": "2026-03"}, headers=headers).status_code == 200
    proxy.passing.clear()
    response = _within(12, lambda: client.get("/api/v1/dashboard/margin", params={"period": "2026-03"},
                                              headers=headers))
    assert response.status_code == 503 and "took too long" in response.json()["message"]
    assert int(response.headers["Retry-After"]) > 0
    assert "overall" not in response.json()


def test_the_statement_timeout_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv(db.STATEMENT_TIMEOUT_ENV, "500ms")
    assert db.statement_timeout() == 0.5
    monkeypatch.setenv(db.STATEMENT_TIMEOUT_ENV, "2.5s")
    assert db.statement_timeout() == 2.5
    monkeypatch.delenv(db.STATEMENT_TIMEOUT_ENV)
    assert db.statement_timeout() == 15


@pytest.mark.parametrize("value", ["soon", "-1", "0", "15 minutes", "1e9"])
def test_a_bad_statement_timeout_is_refused_naming_the_value(monkeypatch, value):
    monkeypatch.setenv(db.STATEMENT_TIMEOUT_ENV, value)
    with pytest.raises(ArcadiaError, match=re.escape(repr(value))):
        db.statement_timeout()


def test_the_figures_cannot_write_to_a_sqlite_database(tmp_path):
    url = f"sqlite:///{tmp_path / 'with space?and#hash.sqlite'}"
    schema.create_all(db.engine_for(url))
    load_sql(db.engine_for(url), "small.sql")
    reader = db.engine_for(url, reader=True)
    assert analytics.margin_summary(reader, MARCH).overall.cogs_cents == 2900
    with pytest.raises(sa.exc.OperationalError, match="readonly"):
        with reader.begin() as conn:
            conn.exec_driver_sql("DELETE FROM tenants")
    with db.engine_for(url).connect() as conn:
        assert conn.exec_driver_sql("SELECT COUNT(*) FROM tenants").scalar() > 0


def test_a_missing_sqlite_file_is_unreachable_and_not_created(tmp_path):
    path = tmp_path / "nothing-here.sqlite"
    with pytest.raises(DatabaseUnavailable, match="cannot reach"):
        analytics.margin_summary(db.engine_for(f"sqlite:///{path}", reader=True), MARCH)
    assert not path.exists()


def test_pages_mark_cached_figures_stale_then_say_the_database_took_too_long(stalling, monkeypatch):
    """While the database stalls, a page shows the figures it holds marked stale with their age; a page
    with nothing cached says the database took too long and offers a retry. No traceback, no hang."""
    import streamlit as st

    from dashboard import data
    from tests.test_pages import ADMIN, app_test

    proxy, reader = stalling
    at = app_test(reader.url.render_as_string(hide_password=False), monkeypatch, user=ADMIN, period="2026-03")
    assert {m.label: m.value for m in at.metric}["COGS"] == "$29.00"
    assert not any("does not answer" in w.value for w in at.warning)
    monkeypatch.setattr(data, "STALE_AFTER", timedelta(0))  # every cached figure is old enough to question
    proxy.passing.clear()
    at.run()
    assert not at.exception
    assert {m.label: m.value for m in at.metric}["COGS"] == "$29.00"  # still shown ...
    notice = " ".join(w.value for w in at.warning)
    assert "does not answer now" in notice and "may be out of date" in notice and "took too long" in notice
    st.cache_resource.clear()  # nothing cached any more: the figures must come from the stalled database
    at.run()
    assert not at.exception
    assert any("took too long" in e.value for e in at.error)
    assert "Retry" in [b.label for b in at.button]
    proxy.passing.set()
    next(b for b in at.button if b.label == "Retry").click().run()  # the database is back: a retry shows the figures
    assert not at.error and {m.label: m.value for m in at.metric}["COGS"] == "$29.00"


def test_twenty_requests_during_a_lock_all_answer_and_the_accrual_is_not_starved(pg, reader):
    """The review's case: another session holds cost lines locked while 20 API requests arrive at once.
    Those that read the locked table get a 503 naming the lock; the accrual (which does not) gets its figures."""
    from concurrent.futures import ThreadPoolExecutor

    client = TestClient(api.create_api(pg.url.render_as_string(hide_password=False), ENV))
    headers = {"Authorization": admin()}
    requests = [("/api/v1/dashboard/margin", {"period": "2026-03"}),
                ("/api/v1/dashboard/accrual", {"as_of": "2026-05-21T12:00:00Z"})] * 10
    with pg.connect() as holder:
        holder.exec_driver_sql("LOCK TABLE cloud_cost_lines, tenants IN ACCESS EXCLUSIVE MODE")
        with ThreadPoolExecutor(len(requests)) as pool:
            answers = list(pool.map(lambda r: client.get(r[0], params=r[1], headers=headers), requests))
        holder.rollback()
    margins, accruals = answers[0::2], answers[1::2]
    assert all(a.status_code == 503 and "lock timeout" in a.json()["message"] and a.headers["Retry-After"]
               for a in margins)
    assert all(a.status_code == 200 and a.json()["totals"]["subtotal"] != "0.00" for a in accruals)
