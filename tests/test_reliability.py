"""A locked or busy database ends in a clear error, never a hang; the figures' sessions cannot write;
a mistyped far-future row spoils nothing.

The lock, pool and read-only tests are PostgreSQL's: the dashboard, the API and the CLI read through
`engine_for(url, reader=True)`, whose sessions are read-only with lock, statement and idle timeouts
(arcadia/db.py). The far-future test runs on both databases.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from starlette.testclient import TestClient

from arcadia import analytics, api, coverage, db
from arcadia.errors import DatabaseUnavailable
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
        holder.rollback()
    assert analytics.margin_summary(reader, MARCH).overall.cogs_cents == 2900  # and recovers


def test_every_pooled_connection_busy_is_an_error_not_a_hang(pg):
    tiny = sa.create_engine(pg.url, pool_size=1, max_overflow=0, pool_timeout=0.2)
    try:
        with tiny.connect():
            with pytest.raises(DatabaseUnavailable, match="busy"):
                db.connect(tiny)
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
