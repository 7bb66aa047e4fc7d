"""`demo --reset` builds beside and swaps in: readers keep answering (old or new demo), nothing else is emptied."""

from __future__ import annotations

import threading

import pytest

from arcadia import analytics, db
from arcadia.cli import main
from arcadia.db import raw
from arcadia.period import Period
from tests.conftest import DEMO_NOW, fresh_engine, load_sql

APRIL = Period.parse("2026-04")
LATER_NOW = "2026-12-03T09:00:00Z"  # a second demo: one more month of data than DEMO_NOW's


@pytest.fixture
def demo_path(tmp_path, monkeypatch):
    """The embedded demo's path, moved into a temporary folder for the test."""
    path = tmp_path / "data" / "arcadia-demo.sqlite"
    monkeypatch.setattr(db, "DEMO_PATH", path)
    monkeypatch.setattr(db, "DEMO_URL", f"sqlite:///{path}")
    monkeypatch.delenv(db.URL_ENV, raising=False)
    yield path
    db.forget_engines()


def test_reset_while_readers_read_never_fails_a_reader(demo_path, capsys):
    assert main(["demo", "--now", DEMO_NOW]) == 0  # the first build, beside and moved in
    reader = db.engine_for(db.DEMO_URL, reader=True)
    expected = analytics.margin_summary(reader, APRIL)
    failures, answers, done = [], [], threading.Event()

    def read():
        while not done.is_set():
            try:
                answers.append(analytics.margin_summary(reader, APRIL).overall)
                analytics.by_kind(reader, APRIL)
            except Exception as exc:  # noqa: BLE001 - collected and asserted below
                failures.append(repr(exc))

    readers = [threading.Thread(target=read) for _ in range(4)]
    for thread in readers:
        thread.start()
    try:
        for now in (LATER_NOW, DEMO_NOW):
            assert main(["demo", "--reset", "--now", now]) == 0
    finally:
        done.set()
        for thread in readers:
            thread.join()
    assert failures == []
    assert answers and all(a == expected.overall for a in answers)  # April is the same in both demos
    assert analytics.margin_summary(reader, APRIL) == expected
    assert not list(demo_path.parent.glob("*.partial"))  # nothing left beside


def test_reset_refuses_a_database_that_is_not_the_demo_and_leaves_it_alone(demo_path, small, capsys):
    url = small.url.render_as_string(hide_password=False)
    before = analytics.margin_summary(small, Period.parse("2026-03"))
    assert main(["--database-url", url, "demo", "--reset"]) == 2
    err = capsys.readouterr().err
    assert "only rebuilds the embedded demo" in err and "--force" in err
    assert analytics.margin_summary(small, Period.parse("2026-03")) == before
    assert main(["--database-url", url, "demo", "--force"]) == 2  # --force alone does nothing


def test_reset_with_force_replaces_every_row_and_the_aggregates_follow(demo_path, small, demo_sqlite_url, capsys):
    url = small.url.render_as_string(hide_password=False)
    assert main(["--database-url", url, "demo", "--reset", "--force", "--now", DEMO_NOW]) == 0
    reader = db.engine_for(url, reader=True)  # on SQLite, a new file: the fixture's own engine still holds the old
    replaced = analytics.margin_summary(reader, APRIL)
    assert replaced.overall == analytics.margin_summary(db.engine_for(demo_sqlite_url), APRIL).overall
    assert replaced == analytics.margin_summary(raw(reader), APRIL)  # pre-aggregates equal the raw rows
    march = Period.parse("2026-03")  # the fixture's March is gone: the demo's is there
    assert analytics.margin_summary(reader, march) == analytics.margin_summary(db.engine_for(demo_sqlite_url), march)


def test_reset_of_another_sqlite_file_with_force_swaps_the_file(demo_path, tmp_path, request, demo_sqlite_url,
                                                                capsys):
    engine = fresh_engine("sqlite", tmp_path, request)
    load_sql(engine, "small.sql")
    url = engine.url.render_as_string(hide_password=False)
    assert main(["--database-url", url, "demo", "--reset", "--force", "--now", DEMO_NOW]) == 0
    assert (analytics.margin_summary(db.engine_for(url, reader=True), APRIL)
            == analytics.margin_summary(db.engine_for(demo_sqlite_url), APRIL))
    assert not demo_path.exists()  # the embedded demo was not touched
