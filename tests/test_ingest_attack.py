"""The importer under attack (issue 16): hostile files and servers get a clear error (exit 2 naming the file and
line, or exit 1 for the API) and write nothing; nothing an import writes can break a figure."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import sqlalchemy as sa

from arcadia import analytics, do_api, health
from arcadia.cli import main
from arcadia.period import Period, parse_instant
from tests.conftest import FIXTURES, load_sql
from tests.fake_do_api import TOKEN, FakeInvoice, item, serve_fake

CSV = (FIXTURES / "do" / "invoice-2026-04.csv").read_bytes()
PAGE = json.loads((FIXTURES / "do" / "invoice-2026-04-page-1.json").read_text())
APRIL = Period.parse("2026-04")


@pytest.fixture
def inventory(small):
    load_sql(small, "do/inventory.sql")
    return small


def url_of(engine: sa.Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def lines(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.text("SELECT COUNT(*) FROM cloud_cost_lines")).scalar()


def run_cli(capsys, *args) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def page_with(**changes) -> bytes:
    doc = json.loads(json.dumps(PAGE))
    doc["links"] = {}
    doc["meta"] = {}
    doc["invoice_items"][0].update(changes)
    return json.dumps(doc).encode()


HOSTILE_FILES = [
    # (file name, bytes, what the message says)
    ("unit.json", page_with(duration_unit=7), "(item 1): bad duration_unit 7: expected text"),
    ("digits.json", b'{"invoice_items": [], "meta": {"total": ' + b"9" * 4400 + b"}}", "a number of 4,400 characters"),
    ("deep.json", b'{"invoice_items": [], "x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", "nested"),
    ("nul.json", page_with(description="web\x00(s-1vcpu-1gb)"), "(item 1): bad description"),
    ("nul.csv", CSV.replace(b"acme-web (s-1vcpu-1gb)", b"acme-web\x00 (s-1vcpu-1gb)"), "line 2: bad description"),
    ("hours.csv", CSV.replace(b",720,2026-04-01", b",99999999999999.9999999,2026-04-01", 1), "line 2: bad hours"),
    ("usd.csv", CSV.replace(b"project_name,category", b"USD,category", 1), "column USD is given twice"),
    ("long.csv", CSV.replace(b"acme-web (s-1vcpu-1gb)", b"x" * 5000, 1), "line 2: bad description: 5,000 characters"),
]


@pytest.mark.parametrize("name, data, said", HOSTILE_FILES, ids=[f[0] for f in HOSTILE_FILES])
def test_hostile_files_are_bad_input_naming_where(inventory, tmp_path, capsys, name, data, said):
    path = tmp_path / name
    path.write_bytes(data)
    before = lines(inventory)
    code, _, err = run_cli(capsys, "import-do", "--period", "2026-04", path, "--database-url", url_of(inventory))
    assert code == 2 and said in err and name in err and "Traceback" not in err, err
    assert lines(inventory) == before


def test_the_same_export_with_other_line_endings_is_one_file(inventory, tmp_path, capsys):
    lf, crlf = tmp_path / "lf.csv", tmp_path / "crlf.csv"
    lf.write_bytes(CSV)
    crlf.write_bytes(CSV.replace(b"\n", b"\r\n"))
    code, _, err = run_cli(capsys, "import-do", "--period", "2026-04", lf, crlf, "--database-url", url_of(inventory))
    assert code == 2 and "the same file" in err
    cogs = []
    for path in (lf, crlf):  # one after the other: the same invoice id, so the second replaces the first
        code, out, _ = run_cli(capsys, "import-do", "--period", "2026-04", path, "--json",
                               "--database-url", url_of(inventory))
        assert code == 0
        cogs.append(analytics.margin_summary(inventory, APRIL).overall.cogs_cents)
    assert cogs[0] == cogs[1] == 999 + int(json.loads(out)["total"].replace(".", ""))  # one copy, not two


def test_no_import_can_overflow_a_figure(inventory, fake_api, capsys):
    """Lines each under the per-line cap that add up beyond any figure are refused; check flags such a month."""
    huge = [item(None, f"box-{n}", "999999999999.99", "2026-04-01T00:00:00Z", "2026-05-01T00:00:00Z",
                 resource_id=str(5000 + n)) for n in range(9)]  # $1 trillion each: $9 trillion together
    fake_api.invoices = [FakeInvoice("eeeeeeee-0000-4000-8000-000000000005", "2026-04", huge)]
    before = lines(inventory)
    code, _, err = run_cli(capsys, "sync-do", "--api-url", fake_api.url, "--months", "24",
                           "--database-url", url_of(inventory))
    assert code == 2 and "not a DigitalOcean invoice" in err and lines(inventory) == before
    # Rows other programs wrote can still do it: `check` names the month.
    with inventory.begin() as conn:
        for n in range(2):
            conn.exec_driver_sql(
                "INSERT INTO cloud_cost_lines (id, provider, provider_invoice_id, period, kind, product, description, "
                f"amount_cents, currency) VALUES ('f000000{n}-0000-4000-8000-000000000000', 'digitalocean', 'x', "
                "'2026-04-01', 'other', 'Other', 'huge', 999999999999999, 'USD')")
    report = health.check(inventory, APRIL, parse_instant("2026-05-02T00:00:00Z"))
    (found,) = [p for p in report.problems if p.code == "month_overflow"]
    assert found.level == health.ERROR and found.examples[0]["period"] == "2026-04-01"


@pytest.fixture
def fake_api(monkeypatch):
    yield from serve_fake(monkeypatch)


class _Drip(BaseHTTPRequestHandler):
    """Answers 200 with a body sent a byte at a time, slowly; or an error that echoes the Authorization header."""

    mode = "drip"

    def do_GET(self):  # noqa: N802
        if self.mode in ("deep", "digits"):
            body = (b'{"invoices": ' + b"[" * 100_000 + b"]" * 100_000 + b"}" if self.mode == "deep"
                    else b'{"invoices": [], "meta": {"total": ' + b"7" * 5000 + b"}}")
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        if self.mode == "echo":
            body = json.dumps({"id": "bad", "message": f"denied for {self.headers['Authorization']}\x1b[31m"}).encode()
            self.send_response(418)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        self.send_response(200)
        self.send_header("Content-Length", "1000")
        self.end_headers()
        try:
            for _ in range(1000):
                self.wfile.write(b" ")
                self.wfile.flush()
                time.sleep(0.05)
        except OSError:
            pass

    def log_message(self, *args):
        pass


@pytest.fixture
def drip():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Drip)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


def test_a_dripping_server_meets_the_request_deadline(drip, monkeypatch):
    monkeypatch.setattr(do_api, "REQUEST_DEADLINE_SECONDS", 1.0)
    _Drip.mode = "drip"
    started = time.monotonic()
    with pytest.raises(Exception) as caught:
        do_api.list_invoices(TOKEN, f"http://127.0.0.1:{drip.server_port}", sleep=lambda s: None)
    assert "took longer than 1 s" in str(caught.value) and time.monotonic() - started < 10


def test_a_body_over_the_cap_is_refused(fake_api, monkeypatch):
    monkeypatch.setattr(do_api, "MAX_BODY_BYTES", 200)
    fake_api.invoices = [FakeInvoice("eeeeeeee-0000-4000-8000-000000000006", "2026-04",
                                     [item(None, "x" * 500, "1.00", "2026-04-01T00:00:00Z", "2026-04-02T00:00:00Z")])]
    with pytest.raises(Exception, match="larger than 200 bytes"):
        do_api.list_invoices(TOKEN, fake_api.url)


def test_an_error_that_echoes_the_token_shows_neither_it_nor_control_characters(drip, inventory, monkeypatch, capsys):
    _Drip.mode = "echo"
    monkeypatch.setenv(do_api.TOKEN_ENV, TOKEN)
    code, out, err = run_cli(capsys, "sync-do", "--api-url", f"http://127.0.0.1:{drip.server_port}",
                             "--database-url", url_of(inventory))
    assert code == 1 and "418" in err and TOKEN not in out + err and "\x1b" not in err, err


def test_cost_lines_escape_terminal_control_characters(inventory, capsys):
    with inventory.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO cloud_cost_lines (id, provider, provider_invoice_id, period, kind, product, description, "
            "amount_cents, currency) VALUES ('f1000000-0000-4000-8000-000000000000', 'digitalocean', 'x', "
            "'2026-04-01', 'other', 'Other', 'evil \x1b[2J\u202egnp.exe', 100, 'USD')")
    code, out, _ = run_cli(capsys, "cost-lines", "--period", "2026-04", "--unattributed",
                           "--database-url", url_of(inventory))
    assert code == 0 and "\x1b" not in out and "\u202e" not in out and "\\x1b[2J\\u202egnp.exe" in out


@pytest.mark.parametrize("engine", ["postgresql"], indirect=True)
def test_the_same_database_check_asks_the_servers(engine):
    """`…/a?dbname=b` names a in its text and connects to b: the Import page must not take it for a."""
    from arcadia.do_import import same_database

    url = url_of(engine)
    other = url + "?dbname=postgres"
    assert same_database(url, url) and same_database(url, url + "?application_name=writer")
    assert not same_database(url, other)
    assert not same_database(url, url.replace("127.0.0.1:5432", "127.0.0.1:5999"))  # unreachable: not the same
    assert not same_database(url, "sqlite:///elsewhere.sqlite")


def test_uploads_over_the_size_or_line_limit_are_refused_before_parsing(inventory, tmp_path, capsys, monkeypatch):
    blank = tmp_path / "blank.csv"
    blank.write_bytes(CSV + b"\n" * 2_000)
    monkeypatch.setenv("ARCADIA_IMPORT_MAX_LINES", "1000")
    code, _, err = run_cli(capsys, "import-do", "--period", "2026-04", blank, "--database-url", url_of(inventory))
    assert code == 2 and "blank.csv: 2,015 lines, more than the 1,000" in err and "ARCADIA_IMPORT_MAX_LINES" in err
    monkeypatch.setenv("ARCADIA_IMPORT_MAX_LINES", "5000")
    monkeypatch.setenv("ARCADIA_IMPORT_MAX_MB", "0")
    code, _, err = run_cli(capsys, "import-do", "--period", "2026-04", blank, "--database-url", url_of(inventory))
    assert code == 2 and "ARCADIA_IMPORT_MAX_MB '0': expected a whole number above 0" in err


def test_the_import_page_parses_an_upload_once(sqlite_inventory_page, monkeypatch):
    """A widget change re-runs the page: the same upload is not parsed again."""
    from arcadia import do_invoice

    at, calls = sqlite_inventory_page
    at.selectbox(key="import-month").set_value(APRIL)
    at.file_uploader(key="import-files").upload("invoice.csv", CSV, "text/csv")
    at.run()
    assert not at.exception and calls == [1]
    at.checkbox(key="import-tax").check().run()  # another widget: the same file, month and id
    assert not at.exception and calls == [1]
    at.text_input(key="import-invoice").input("a-uuid").run()  # another id: parsed again
    assert calls == [1, 1]


@pytest.fixture
def sqlite_inventory_page(tmp_path, monkeypatch, request):
    from arcadia import do_invoice
    from tests.conftest import fresh_engine
    from tests.test_pages import ADMIN, app_test

    engine = fresh_engine("sqlite", tmp_path, request)
    load_sql(engine, "small.sql")
    load_sql(engine, "do/inventory.sql")
    calls = []
    real = do_invoice.read_uploads
    monkeypatch.setattr(do_invoice, "read_uploads", lambda *a, **k: calls.append(1) or real(*a, **k))
    monkeypatch.delenv("ARCADIA_WRITE_DATABASE_URL", raising=False)
    return app_test(url_of(engine), monkeypatch, user=ADMIN, page="pages/import_do.py"), calls


UNREADABLE = [("a1", "infinity", None), ("a2", "-infinity", None), ("a3", "0044-03-15 00:00:00+00 BC", None),
              ("a4", "10000-01-01 00:00:00+00", None), ("a5", "2026-05-01 00:00:00+00", "infinity")]


@pytest.mark.parametrize("engine", ["postgresql"], indirect=True)
def test_timestamps_no_client_can_read_are_contained(small, capsys):
    """infinity, -infinity, a BC date and year 10000 in subscriptions: the accrual skips and names them."""
    with small.begin() as conn:
        for suffix, started, ended in UNREADABLE:
            conn.exec_driver_sql(
                "INSERT INTO subscriptions (id, tenant_id, status, started_at, ended_at, currency) VALUES "
                f"('50000000-0000-4000-8000-0000000000{suffix}', 'acme', 'active', '{started}', "
                f"{'NULL' if ended is None else repr(ended)}, 'USD')")
    url = url_of(small)
    code, out, err = run_cli(capsys, "accrual", "--as-of", "2026-05-21T12:00:00Z", "--json", "--database-url", url)
    assert code == 0 and "Traceback" not in err, err
    doc = json.loads(out)
    (said,) = [w for w in doc["warnings"] if "cannot be read" in w]
    assert all(f"50000000-0000-4000-8000-0000000000{s}" in said for s, _, _ in UNREADABLE)
    assert {s["subscription_id"] for s in doc["subscriptions"]} == {"50000000-0000-4000-8000-000000000001",
                                                                     "50000000-0000-4000-8000-000000000002"}
    code, out, _ = run_cli(capsys, "check", "--json", "--database-url", url)
    problem = next(p for p in json.loads(out)["problems"] if p["code"] == "subscription_timestamps")
    assert code == 1 and problem["count"] == 5 and problem["level"] == "error"


@pytest.mark.parametrize("name, data", [(f[0], f[1]) for f in HOSTILE_FILES[:3]], ids=[f[0] for f in HOSTILE_FILES[:3]])
def test_the_import_page_shows_hostile_files_as_errors(sqlite_inventory_page, name, data):
    at, _ = sqlite_inventory_page
    at.selectbox(key="import-month").set_value(APRIL)
    at.file_uploader(key="import-files").upload(name, data, "application/json")
    at.run()
    assert not at.exception
    assert any(name in e.value or name in getattr(e, "body", "") for e in at.error) or \
        any(name in t.value for t in at.text), [e.value for e in at.error]



@pytest.mark.parametrize("mode, said", [("deep", "nested too deep"), ("digits", "a number of 5,000 characters")])
def test_hostile_json_from_the_api_is_a_clear_error(drip, inventory, monkeypatch, capsys, mode, said):
    _Drip.mode = mode
    monkeypatch.setenv(do_api.TOKEN_ENV, TOKEN)
    code, out, err = run_cli(capsys, "sync-do", "--api-url", f"http://127.0.0.1:{drip.server_port}",
                             "--database-url", url_of(inventory))
    assert code == 1 and said in err and "Traceback" not in err, err
