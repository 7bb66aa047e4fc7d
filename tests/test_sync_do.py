"""DigitalOcean invoices in place and the daily sync (issue 15), against a local fake DigitalOcean API.

Day by day: previews, then the final invoice; two accounts; CSV re-exports; removal; faults (401, 429, 5xx, a
redirect); two syncs at once; a killed import. On SQLite and PostgreSQL. The identity every step keeps: the
month's COGS = the lines other programs wrote + what is in place for each account, and Σ tenants +
unattributed = COGS.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from datetime import datetime

import psycopg
import pytest
import sqlalchemy as sa

from arcadia import analytics, db, do_api, do_import, health, sync_do
from arcadia.cli import main
from arcadia.db import PROJECT_ROOT
from arcadia.period import Period, parse_instant
from tests.conftest import FIXTURES, load_sql
from tests.fake_do_api import TOKEN, FakeDigitalOcean, FakeInvoice, item, serve_fake

APRIL, MAY = Period.parse("2026-04"), Period.parse("2026-05")
OTHERS = 999  # small.sql's own April line (invoice do-2026-04), written by another program: never touched
PREVIEW_UUID = "aaaaaaaa-0000-4000-8000-000000000001"
FINAL_UUID = "bbbbbbbb-0000-4000-8000-000000000002"
MAY_PREVIEW_UUID = "cccccccc-0000-4000-8000-000000000003"


@pytest.fixture
def inventory(small):
    load_sql(small, "do/inventory.sql")
    return small


@pytest.fixture
def fake(monkeypatch):
    yield from serve_fake(monkeypatch)


def april(through: str, droplet: str, unmatched: str = "0.50") -> list[dict]:
    """April's items up to `through` (ISO): acme's droplet 1001 and a resource the inventory does not hold."""
    return [item(None, "acme-web (s-1vcpu-1gb)", droplet, "2026-04-01T00:00:00Z", through, resource_id="1001"),
            item(None, "gone (s-1vcpu-1gb)", unmatched, "2026-04-01T00:00:00Z", through, resource_id="999999"),
            item(None, "Taxes", "0.10", "2026-04-01T00:00:00Z", through, product="Taxes")]


def cogs(engine: sa.Engine, period: Period = APRIL) -> int:
    """The month's COGS, checked against its attribution (Σ tenants + unattributed = overall) and against what is
    in place: other programs' lines + each account's invoice in place, per account and month."""
    summary = analytics.margin_summary(engine, period)
    assert sum(t.cogs_cents for t in summary.tenants) + summary.unattributed_cogs_cents == summary.overall.cogs_cents
    others = OTHERS if period == APRIL else 0
    assert summary.overall.cogs_cents == others + sum(p.amount_cents for p in in_place(engine, period).values())
    return summary.overall.cogs_cents


def line_ids(engine: sa.Engine) -> set[str]:
    with engine.connect() as conn:
        return {str(r[0]) for r in conn.execute(sa.text("SELECT id FROM cloud_cost_lines"))}


def in_place(engine: sa.Engine, period: Period = APRIL) -> dict[str, do_import.InPlace]:
    with engine.connect() as conn:
        return do_import.in_place(conn, period)


def run(engine, fake, now: str, account: str = "default") -> sync_do.SyncResult:
    return sync_do.sync(engine, fake.token, parse_instant(now), fake.url, account, sleep=lambda s: None)


def run_cli(capsys, *args) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def url_of(engine: sa.Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


@pytest.mark.parametrize("links", ["preview", "uuid"])
def test_day_by_day_previews_then_the_final_invoice(inventory, fake, links, capsys):
    """Each day's preview replaces the last; the final invoice replaces the preview; a re-run changes nothing."""
    fake.preview_links = links
    fake.preview = FakeInvoice(PREVIEW_UUID, "2026-04", april("2026-04-05T00:00:00Z", "1.00"), "2026-04-05T06:00:00Z")
    transcript = []
    first = run(inventory, fake, "2026-04-05T07:00:00Z")
    transcript.append((sync_do.to_text(first), cogs(inventory)))
    assert first.changed and cogs(inventory) == OTHERS + 100 + 50  # taxes are not COGS
    place = in_place(inventory)["default"]
    assert (place.source, place.provider_invoice_id, place.amount_cents) == ("preview", PREVIEW_UUID, 150)
    assert place.lines_through == parse_instant("2026-04-05T00:00:00Z")  # where actual cost stops

    fake.preview = FakeInvoice(PREVIEW_UUID, "2026-04", april("2026-04-06T00:00:00Z", "1.20"), "2026-04-06T06:00:00Z")
    second = run(inventory, fake, "2026-04-06T07:00:00Z")
    transcript.append((sync_do.to_text(second), cogs(inventory)))
    assert second.changed and cogs(inventory) == OTHERS + 120 + 50
    ids = line_ids(inventory)
    again = run(inventory, fake, "2026-04-06T08:00:00Z")  # the same day again
    assert not again.changed and line_ids(inventory) == ids and "is in place" in again.steps[0].reason

    fake.invoices = [FakeInvoice(FINAL_UUID, "2026-04", april("2026-05-01T00:00:00Z", "6.00", "2.00"))]
    fake.preview = FakeInvoice(MAY_PREVIEW_UUID, "2026-05",
                               [item(None, "acme-web (s-1vcpu-1gb)", "0.30", "2026-05-01T00:00:00Z",
                                     "2026-05-02T00:00:00Z", resource_id="1001")], "2026-05-02T06:00:00Z")
    final = run(inventory, fake, "2026-05-02T07:00:00Z")
    transcript.append((sync_do.to_text(final), cogs(inventory)))
    assert cogs(inventory) == OTHERS + 600 + 200 and cogs(inventory, MAY) == 30
    assert in_place(inventory)["default"].source == "invoice"
    assert in_place(inventory, MAY)["default"].provider_invoice_id == MAY_PREVIEW_UUID

    # An April preview showing up again (a late answer) never replaces the final invoice.
    fake.preview = FakeInvoice(PREVIEW_UUID, "2026-04", april("2026-04-30T00:00:00Z", "5.00"), "2026-04-30T06:00:00Z")
    late = run(inventory, fake, "2026-05-03T07:00:00Z")
    assert not late.changed and cogs(inventory) == OTHERS + 600 + 200
    assert any("final invoice" in s.reason for s in late.steps)
    assert not any(TOKEN in text for text, _ in transcript)
    if links == "preview":  # the transcript, for the record (pytest -s shows it)
        for text, cents in transcript:
            print(f"{text}\n  April COGS now {cents} cents")


def test_sync_from_the_cli_as_json_and_again_unchanged(inventory, fake, capsys):
    fake.invoices = [FakeInvoice(FINAL_UUID, "2026-04", april("2026-05-01T00:00:00Z", "6.00"))]
    code, out, err = run_cli(capsys, "sync-do", "--api-url", fake.url, "--json", "--months", "24",
                             "--database-url", url_of(inventory))
    assert code == 0, err
    doc = json.loads(out)
    assert doc["changed"] and [s["invoice_uuid"] for s in doc["steps"] if s["imported"]] == [FINAL_UUID]
    assert TOKEN not in out + err
    code, out, _ = run_cli(capsys, "sync-do", "--api-url", fake.url, "--json", "--months", "24",
                           "--database-url", url_of(inventory))
    assert code == 0 and json.loads(out)["changed"] is False
    with inventory.connect() as conn:
        (last,) = sync_do.last_syncs(conn)
    assert last["account"] == "default" and last["outcome"].startswith("ok") and last["succeeded_at"] is not None


def test_two_accounts_add_up_and_one_can_be_removed(inventory, fake, capsys):
    other = FakeDigitalOcean(token="dop_v1_second-team")
    try:
        fake.invoices = [FakeInvoice(FINAL_UUID, "2026-04", april("2026-05-01T00:00:00Z", "6.00"))]
        other.invoices = [FakeInvoice("dddddddd-0000-4000-8000-000000000004", "2026-04",
                                      april("2026-05-01T00:00:00Z", "3.00", "1.00"))]
        run(inventory, fake, "2026-05-02T00:00:00Z", "team-a")
        run(inventory, other, "2026-05-02T00:00:00Z", "team-b")
        assert cogs(inventory) == OTHERS + 650 + 400
        assert set(in_place(inventory)) == {"team-a", "team-b"}
        code, out, err = run_cli(capsys, "import-do", "--remove", "--account", "team-b", "--period", "2026-04",
                                 "--database-url", url_of(inventory))
        assert code == 0 and "team-b" in out, err
        assert cogs(inventory) == OTHERS + 650 and set(in_place(inventory)) == {"team-a"}
        code, _, err = run_cli(capsys, "import-do", "--remove", "--account", "team-b", "--period", "2026-04",
                               "--database-url", url_of(inventory))
        assert code == 2 and "nothing is in place for account 'team-b'" in err
    finally:
        other.stop()


def test_a_csv_re_export_replaces_the_earlier_export_of_the_account(inventory, tmp_path, capsys):
    csv = (FIXTURES / "do" / "invoice-2026-04.csv").read_bytes()
    first = tmp_path / "day-5.csv"
    first.write_bytes(csv)
    code, out, err = run_cli(capsys, "import-do", "--period", "2026-04", first, "--json",
                             "--database-url", url_of(inventory))
    assert code == 0, err
    first_total = int(json.loads(out)["total"].replace(".", ""))
    # The next day's export: one more line, so another file and another digest.
    second = tmp_path / "day-6.csv"
    second.write_bytes(csv.rstrip(b"\n") + b"\nDroplets,,acme-web (s-1vcpu-1gb),24,2026-04-05 00:00:00 +0000,"
                       b"2026-04-06 00:00:00 +0000,$0.25,Acme,iaas\n")
    code, out, err = run_cli(capsys, "import-do", "--period", "2026-04", second, "--json",
                             "--database-url", url_of(inventory))
    assert code == 0, err
    doc = json.loads(out)
    assert doc["in_place_before"]["source"] == "file" and doc["in_place_before"]["described"].endswith("day-5.csv")
    assert cogs(inventory) == OTHERS + first_total + 25  # not the two exports added
    # Another account's export of the same month is its own source, beside it.
    code, _, err = run_cli(capsys, "import-do", "--period", "2026-04", first, "--account", "team-b",
                           "--database-url", url_of(inventory))
    assert code == 0, err
    assert cogs(inventory) == OTHERS + 2 * first_total + 25


def test_api_faults_are_bounded_and_never_show_the_token(inventory, fake, capsys):
    fake.invoices = [FakeInvoice(FINAL_UUID, "2026-04", april("2026-05-01T00:00:00Z", "6.00"))]
    url = url_of(inventory)
    fake.faults = {"/v2/customers/my/invoices": [(429, {"Retry-After": "0"}), (503, {})]}
    code, out, err = run_cli(capsys, "sync-do", "--api-url", fake.url, "--months", "24", "--database-url", url)
    assert code == 0 and "imported April 2026 final invoice" in out, err  # retried past the 429 and the 503
    fake.faults = {"/v2/customers/my/invoices": [(500, {})] * 10}
    code, out, err = run_cli(capsys, "sync-do", "--api-url", fake.url, "--database-url", url)
    assert code == 1 and "unavailable" in err and TOKEN not in out + err
    with inventory.connect() as conn:
        (last,) = sync_do.last_syncs(conn)
    assert last["outcome"].startswith("failed") and last["succeeded_at"] is not None and TOKEN not in last["outcome"]
    fake.faults = {}
    fake.token = "another-token"  # ours is refused: bad input, exit 2
    code, out, err = run_cli(capsys, "sync-do", "--api-url", fake.url, "--database-url", url)
    assert code == 2 and "refused the token" in err and TOKEN not in out + err
    assert cogs(inventory) == OTHERS + 650  # what was imported stays


def test_a_redirect_is_not_followed_with_the_token(inventory, fake, capsys):
    elsewhere = FakeDigitalOcean()
    try:
        fake.redirect_to = elsewhere.url
        code, _, err = run_cli(capsys, "sync-do", "--api-url", fake.url, "--database-url", url_of(inventory))
        assert code == 1 and "redirect" in err and elsewhere.requests == []
    finally:
        elsewhere.stop()


def test_the_preview_is_reconciled_with_the_balance(inventory, fake):
    fake.preview = FakeInvoice(PREVIEW_UUID, "2026-04", april("2026-04-05T00:00:00Z", "1.00"), "2026-04-05T06:00:00Z")
    assert run(inventory, fake, "2026-04-05T07:00:00Z").warnings == ()  # 1.60 both, taxes included
    fake.preview.updated_at = "2026-04-05T07:00:00Z"
    fake.usage = "1.75"
    result = run(inventory, fake, "2026-04-05T08:00:00Z")
    assert result.usage_cents == 175 and any("month_to_date_usage is $1.75" in w for w in result.warnings)


def test_two_syncs_at_once_import_each_invoice_once(inventory, fake):
    fake.invoices = [FakeInvoice(FINAL_UUID, "2026-04", april("2026-05-01T00:00:00Z", "6.00"))]
    results, errors = [], []

    def one():
        try:
            results.append(run(inventory, fake, "2026-05-02T00:00:00Z"))
        except Exception as exc:  # noqa: BLE001 — reported below
            errors.append(exc)

    threads = [threading.Thread(target=one) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == [] and len(results) == 3
    assert cogs(inventory) == OTHERS + 650
    with inventory.connect() as conn:
        n = conn.execute(sa.text("SELECT COUNT(*) FROM cloud_cost_lines WHERE provider_invoice_id = :i"),
                         {"i": FINAL_UUID}).scalar()
    assert n == 2


def test_check_lists_what_is_in_place_and_flags_two_sources(inventory, fake):
    fake.preview = FakeInvoice(PREVIEW_UUID, "2026-04", april("2026-04-05T00:00:00Z", "1.00"), "2026-04-05T06:00:00Z")
    run(inventory, fake, "2026-04-05T07:00:00Z")
    report = health.check(inventory, APRIL, parse_instant("2026-04-05T08:00:00Z"))
    doc = health.to_json(report)
    (place,) = [p for p in doc["in_place"] if p["period"] == "2026-04-01"]
    assert place["source"] == "preview" and place["as_of"] == "2026-04-05T06:00:00Z"
    # small.sql's own April line (another program's invoice do-2026-04) beside an account's preview: two sources.
    (two,) = [p for p in report.problems if p.code == "two_sources"]
    assert two.level == health.ERROR and "do-2026-04" in json.dumps(two.examples)
    assert not [p for p in report.problems if p.code == "stale_sync"]
    later = health.check(inventory, APRIL, parse_instant("2026-04-07T08:00:00Z"))  # 50 h after the sync
    assert [p.level for p in later.problems if p.code == "stale_sync"] == [health.WARNING]


@pytest.mark.parametrize("engine", ["postgresql"], indirect=True)
def test_a_killed_import_leaves_the_month_as_it_was(inventory, fake, tmp_path):
    """kill -9 in the middle of an import (its cost lines deleted, not yet committed): the old month stands."""
    fake.preview = FakeInvoice(PREVIEW_UUID, "2026-04", april("2026-04-05T00:00:00Z", "1.00"), "2026-04-05T06:00:00Z")
    run(inventory, fake, "2026-04-05T07:00:00Z")
    before = line_ids(inventory)
    fake.invoices = [FakeInvoice(FINAL_UUID, "2026-04", april("2026-05-01T00:00:00Z", "6.00"))]
    url = url_of(inventory)
    blocker = psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"))
    # Reads pass, writes wait: the import deletes the preview's lines, then stops on its record of what is in place.
    blocker.execute("LOCK TABLE provider_invoices IN EXCLUSIVE MODE")
    env = {**os.environ, do_api.TOKEN_ENV: TOKEN, "PYTHONPATH": str(PROJECT_ROOT)}
    child = subprocess.Popen([sys.executable, "-m", "arcadia", "sync-do", "--api-url", fake.url, "--months", "24",
                              "--database-url", url], env=env, cwd=PROJECT_ROOT,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        waiting = "SELECT COUNT(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"
        with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as watch:
            for _ in range(300):
                if watch.execute(waiting).fetchone()[0]:
                    break
                threading.Event().wait(0.1)
            else:
                pytest.fail("the import never reached the lock")
        child.send_signal(signal.SIGKILL)
        child.wait(30)
    finally:
        blocker.rollback()
        blocker.close()
    assert line_ids(inventory) == before and cogs(inventory) == OTHERS + 150
    assert in_place(inventory)["default"].source == "preview"


@pytest.mark.parametrize("engine", ["postgresql"], indirect=True)
def test_a_writer_behind_a_held_lock_gives_up_and_writes_nothing(inventory, monkeypatch, capsys):
    """A session holding a pre-aggregate's lock: the import fails after the writers' lock timeout, cleanly."""
    monkeypatch.setattr(db, "WRITE_LOCK_TIMEOUT_SECONDS", 1.0)
    url = url_of(inventory) + "?application_name=lock-test"  # a URL of its own: an engine with the 1 s timeout
    before = line_ids(inventory)
    blocker = psycopg.connect(url_of(inventory).replace("postgresql+psycopg://", "postgresql://"))
    try:
        blocker.execute("LOCK TABLE agg_cost_tenant IN ACCESS EXCLUSIVE MODE")
        code, _, err = run_cli(capsys, "import-do", "--period", "2026-04", FIXTURES / "do" / "invoice-2026-04.csv",
                               "--database-url", url)
    finally:
        blocker.rollback()
        blocker.close()
    assert code == 1 and "waited 1 s for a lock" in err and "nothing was written" in err, err
    assert line_ids(inventory) == before


@pytest.mark.parametrize("engine", ["postgresql"], indirect=True)
def test_imports_of_one_month_with_overlapping_tenants_never_deadlock(inventory, capsys):
    """Two accounts' invoices of April (the same tenants), imported at once, again and again."""
    csv = FIXTURES / "do" / "invoice-2026-04.csv"
    pages = [FIXTURES / "do" / "invoice-2026-04-page-1.json", FIXTURES / "do" / "invoice-2026-04-page-2.json"]
    errors = []

    def one(account, files):
        for _ in range(3):
            try:
                do_import.import_invoices(inventory, read(files), APRIL, account=account)
            except Exception as exc:  # noqa: BLE001 — reported below
                errors.append(exc)

    def read(files):
        from arcadia import do_invoice
        return do_invoice.read_files([str(f) for f in files], APRIL)

    threads = [threading.Thread(target=one, args=("team-a", [csv])), threading.Thread(target=one, args=("team-b", pages))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == []
    assert set(in_place(inventory)) == {"team-a", "team-b"}
    cogs(inventory)  # and every figure adds up to what is in place


@pytest.mark.parametrize("engine", ["postgresql"], indirect=True)
def test_a_reader_sees_one_snapshot_across_its_statements(inventory, fake):
    """A figure read in several statements: an import committed between them is not half seen."""
    from arcadia.db import connect, engine_for

    reader = engine_for(url_of(inventory), reader=True)
    fake.invoices = [FakeInvoice(FINAL_UUID, "2026-04", april("2026-05-01T00:00:00Z", "6.00"))]
    with connect(reader) as conn:
        first = conn.execute(sa.text("SELECT COUNT(*) FROM cloud_cost_lines")).scalar()
        run(inventory, fake, "2026-05-02T00:00:00Z")  # commits 2 lines meanwhile
        second = conn.execute(sa.text("SELECT COUNT(*) FROM cloud_cost_lines")).scalar()
        assert conn.exec_driver_sql("SHOW transaction_isolation").scalar() == "repeatable read"
    assert first == second and line_ids(inventory) and len(line_ids(inventory)) == first + 2


def test_import_do_api_preview_takes_the_month_from_the_api(inventory, fake, capsys):
    fake.preview_links = "uuid"
    fake.preview = FakeInvoice(PREVIEW_UUID, "2026-04", april("2026-04-05T00:00:00Z", "1.00"), "2026-04-05T06:00:00Z")
    code, out, err = run_cli(capsys, "import-do", "--api", "--invoice", "preview", "--api-url", fake.url, "--json",
                             "--database-url", url_of(inventory))
    assert code == 0, err
    doc = json.loads(out)
    assert doc["period"] == "2026-04-01" and doc["invoices"][0]["source"] == "preview"
    assert doc["invoices"][0]["as_of"] == "2026-04-05T06:00:00Z" and TOKEN not in out + err
    code, _, err = run_cli(capsys, "import-do", "--api", "--invoice", "preview", "--period", "2026-05",
                           "--api-url", fake.url, "--database-url", url_of(inventory))
    assert code == 2 and "the API's preview is of April 2026" in err


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_a_killed_import_leaves_the_month_as_it_was_on_sqlite(inventory, tmp_path):
    """kill -9 while the import's transaction is open (its journal on disk): the next reader rolls it back."""
    from arcadia import do_invoice

    csv = FIXTURES / "do" / "invoice-2026-04.csv"
    header, *rows = csv.read_text().splitlines()
    big = tmp_path / "big.csv"
    big.write_text("\n".join([header] + rows * 8000) + "\n")  # ~100,000 lines: seconds of writing
    url = url_of(inventory)
    assert do_invoice.read_files([str(csv)], APRIL)  # the fixture parses
    before = line_ids(inventory)
    journal = inventory.url.database + "-journal"
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    child = subprocess.Popen([sys.executable, "-m", "arcadia", "import-do", "--period", "2026-04", str(big),
                              "--database-url", url], env=env, cwd=PROJECT_ROOT,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(3000):
            if os.path.exists(journal) or child.poll() is not None:
                break
            threading.Event().wait(0.01)
        assert child.poll() is None, "the import ended before it could be killed"
        threading.Event().wait(0.3)  # well inside the write
        child.send_signal(signal.SIGKILL)
        child.wait(30)
    finally:
        if child.poll() is None:
            child.kill()
    assert line_ids(inventory) == before and in_place(inventory) == {}
