"""A local fake of DigitalOcean's billing API for the sync and import tests (loopback only, stops by itself).

It serves what `arcadia.do_api` asks for: `GET /v2/customers/my/invoices` (final invoices and the current
`invoice_preview`, paginated), `GET /v2/customers/my/invoices/{uuid|preview}` (items, paginated: the page links
say `preview` or the preview's UUID, as `preview_links` chooses) and `GET /v2/customers/my/balance`. A wrong
token gets 401; `faults` queues answers (status, headers) for paths starting with a prefix. Every request is
logged with its Authorization header.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

TOKEN = "dop_v1_fake-token-never-shown"


def item(resource_uuid: str | None, description: str, amount: str, start: str, end: str, product: str = "Droplets",
         **extra) -> dict:
    """An invoice item as the API gives it."""
    return {"product": product, "resource_uuid": resource_uuid, "group_description": "", "description": description,
            "amount": amount, "duration": "1", "duration_unit": "Hours", "start_time": start, "end_time": end,
            "project_name": "Default", "category": "iaas", **extra}


@dataclass
class FakeInvoice:
    uuid: str
    period: str  # YYYY-MM
    items: list[dict]
    updated_at: str | None = None

    @property
    def amount(self) -> str:
        return f"{sum(Decimal(i['amount']) for i in self.items):.2f}"


@dataclass
class FakeDigitalOcean:
    token: str = TOKEN
    invoices: list[FakeInvoice] = field(default_factory=list)  # final invoices
    preview: FakeInvoice | None = None
    usage: str | None = None  # the balance's month_to_date_usage (default: the preview's amount)
    per_page: int = 2  # small pages, so that every test paginates
    preview_links: str = "preview"  # what the preview's page links name: "preview" or "uuid"
    faults: dict[str, list[tuple[int, dict]]] = field(default_factory=dict)
    redirect_to: str | None = None  # answer every request with a 302 there
    requests: list[tuple[str, str]] = field(default_factory=list)

    def __post_init__(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 — http.server's name
                fake.requests.append((self.path, self.headers.get("Authorization", "")))
                status, body, headers = fake.answer(self.path, self.headers.get("Authorization", ""))
                data = json.dumps(body).encode()
                self.send_response(status)
                for name, value in {"Content-Type": "application/json", **headers}.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def answer(self, raw_path: str, auth: str) -> tuple[int, dict, dict]:
        path, query = urlsplit(raw_path).path, parse_qs(urlsplit(raw_path).query)
        for prefix, queued in self.faults.items():
            if path.startswith(prefix) and queued:
                status, headers = queued.pop(0)
                return status, {"id": "fault", "message": f"fault {status}"}, headers
        if self.redirect_to:
            return 302, {}, {"Location": self.redirect_to + raw_path}
        if auth != f"Bearer {self.token}":
            return 401, {"id": "unauthorized", "message": "Unable to authenticate you"}, {}
        page = int(query.get("page", ["1"])[0])
        if path == "/v2/customers/my/balance":
            usage = self.usage if self.usage is not None else (self.preview.amount if self.preview else "0.00")
            return 200, {"month_to_date_balance": usage, "account_balance": "0.00", "month_to_date_usage": usage,
                         "generated_at": "2026-04-06T06:00:00Z"}, {}
        if path == "/v2/customers/my/invoices":
            rows = [{"invoice_uuid": i.uuid, "invoice_id": i.uuid[:8], "amount": i.amount, "invoice_period": i.period,
                     "updated_at": i.updated_at or f"{i.period}-01T00:00:00Z"} for i in self.invoices]
            doc = self._paged(rows, page, "/v2/customers/my/invoices", "invoices")
            if self.preview is not None:
                doc["invoice_preview"] = {"invoice_uuid": self.preview.uuid, "amount": self.preview.amount,
                                          "invoice_period": self.preview.period, "updated_at": self.preview.updated_at}
            return 200, doc, {}
        name = path.rsplit("/", 1)[-1]
        found = self.preview if name == "preview" else next((i for i in self.invoices if i.uuid == name), None)
        if found is None and self.preview is not None and name == self.preview.uuid:
            found = self.preview
        if found is None:
            return 404, {"id": "not_found", "message": "The resource you were accessing could not be found."}, {}
        linked = "preview" if found is self.preview and self.preview_links == "preview" else found.uuid
        return 200, self._paged(found.items, page, f"/v2/customers/my/invoices/{linked}", "invoice_items"), {}

    def _paged(self, rows: list, page: int, path: str, key: str) -> dict:
        first = (page - 1) * self.per_page
        doc = {key: rows[first:first + self.per_page], "links": {"pages": {}}, "meta": {"total": len(rows)}}
        if first + self.per_page < len(rows):
            doc["links"]["pages"]["next"] = f"{self.url}{path}?page={page + 1}&per_page={self.per_page}"
        return doc


def serve_fake(monkeypatch):
    """A fake API for one test (a generator for a fixture): the token in the environment, retries without waiting."""
    from arcadia import do_api

    api = FakeDigitalOcean()
    monkeypatch.setenv(do_api.TOKEN_ENV, TOKEN)
    monkeypatch.setattr(do_api, "BACKOFF_SECONDS", 0.01)
    yield api
    api.stop()
