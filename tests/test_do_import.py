"""Importing DigitalOcean invoices (issue 10): parsing, matching to inventory, replacing, malformed files, the API
client against a local server, a write-only role, the Import page, and a 100,000-line timing.

Fixtures: tests/fixtures/do/ — inventory.sql (DO resources beside small.sql's droplets), an April 2026 CSV with a
category column, a January 2019 CSV without it, and the two JSON pages of an API invoice of April 2026.
"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from datetime import datetime
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import psycopg
import pytest
import sqlalchemy as sa

from arcadia import analytics, db, do_api, do_import, do_invoice
from arcadia.cli import main
from arcadia.errors import InputError
from arcadia.period import UTC, Period
from tests.conftest import FIXTURES, fresh_engine, load_sql

DO = FIXTURES / "do"
CSV = DO / "invoice-2026-04.csv"
OLD_CSV = DO / "invoice-2019-01-no-category.csv"
PAGES = [DO / "invoice-2026-04-page-1.json", DO / "invoice-2026-04-page-2.json"]
INVOICE_UUID = "22737513-0ea7-4206-8ceb-98a575af7681"
APRIL = Period.parse("2026-04")
UNREACHABLE = "postgresql+psycopg://postgres@127.0.0.1:5999/nowhere"


def run_cli(capsys, *args):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def url_of(engine: sa.Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


@pytest.fixture
def inventory(small):
    """small.sql plus the DigitalOcean resources of tests/fixtures/do/inventory.sql."""
    load_sql(small, "do/inventory.sql")
    return small


def stored(engine: sa.Engine, period: Period = APRIL, invoice_id: str | None = None) -> list[dict]:
    """The month's DigitalOcean cost lines (of one invoice when given), with their resource's name."""
    query = ("SELECT c.provider_invoice_id, c.description, c.kind, c.product, c.amount_cents, c.quantity, c.unit, "
             "c.start_at, c.end_at, c.provider_resource_id, CAST(c.resource_id AS TEXT) AS resource_id, r.name, "
             "c.currency FROM cloud_cost_lines AS c LEFT JOIN cloud_resources AS r ON r.id = c.resource_id "
             "WHERE c.period = :period" + (" AND c.provider_invoice_id = :invoice" if invoice_id else "")
             + " ORDER BY c.provider_invoice_id, c.description, c.amount_cents")
    with engine.connect() as conn:
        binds = {"period": str(period.start) if engine.dialect.name == "sqlite" else period.start}
        if invoice_id:
            binds["invoice"] = invoice_id
        return [dict(r) for r in conn.execute(sa.text(query), binds).mappings()]


def total(rows) -> int:
    return sum(int(r["amount_cents"]) for r in rows)


# --- Parsing: one table per rule ---------------------------------------------------------------------------


@pytest.mark.parametrize("product, kind", [
    ("Droplets", "droplet"), ("droplet", "droplet"), ("DROPLETS", "droplet"), ("Volumes", "volume"),
    ("Volume", "volume"), ("Snapshots", "snapshot"), ("Volume Snapshots", "snapshot"), ("Backups", "backup"),
    ("Droplet Backups", "backup"), ("Load Balancers", "load_balancer"), ("load balancer", "load_balancer"),
    ("Managed Databases", "database"), ("Database Clusters", "database"), ("Spaces", "spaces"),
    ("Spaces Subscription", "spaces"), ("Kubernetes Clusters", "kubernetes"), ("Kubernetes", "kubernetes"),
    ("Bandwidth", "bandwidth"), ("Taxes", "other"), ("Credits", "other"), ("App Platform", "other"), ("", "other"),
])
def test_kinds(product, kind):
    assert do_invoice.kind_of(product) == kind


@pytest.mark.parametrize("text, dollars", [
    ("$13.27", "13.27"), ("-$5.00", "-5.00"), ("$-5.00", "-5.00"), ("$1,234.56", "1234.56"), ("1234.56", "1234.56"),
    (" $0.90 ", "0.90"), ("$1,234,567.89", "1234567.89"), ("$0", "0"), ("0.005", "0.005"), ("12.00", "12.00"),
    (Decimal("-5.00"), "-5.00"), (7, "7"),
])
def test_amounts(text, dollars):
    assert do_invoice.parse_amount(text) == Decimal(dollars)


@pytest.mark.parametrize("text", ["$12.x", "", "$", "$1,23.00", "12,34", "--5", "-$-5", "NaN", "1e5", "$ 1 2",
                                  "$99999999999999.00", None, True, 1.5])
def test_bad_amounts(text):
    with pytest.raises(ValueError, match="bad amount"):
        do_invoice.parse_amount(text)


# DigitalOcean amounts have two decimals; a sub-cent amount is rounded half-up (ties away from zero), per line.
@pytest.mark.parametrize("dollars, cents", [
    ("13.27", 1327), ("-25.00", -2500), ("0.004", 0), ("0.005", 1), ("-0.005", -1), ("1.125", 113), ("-1.125", -113),
    ("1234.56", 123456), ("0", 0),
])
def test_cents(dollars, cents):
    assert do_invoice.to_cents(Decimal(dollars)) == cents


@pytest.mark.parametrize("description, name, detail", [
    ("eth (s-4vcpu-8gb)", "eth", "s-4vcpu-8gb"), ("volume-sfo2-01 (sfo2) 100GB", "volume-sfo2-01", "sfo2"),
    ("old-lb", "old-lb", None), ("Spaces ($5/mo 250GB storage & 1TB bandwidth)", "Spaces",
                                 "$5/mo 250GB storage & 1TB bandwidth"),
    ("web (unclosed", "web", None), ("  padded  ", "padded", None),
])
def test_names(description, name, detail):
    assert do_invoice.name_of(description) == (name, detail)


def test_csv_with_and_without_category():
    april = do_invoice.read_csv("april.csv", CSV.read_bytes(), APRIL)
    old = do_invoice.read_csv("old.csv", OLD_CSV.read_bytes(), Period.parse("2019-01"))
    assert len(april) == 14 and len(old) == 3
    eth = old[0]
    assert (eth.where, eth.kind, eth.amount_cents, eth.quantity, eth.unit) == ("old.csv line 2", "droplet", 1327,
                                                                             Decimal(288), "hour")
    assert eth.start_at == datetime(2019, 1, 13, 9, 39, 51, tzinfo=UTC) and eth.names == ("eth",)
    assert eth.detail == "s-4vcpu-8gb" and eth.resource_ids == ()
    assert old[2].amount_cents == 123456  # "$1,234.56"
    by_product = {i.product: i for i in april}
    assert by_product["Credits"].amount_cents == -2500 and by_product["Taxes"].is_tax
    assert by_product["Bandwidth"].quantity is None and by_product["Bandwidth"].unit is None
    k8s = by_product["Kubernetes Clusters"]
    assert k8s.description == "my-doks-cluster: pool-7x2k (s-2vcpu-4gb)" and k8s.names == ("pool-7x2k", "my-doks-cluster")


def test_json_items_with_missing_keys():
    (invoice,) = do_invoice.read_uploads([(p.name, p.read_bytes()) for p in PAGES], APRIL)
    assert invoice.invoice_id == INVOICE_UUID  # from the pages' links
    spaces, credit, tax = invoice.items[3:]
    assert (spaces.quantity, spaces.unit, spaces.end_at, spaces.resource_ids) == (None, None, None, ())
    assert (credit.product, credit.kind, credit.amount_cents, credit.description) == ("", "other", -500, "SLA credit")
    assert tax.is_tax and tax.start_at is None
    droplet = invoice.items[1]
    assert droplet.resource_ids == ("0c9f3a52-1d2b-4c1e-8f00-5a6b7c8d9e01", "1001")
    assert (droplet.quantity, droplet.unit) == (Decimal(720), "hour")


# --- Importing: matching, totals, taxes, re-import -----------------------------------------------------------

# The April CSV, line by line: (description, kind, cents, matched resource's name or why not).
CSV_LINES = [
    ("Outbound transfer overage", "bandwidth", 90, do_import.NO_MATCH),
    ("Promotional credit", "other", -2500, do_import.NO_MATCH),
    ("Spaces ($5/mo 250GB storage & 1TB bandwidth)", "spaces", 500, do_import.NO_MATCH),
    ("acme-web (s-1vcpu-1gb)", "backup", 120, "acme-web"),          # a backup bills under its droplet
    ("acme-web (s-1vcpu-1gb)", "droplet", 600, "acme-web"),
    ("dup (s-1vcpu-1gb)", "droplet", 600, do_import.SEVERAL),        # two droplets dup of one size
    ("eth (s-4vcpu-8gb)", "droplet", 4800, "eth"),                   # two named eth: the size picks one
    ("eth (s-8vcpu-16gb)", "droplet", 1327, do_import.SEVERAL),      # neither has that size
    ("my-doks-cluster: pool-7x2k (s-2vcpu-4gb)", "kubernetes", 123456, "my-doks-cluster"),  # by group description
    ("old-box (s-1vcpu-1gb)", "droplet", 600, do_import.NO_MATCH),  # deleted in March: not alive in April
    ("old-lb", "load_balancer", 1200, do_import.NO_MATCH),
    ("pg-main (db-s-1vcpu-1gb)", "database", 1500, "pg-main"),
    ("volume-sfo2-01 (sfo2) 100GB", "volume", 1000, "volume-sfo2-01"),
]


def test_csv_import_matches_by_name(inventory, capsys):
    code, out, err = run_cli(capsys, "--database-url", url_of(inventory), "import-do", "--period", "2026-04", CSV)
    assert code == 0, err
    invoice_id = do_invoice.csv_invoice_id(APRIL, CSV.read_bytes())
    rows = stored(inventory, invoice_id=invoice_id)
    got = sorted((r["description"], r["kind"], int(r["amount_cents"]), r["name"]) for r in rows)
    want = sorted((d, k, c, None if why in do_import.REASONS else why) for d, k, c, why in CSV_LINES)
    assert got == want
    assert total(rows) == 133293 and {r["currency"] for r in rows} == {"USD"}
    assert all(r["provider_resource_id"] is None for r in rows)  # a CSV names no resource ids
    eth = next(r for r in rows if r["description"] == "eth (s-4vcpu-8gb)")
    assert eth["resource_id"] == "b0000000-0000-4000-8000-000000000001"  # the s-4vcpu-8gb one
    assert (eth["quantity"] is not None and Decimal(str(eth["quantity"])) == 720 and eth["unit"] == "hour")
    assert "lines: 13   total: $1,332.93" in out and "matched to inventory: 6 lines, $1,314.76" in out
    assert "several candidates: 2 lines, $19.27" in out and "no resource id and no name match: 5 lines, -$1.10" in out
    assert "taxes skipped (not COGS): 1 line, $3.10" in out
    assert "do-2026-04 (1 line, $9.99)" in out  # small.sql's own April invoice is kept, and named


def test_taxes_only_when_asked(inventory, capsys):
    code, out, _ = run_cli(capsys, "--database-url", url_of(inventory), "import-do", "--period", "2026-04",
                           "--include-tax", "--json", CSV)
    doc = json.loads(out)
    assert code == 0 and doc["lines"] == 14 and doc["total"] == "1336.03" and doc["taxes_skipped"]["lines"] == 0
    tax = next(r for r in stored(inventory) if r["product"] == "Taxes")
    assert (tax["kind"], int(tax["amount_cents"]), tax["resource_id"]) == ("other", 310, None)


def test_json_pages_match_by_id(inventory, capsys):
    code, out, err = run_cli(capsys, "--database-url", url_of(inventory), "import-do", "--period", "2026-04",
                             "--json", *PAGES)
    assert code == 0, err
    doc = json.loads(out)
    assert doc["invoices"][0]["provider_invoice_id"] == INVOICE_UUID and doc["lines"] == 5 and doc["total"] == "22.00"
    assert doc["matched"] == {"lines": 2, "total": "18.00"}
    assert {r["reason"]: (r["lines"], r["total"]) for r in doc["unmatched"]["by_reason"]} == {
        do_import.NO_MATCH: (2, "0.00"), do_import.SEVERAL: (0, "0.00"), do_import.UNKNOWN_ID: (1, "4.00")}
    rows = {r["description"]: r for r in stored(inventory, invoice_id=INVOICE_UUID)}
    k8s = rows["my-doks-cluster: a56e086a317d8410c8b4cfd1f4dc9f82"]
    assert k8s["name"] == "my-doks-cluster" and k8s["provider_resource_id"] == "711157cb-37c8-4817-b371-44fa3504a39c"
    droplet = rows["acme-web (s-1vcpu-1gb)"]  # its resource_uuid is unknown, its resource_id is the inventory's
    assert droplet["name"] == "acme-web" and droplet["provider_resource_id"] == "1001"
    gone = rows["gone-box (s-1vcpu-1gb)"]
    assert gone["resource_id"] is None and gone["provider_resource_id"] == "999999"
    assert rows["SLA credit"]["start_at"] is not None and rows["Spaces ($5/mo 250GB storage & 1TB bandwidth)"]["end_at"] is None


def test_reimport_replaces_exactly_its_lines(inventory, capsys):
    url = url_of(inventory)
    before = analytics.by_kind(inventory, APRIL)
    run_cli(capsys, "--database-url", url, "import-do", "--period", "2026-04", CSV)
    first = stored(inventory)
    once = analytics.margin_summary(inventory, APRIL)
    code, out, _ = run_cli(capsys, "--database-url", url, "import-do", "--period", "2026-04", CSV)
    assert code == 0 and "(replaced 13 lines, $1,332.93)" in out
    again = stored(inventory)
    assert len(again) == len(first) == 14 and total(again) == total(first)  # 13 lines + small.sql's do-2026-04
    assert analytics.margin_summary(inventory, APRIL).overall == once.overall
    # The same invoice stored under the id the API uses: the pages replace it, the CSV's own lines stay.
    run_cli(capsys, "--database-url", url, "import-do", "--period", "2026-04", "--invoice", INVOICE_UUID, CSV)
    code, out, _ = run_cli(capsys, "--database-url", url, "import-do", "--period", "2026-04", *PAGES)
    assert code == 0 and "(replaced 13 lines, $1,332.93)" in out
    assert len(stored(inventory, invoice_id=INVOICE_UUID)) == 5
    assert before.cogs != analytics.by_kind(inventory, APRIL).cogs


def test_imports_of_one_invoice_at_once_leave_one_copy(inventory):
    (invoice,) = do_invoice.read_files([str(CSV)], APRIL)
    errors = []

    def run():
        try:
            do_import.import_invoices(inventory, [invoice], APRIL)
        except Exception as exc:  # noqa: BLE001 (reported below)
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and len(stored(inventory, invoice_id=invoice.invoice_id)) == 13


def test_dry_run_writes_nothing(inventory, capsys):
    code, out, _ = run_cli(capsys, "--database-url", url_of(inventory), "import-do", "--period", "2026-04",
                           "--dry-run", CSV)
    assert code == 0 and out.startswith("Would import (nothing written)") and len(stored(inventory)) == 1


# Each malformed file, made from the good April CSV: exit 2, a message naming the file and line, nothing written.
MALFORMED = [
    ("missing column", lambda t: t.replace(",USD,", ",AMOUNT,", 1), "line 1: missing column USD"),
    ("bad amount", lambda t: t.replace("$48.00", "$48.x"), "line 3: bad amount '$48.x'"),
    ("truncated row", lambda t: t[:t.index("Backups")] + "Backups,,acme-web (s-1vcpu-1gb),720,2026",
     "line 7: truncated row: 5 fields, the header has 9"),
    ("truncated quote", lambda t: t[:t.index('"$1,234')] + '"$1,23', "line 9: malformed or truncated row"),
    ("wrong period", lambda t: t.replace("2026-04-13 09:39:51", "2026-03-31 23:59:59"),
     "line 4: the item starts 2026-03-31 23:59 UTC, outside April 2026"),
    ("bad time", lambda t: t.replace("2026-04-13 09:39:51 +0000", "13/04/2026"), "line 4: bad start time '13/04/2026'"),
    ("bad hours", lambda t: t.replace(",288,", ",lots,"), "line 4: bad hours 'lots'"),
    ("empty file", lambda t: "", "line 1: empty file"),
    ("not UTF-8", lambda t: t.replace("old-lb", "old-l\udcff"), "line 11: not UTF-8"),
]


@pytest.mark.parametrize("case, change, message", MALFORMED, ids=[m[0] for m in MALFORMED])
def test_malformed_files_write_nothing(inventory, capsys, tmp_path, case, change, message):
    url = url_of(inventory)
    run_cli(capsys, "--database-url", url, "import-do", "--period", "2026-04", "--invoice", "apr", CSV)
    before = stored(inventory)
    bad = tmp_path / "bad.csv"
    bad.write_bytes(change(CSV.read_text()).encode("utf-8", "surrogateescape"))
    code, out, err = run_cli(capsys, "--database-url", url, "import-do", "--period", "2026-04", "--invoice", "apr", bad)
    assert code == 2 and out == ""
    assert err.startswith(f"error: {bad} {message}"), err
    assert stored(inventory) == before  # the earlier import of the invoice is untouched


def test_a_whole_file_of_another_month_is_refused(inventory, capsys):
    code, _, err = run_cli(capsys, "--database-url", url_of(inventory), "import-do", "--period", "2026-05", CSV)
    assert code == 2 and f"{CSV} line 2: the item starts 2026-04-01 00:00 UTC, outside May 2026" in err
    assert "is this April 2026's invoice?" in err and len(stored(inventory, Period.parse("2026-05"))) == 0


@pytest.mark.parametrize("files, message", [
    (lambda tmp: [PAGES[0]], "the pages hold 3 items but meta.total says 6: a page is missing"),
    (lambda tmp: [PAGES[0], PAGES[0]], "are the same file"),
    (lambda tmp: [CSV, PAGES[0]], "give CSV exports or the API's JSON pages, not both"),
    (lambda tmp: [tmp / "none.csv"], "none.csv: cannot read the file"),
    (lambda tmp: [_write(tmp / "p.json", '{"invoice_items": [\n  {"amount": "1.00"},\n  {"product": "Droplets"}\n]}')],
     "p.json line 3 (item 2): the item has no \"amount\""),
    (lambda tmp: [_write(tmp / "p.json", '{"invoice_items": [}')], "p.json line 1 column 20: not JSON"),
    (lambda tmp: [_write(tmp / "p.json", '{"items": []}')], "not a DigitalOcean invoice page"),
])
def test_bad_json_and_file_sets(tmp_path, capsys, files, message):
    code, _, err = run_cli(capsys, "--database-url", UNREACHABLE, "import-do", "--period", "2026-04", *files(tmp_path))
    assert code == 2 and message in err, err  # refused before the database is asked


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_unreachable_database_is_exit_1(capsys):
    code, _, err = run_cli(capsys, "--database-url", UNREACHABLE, "import-do", "--period", "2026-04", CSV)
    assert code == 1 and "cannot reach the database" in err and "Traceback" not in err


def test_preaggregates_equal_raw_rows_after_imports(inventory, capsys):
    url = url_of(inventory)
    for files, account in (([CSV], "team-a"), (PAGES, "team-b"), ([CSV], "team-a")):  # two accounts' invoices
        assert run_cli(capsys, "--database-url", url, "import-do", "--period", "2026-04", "--include-tax",
                       "--account", account, *files)[0] == 0
    summary = analytics.margin_summary(inventory, APRIL)
    assert summary == analytics.margin_summary(db.raw(inventory), APRIL)
    assert analytics.by_kind(inventory, APRIL) == analytics.by_kind(db.raw(inventory), APRIL)
    assert summary.overall.cogs_cents == 999 + 133603 + 2370  # small.sql's line + the CSV + the pages, taxes in


# --- The API: a local server with DigitalOcean's pages, one 429 and one 500 ------------------------------------


class _Invoice(BaseHTTPRequestHandler):
    pages: list[dict] = []
    faults: dict[int, list[tuple[int, dict]]] = {}
    seen: list[tuple[str, str | None]] = []

    def do_GET(self):  # noqa: N802 (http.server's name)
        parts = urlsplit(self.path)
        self.seen.append((self.path, self.headers.get("Authorization")))
        if self.headers.get("Authorization") != "Bearer test-token":
            return self._send(401, {"id": "unauthorized", "message": "Unable to authenticate you"})
        if parts.path != f"/v2/customers/my/invoices/{INVOICE_UUID}":
            return self._send(404, {"id": "not_found", "message": "The resource you requested could not be found."})
        page = int(parse_qs(parts.query).get("page", ["1"])[0])
        if self.faults.get(page):
            status, headers = self.faults[page].pop(0)
            return self._send(status, {"id": "too_many_requests" if status == 429 else "server_error"}, headers)
        origin = f"http://127.0.0.1:{self.server.server_port}"
        self._send(200, json.loads(json.dumps(self.pages[page - 1]).replace("https://api.digitalocean.com", origin)))

    def _send(self, status, doc, headers=None):
        body = json.dumps(doc).encode()
        self.send_response(status)
        for name, value in {"Content-Type": "application/json", **(headers or {})}.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def api(monkeypatch):
    """A local DigitalOcean API serving the two April pages: page 1 first answers 429 (Retry-After: 0), page 2 a 500."""
    _Invoice.pages = [json.loads(p.read_text()) for p in PAGES]
    _Invoice.faults = {1: [(429, {"Retry-After": "0"})], 2: [(500, {})]}
    _Invoice.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Invoice)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv(do_api.TOKEN_ENV, "test-token")
    monkeypatch.setattr(do_api, "BACKOFF_SECONDS", 0.01)
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def test_api_import_follows_pages_and_retries(inventory, capsys, api):
    code, out, err = run_cli(capsys, "--database-url", url_of(inventory), "import-do", "--period", "2026-04", "--api",
                             "--invoice", INVOICE_UUID, "--api-url", api, "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["lines"] == 5 and doc["total"] == "22.00" and doc["invoices"][0]["provider_invoice_id"] == INVOICE_UUID
    paths = [path for path, _ in _Invoice.seen]
    first = f"/v2/customers/my/invoices/{INVOICE_UUID}?per_page=200"
    second = f"/v2/customers/my/invoices/{INVOICE_UUID}?page=2&per_page=3"
    assert paths == [first, first, second, second]  # each page retried once, after the 429 and the 500
    assert {auth for _, auth in _Invoice.seen} == {"Bearer test-token"}
    assert total(stored(inventory, invoice_id=INVOICE_UUID)) == 2200


def test_api_waits_as_told_and_gives_up_bounded(api):
    waits = []
    _Invoice.faults = {1: [(429, {"Retry-After": "2"})], 2: [(500, {})] * 5}
    with pytest.raises(do_api.ArcadiaError, match=r"API page 2: the API is unavailable after 5 tries \(500"):
        do_api.fetch_invoice(INVOICE_UUID, APRIL, "test-token", api, sleep=waits.append)
    assert waits == [2.0, 0.01, 0.02, 0.04, 0.08]  # Retry-After honoured; then doubling backoff, 5 tries
    _Invoice.faults = {1: [(429, {"Retry-After": "3600"})]}
    with pytest.raises(do_api.ArcadiaError, match="it asks to wait 3600 s"):
        do_api.fetch_invoice(INVOICE_UUID, APRIL, "test-token", api, sleep=waits.append)


@pytest.mark.parametrize("token, invoice, message", [
    ("wrong", INVOICE_UUID, "the API refused the token (401"),
    ("test-token", "00000000-0000-4000-8000-000000000000", "the API has no such invoice (404)"),
    ("test-token", "../../account", "invalid invoice"),
])
def test_api_refusals_are_bad_input(api, token, invoice, message):
    with pytest.raises(InputError, match=re.escape(message)):
        do_api.fetch_invoice(invoice, APRIL, token, api)


def test_api_never_sends_the_token_to_another_host(api):
    _Invoice.faults = {}
    _Invoice.pages[0]["links"]["pages"]["next"] = f"https://elsewhere.example/v2/customers/my/invoices/{INVOICE_UUID}?page=2"
    with pytest.raises(do_api.ArcadiaError, match="the next page is on another host"):
        do_api.fetch_invoice(INVOICE_UUID, APRIL, "test-token", api)
    assert len(_Invoice.seen) == 1


def test_api_needs_a_token(monkeypatch, capsys):
    monkeypatch.delenv(do_api.TOKEN_ENV, raising=False)
    code, _, err = run_cli(capsys, "--database-url", UNREACHABLE, "import-do", "--period", "2026-04", "--api",
                           "--invoice", INVOICE_UUID)
    assert code == 2 and "DIGITALOCEAN_TOKEN" in err


# --- A role that may write cost lines only (PostgreSQL) --------------------------------------------------------

WRITE_ROLE_GRANTS = """
GRANT SELECT ON cloud_resources, cloud_deployments TO {role};
GRANT SELECT, INSERT, DELETE ON cloud_cost_lines, provider_invoices, provider_syncs TO {role};
"""
# The pre-aggregate triggers are not SECURITY DEFINER: they run as the importing role, and upsert these.
PREAGG_GRANTS = ("GRANT SELECT, INSERT, UPDATE, DELETE ON agg_cost_tenant, agg_cost_kind, agg_pnl_deployment, "
                 "agg_cost_resource, agg_cost_invoice TO {role};")


def inventory_on(dialect: str, tmp_path, request) -> sa.Engine:
    """The `inventory` fixture's rows on one backend only, for the tests that need that one."""
    engine = fresh_engine(dialect, tmp_path, request)
    load_sql(engine, "small.sql")
    load_sql(engine, "do/inventory.sql")
    return engine


@pytest.fixture
def pg_inventory(tmp_path, request):
    return inventory_on("postgresql", tmp_path, request)


def test_a_write_only_role_can_import_on_postgresql(pg_inventory, capsys):
    inventory = pg_inventory
    role = f"arcadia_import_{uuid.uuid4().hex[:8]}"
    admin = psycopg.connect(url_of(inventory).replace("postgresql+psycopg://", "postgresql://"), autocommit=True)
    try:
        admin.execute(f"CREATE ROLE {role} LOGIN")
        admin.execute(WRITE_ROLE_GRANTS.format(role=role))
        as_role = sa.engine.make_url(url_of(inventory)).set(username=role).render_as_string(hide_password=False)
        run_cli(capsys, "--database-url", url_of(inventory), "import-do", "--period", "2026-04", CSV)
        before = stored(inventory)
        # Without the pre-aggregates' grants the insert's trigger is refused: the delete before it is rolled back.
        code, _, err = run_cli(capsys, "--database-url", as_role, "import-do", "--period", "2026-04", CSV)
        assert code == 1 and "permission denied for table agg_cost" in err and "nothing was written" in err, err
        assert stored(inventory) == before
        admin.execute(PREAGG_GRANTS.format(role=role))
        code, out, err = run_cli(capsys, "--database-url", as_role, "import-do", "--period", "2026-04", CSV)
        assert code == 0 and "(replaced 13 lines, $1,332.93)" in out, err
        assert total(stored(inventory)) == total(before)
        assert analytics.margin_summary(inventory, APRIL) == analytics.margin_summary(db.raw(inventory), APRIL)
        with psycopg.connect(as_role.replace("postgresql+psycopg://", "postgresql://")) as conn:  # and nothing else
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute("DELETE FROM tenant_invoices")
    finally:
        db.forget_engines()  # the role's pooled connections, before the role is dropped
        admin.execute(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '{role}'")
        admin.execute(f"DROP OWNED BY {role}")
        admin.execute(f"DROP ROLE {role}")
        admin.close()


# --- The Import page ------------------------------------------------------------------------------------------


@pytest.fixture
def sqlite_inventory(tmp_path, request):
    return inventory_on("sqlite", tmp_path, request)


def _import_page(engine, monkeypatch, write_url):
    from tests.test_pages import ADMIN, app_test

    if write_url is None:
        monkeypatch.delenv("ARCADIA_WRITE_DATABASE_URL", raising=False)
    else:
        monkeypatch.setenv("ARCADIA_WRITE_DATABASE_URL", write_url)
    return app_test(url_of(engine), monkeypatch, user=ADMIN, page="pages/import_do.py")


def test_import_page_without_a_write_url_explains_and_previews(sqlite_inventory, monkeypatch):
    at = _import_page(sqlite_inventory, monkeypatch, None)
    assert not at.exception and at.title[0].value == "Import a DigitalOcean invoice"
    assert any("ARCADIA_WRITE_DATABASE_URL" in i.value and "Imports are off" in i.value for i in at.info)
    at.selectbox(key="import-month").set_value(APRIL)
    at.file_uploader(key="import-files").upload(CSV.name, CSV.read_bytes(), "text/csv")
    at.run()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Lines"] == "13" and metrics["Total"] == "$1,332.93"
    assert at.button(key="import-confirm").disabled
    assert len(stored(sqlite_inventory)) == 1  # nothing written


def test_import_page_uploads_previews_and_writes(sqlite_inventory, monkeypatch, tmp_path):
    at = _import_page(sqlite_inventory, monkeypatch, url_of(sqlite_inventory))
    assert not at.info or not any("Imports are off" in i.value for i in at.info)
    at.selectbox(key="import-month").set_value(APRIL)
    at.file_uploader(key="import-files").upload(CSV.name, CSV.read_bytes(), "text/csv")
    at.run()
    frame = at.dataframe[0].value
    assert len(frame) == 13 and set(frame["unmatched because"].dropna()) == {do_import.NO_MATCH, do_import.SEVERAL}
    assert any("not imported before" in t.value for t in at.text)
    at.button(key="import-confirm").click().run()
    assert not at.exception and any("Imported 13 lines into April 2026" in s.value for s in at.success)
    assert any("Imported: DigitalOcean 1 invoice for April 2026" in t.value for t in at.text)
    assert total(stored(sqlite_inventory)) == 133293 + 999
    at.button(key="import-confirm").click().run()  # again: replaced, not doubled
    assert any("replaced 13 lines, $1,332.93" in t.value for t in at.text)
    assert total(stored(sqlite_inventory)) == 133293 + 999
    at.text_input(key="import-invoice").input(INVOICE_UUID).run()  # stored under the id given instead
    at.button(key="import-confirm").click().run()
    assert len(stored(sqlite_inventory, invoice_id=INVOICE_UUID)) == 13
    # A write URL naming another database: refused, and said which.
    other = tmp_path / "other.sqlite"
    at = _import_page(sqlite_inventory, monkeypatch, f"sqlite:///{other}")
    assert any("names another database" in e.value for e in at.error) and not other.exists()


def test_import_page_shows_a_bad_file_as_plain_text(sqlite_inventory, monkeypatch):
    at = _import_page(sqlite_inventory, monkeypatch, url_of(sqlite_inventory))
    at.selectbox(key="import-month").set_value(APRIL)
    at.file_uploader(key="import-files").upload("**bold**.csv", b"product,USD\nDroplets,$1\n", "text/csv")
    at.run()
    assert not at.exception and any("Invalid input" in e.value for e in at.error)
    assert any(t.value.startswith("**bold**.csv line 1: missing columns") for t in at.text)


# --- 100,000 lines -----------------------------------------------------------------------------------------------


@pytest.mark.benchmark
def test_a_100000_line_invoice(inventory, tmp_path, capsys):
    """Prints how long parsing and importing 100,000 lines takes (no timed assertion: CI machines vary)."""
    from benchmarks.do_import import big_invoice

    path = tmp_path / "big.csv"
    path.write_bytes(big_invoice(100_000, APRIL))
    started = time.perf_counter()
    (invoice,) = do_invoice.read_files([str(path)], APRIL)
    parsed = time.perf_counter()
    result = do_import.import_invoices(inventory, [invoice], APRIL)
    done = time.perf_counter()
    again = do_import.import_invoices(inventory, [invoice], APRIL)  # a re-import deletes 100,000 lines first
    redone = time.perf_counter()
    with capsys.disabled():
        print(f"\n100,000-line DigitalOcean CSV on {inventory.dialect.name}: parse {parsed - started:.2f} s, "
              f"match + write {done - parsed:.2f} s, re-import {redone - done:.2f} s")
    assert len(result.lines) == 100_000 and again.replaced == (100_000, result.total_cents)
    assert len(stored(inventory)) == 100_001
