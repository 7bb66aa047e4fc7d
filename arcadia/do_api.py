"""DigitalOcean's billing API: an invoice's items (`GET /v2/customers/my/invoices/{uuid}` or `…/preview`, every
page), the list of invoices with the current preview (`GET /v2/customers/my/invoices`), and the balance.

Standard library only (urllib). Pages are followed through `links.pages.next`, only on the API's own
origin (the token is never sent anywhere else). 429 and 5xx answers, and connections that fail, are
retried a bounded number of times: Retry-After is honoured, otherwise the wait doubles from
BACKOFF_SECONDS; no single wait is longer than MAX_WAIT_SECONDS and all of them together no longer
than TOTAL_WAIT_SECONDS.

A missing token, a token or invoice the API refuses (401, 403, 404) are InputErrors (exit 2); an API
that stays unavailable is an ArcadiaError (exit 1).
"""

from __future__ import annotations

import json
import os
import re
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from email.utils import parsedate_to_datetime
from urllib.parse import quote, urlsplit

from arcadia.do_invoice import FINAL, PREVIEW, Invoice, Page, combine_pages, loads, parse_amount, parse_page
from arcadia.errors import ArcadiaError, InputError, shown
from arcadia.period import UTC, Period, parse_instant

DEFAULT_API_URL = "https://api.digitalocean.com"
TOKEN_ENV = "DIGITALOCEAN_TOKEN"
PER_PAGE = 200  # the API's maximum: fewest requests
TRIES = 5
BACKOFF_SECONDS = 0.5
MAX_WAIT_SECONDS = 30.0
TOTAL_WAIT_SECONDS = 60.0
REQUEST_TIMEOUT_SECONDS = 30.0
MAX_PAGES = 10_000
RETRIED = {429, 500, 502, 503, 504}
MAX_BODY_BYTES = 64 * 2**20  # an invoice page of 200 items is ~100 KB
REQUEST_DEADLINE_SECONDS = 120.0  # one request, from sending it to the body's last byte


def token_from_env(env=None) -> str:
    token = (os.environ if env is None else env).get(TOKEN_ENV, "").strip()
    if not token:
        raise InputError(f"--api needs a DigitalOcean API token in ${TOKEN_ENV} (read access to billing)")
    return token


PREVIEW_KEYWORD = "preview"  # the API's name for the month in progress's invoice, in place of a UUID


@dataclass(frozen=True)
class Listed:
    """An invoice as `GET /v2/customers/my/invoices` lists it: a final one, or the daily preview."""

    invoice_uuid: str
    period: Period  # from its invoice_period 'YYYY-MM': the month comes from the API, never guessed
    amount: Decimal
    updated_at: datetime | None
    source: str  # FINAL or PREVIEW


@dataclass(frozen=True)
class Listing:
    invoices: tuple[Listed, ...]  # the final invoices, newest month first
    preview: Listed | None


def fetch_invoice(invoice_uuid: str, period: Period, token: str, api_url: str = DEFAULT_API_URL,
                  sleep: Callable[[float], None] = time.sleep, source: str = FINAL,
                  as_of: datetime | None = None, ask_as: str | None = None) -> Invoice:
    """Every item of the invoice, page after page, checked like the JSON files (every item in `period`).

    `ask_as` is the name asked for in the URL when it is not the UUID (the preview: 'preview'); the pages'
    links may then name either. The lines are stored under `invoice_uuid`, as a `source` (FINAL or PREVIEW).
    """
    invoice_uuid = invoice_uuid.strip()
    for name in (invoice_uuid, ask_as or invoice_uuid):
        if not name or len(name) > 100 or not all(c.isascii() and (c.isalnum() or c == "-") for c in name):
            raise InputError(f"invalid invoice {shown(name)}: expected the invoice's UUID (or 'preview')")
    asked = ask_as or invoice_uuid
    base = api_url.rstrip("/")
    origin = _origin(base)
    url = f"{base}/v2/customers/my/invoices/{quote(asked)}?per_page={PER_PAGE}"
    pages: list[Page] = []
    for page in _pages(url, token, origin, f"invoice {asked}", sleep,
                       lambda doc, where: parse_page(doc, where, period)):
        if page.invoice_uuid not in (None, invoice_uuid, asked):
            raise ArcadiaError(f"API page {len(pages) + 1}: the API's links name invoice {page.invoice_uuid}, "
                               f"not {invoice_uuid}")
        pages.append(page)
    return Invoice(invoice_uuid, (f"{origin} {'preview' if source == PREVIEW else 'invoice'} {invoice_uuid} "
                                  f"({len(pages)} page{'s' * (len(pages) != 1)})",),
                   combine_pages(pages, f"invoice {invoice_uuid}"), source, as_of)


def list_invoices(token: str, api_url: str = DEFAULT_API_URL, sleep: Callable[[float], None] = time.sleep) -> Listing:
    """The account's invoices and its current preview (`GET /v2/customers/my/invoices`, every page)."""
    base = api_url.rstrip("/")
    origin = _origin(base)
    finals: dict[str, Listed] = {}
    preview = None
    for doc in _pages(f"{base}/v2/customers/my/invoices?per_page={PER_PAGE}", token, origin, "the invoice list",
                      sleep, _list_page):
        for listed in doc["invoices"]:
            finals[listed.invoice_uuid] = listed
        preview = doc["preview"] or preview
    ordered = sorted(finals.values(), key=lambda i: (i.period.start, i.invoice_uuid), reverse=True)
    return Listing(tuple(ordered), preview)


def month_to_date_usage(token: str, api_url: str = DEFAULT_API_URL,
                        sleep: Callable[[float], None] = time.sleep) -> tuple[Decimal, datetime | None]:
    """The account's usage so far this month and when DigitalOcean computed it (`GET /v2/customers/my/balance`)."""
    base = api_url.rstrip("/")
    doc = _get_json(f"{base}/v2/customers/my/balance", token, "the balance", _Budget(), sleep)
    where = "the balance"
    if not isinstance(doc, dict):
        raise ArcadiaError(f"{where}: the API's answer is not a JSON object")
    try:
        usage = parse_amount(doc.get("month_to_date_usage"))
    except ValueError as exc:
        raise ArcadiaError(f"{where}: month_to_date_usage: {exc}") from None
    return usage, _instant_or_none(doc.get("generated_at"), f"{where}: generated_at")


def _list_page(doc: object, where: str) -> dict:
    """One page of the invoice list: its final invoices and its preview, each checked."""
    if not isinstance(doc, dict) or not isinstance(doc.get("invoices", []), list):
        raise ArcadiaError(f"{where}: not a DigitalOcean invoice list (no \"invoices\" list)")
    invoices = [_listed(raw, f"{where} invoice {n}", FINAL) for n, raw in enumerate(doc.get("invoices") or [], 1)]
    raw_preview = doc.get("invoice_preview")
    preview = None if raw_preview in (None, {}) else _listed(raw_preview, f"{where} invoice_preview", PREVIEW)
    return {"invoices": invoices, "preview": preview, "next": _next_url(doc)}


def _listed(raw: object, where: str, source: str) -> Listed:
    if not isinstance(raw, dict):
        raise ArcadiaError(f"{where}: an invoice is a JSON object, not {type(raw).__name__}")
    uuid = raw.get("invoice_uuid")
    if not isinstance(uuid, str) or not uuid.strip() or len(uuid) > 100 or not all(
            c.isascii() and (c.isalnum() or c == "-") for c in uuid.strip()):
        raise ArcadiaError(f"{where}: bad invoice_uuid {shown(uuid)}")
    month = raw.get("invoice_period")
    if not isinstance(month, str) or len(month.strip()) != 7:
        raise ArcadiaError(f"{where}: bad invoice_period {shown(month)}: expected YYYY-MM")
    try:
        period, amount = Period.parse(month.strip()), parse_amount(raw.get("amount"))
    except (InputError, ValueError) as exc:
        raise ArcadiaError(f"{where}: {exc}") from None
    return Listed(uuid.strip(), period, amount, _instant_or_none(raw.get("updated_at"), f"{where}: updated_at"), source)


def _instant_or_none(value: object, where: str) -> datetime | None:
    if value is None or value == "":
        return None
    try:
        return parse_instant(value)
    except InputError as exc:
        raise ArcadiaError(f"{where}: {exc}") from None


def _next_url(doc: dict) -> str | None:
    links = doc.get("links") if isinstance(doc.get("links"), dict) else {}
    pages = links.get("pages") if isinstance(links.get("pages"), dict) else {}
    return pages.get("next") if isinstance(pages.get("next"), str) else None


def _pages(url: str, token: str, origin: str, what: str, sleep, parse) -> Iterator:
    """Each page of a paginated answer, parsed (`parse(doc, where)`), following links.pages.next on the API's own
    origin only (the token is never sent anywhere else), bounded in count and never looping."""
    seen, budget, n = set(), _Budget(), 0
    while url is not None:
        if url in seen or n >= MAX_PAGES:
            raise ArcadiaError(f"the API's pages of {what} do not end (page {n + 1}: {url})")
        seen.add(url)
        n += 1
        where = f"API page {n}"
        page = parse(_get_json(url, token, where, budget, sleep), where)
        yield page
        url = page["next"] if isinstance(page, dict) else page.next_url
        if url is not None and _origin(url) != origin:
            raise ArcadiaError(f"{where}: the next page is on another host ({_origin(url)}); the token is only "
                               f"sent to {origin}")


def api_origin(url: str) -> str:
    """The scheme and host of the API's URL, the only place the token is sent; InputError when it is no URL."""
    return _origin(url)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InputError(f"invalid API URL {url!r}: expected e.g. {DEFAULT_API_URL}")
    return f"{parts.scheme}://{parts.netloc}".lower()


class _Budget:
    """The waits left: TRIES attempts per request, TOTAL_WAIT_SECONDS in all."""

    def __init__(self):
        self.waited = 0.0


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Redirects are not followed: urllib would send the token along to wherever they point."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def _get_json(url: str, token: str, source: str, budget: _Budget, sleep) -> object:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}", "Accept": "application/json",
                                                   "User-Agent": "arcadia-import-do"})
    for attempt in range(1, TRIES + 1):
        retry_after = None
        try:
            with _OPENER.open(request, timeout=REQUEST_TIMEOUT_SECONDS) as response:
                body = _body(response, source, time.monotonic() + REQUEST_DEADLINE_SECONDS)
            break
        except urllib.error.HTTPError as exc:
            if 300 <= exc.code < 400:
                raise ArcadiaError(f"{source}: the API answered {exc.code} (a redirect to "
                                   f"{_redirect_host(exc)}); redirects are not followed, so the token stays with "
                                   "the API") from None
            if exc.code in (401, 403):
                raise InputError(f"{source}: the API refused the token ({exc.code} {exc.reason}): check "
                                 f"${TOKEN_ENV} (it needs read access to billing)") from None
            if exc.code == 404:
                raise InputError(f"{source}: the API has no such invoice (404): {url}") from None
            if exc.code not in RETRIED:
                raise ArcadiaError(f"{source}: the API answered {exc.code} {exc.reason}: {_detail(exc)}") from None
            failure, retry_after = f"{exc.code} {exc.reason}", _retry_after(exc.headers.get("Retry-After"))
        except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
            failure = f"cannot reach the API ({getattr(exc, 'reason', exc)})"
        wait = min(MAX_WAIT_SECONDS, BACKOFF_SECONDS * 2 ** (attempt - 1)) if retry_after is None else retry_after
        if attempt == TRIES or wait > MAX_WAIT_SECONDS or budget.waited + wait > TOTAL_WAIT_SECONDS:
            asked = f"; it asks to wait {wait:g} s" if retry_after is not None and attempt < TRIES else ""
            raise ArcadiaError(f"{source}: the API is unavailable after {attempt} tr{'ies' if attempt > 1 else 'y'} "
                               f"({failure}{asked}); try again later") from None
        budget.waited += wait
        sleep(wait)
    try:
        return loads(body)
    except (ValueError, UnicodeDecodeError) as exc:  # not JSON, or beyond the bounds of an invoice
        raise ArcadiaError(f"{source}: the API's answer is not an invoice's JSON ({exc})") from None


def _body(response, source: str, deadline: float) -> bytes:
    """The answer's body, read as it arrives: at most MAX_BODY_BYTES, within the request's deadline (a server that
    drips a byte a second never times a single read out)."""
    chunks, size = [], 0
    while chunk := response.read1(65536):
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise ArcadiaError(f"{source}: the API's answer is larger than {MAX_BODY_BYTES:,} bytes: not an invoice page")
        if time.monotonic() > deadline:
            raise ArcadiaError(f"{source}: the API's answer took longer than {REQUEST_DEADLINE_SECONDS:g} s; try "
                               "again later")
        chunks.append(chunk)
    return b"".join(chunks)


def _redirect_host(exc: urllib.error.HTTPError) -> str:
    try:
        return _origin(exc.headers.get("Location") or "")
    except InputError:
        return "an unreadable address"


def _retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header (seconds or an HTTP date); None when absent or unreadable."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.now(UTC)).total_seconds()) if when.tzinfo else None


def _detail(exc: urllib.error.HTTPError) -> str:
    try:
        doc = json.loads(exc.read() or b"{}")
    except (json.JSONDecodeError, UnicodeDecodeError, OSError):
        return "no detail"
    if not isinstance(doc, dict):
        return "no detail"
    # The server's words, shown to a user: no control characters, and never anything after "Bearer".
    text = str(doc.get("message") or doc.get("id") or "no detail")[:200]
    text = re.sub(r"(?i)bearer\s+\S+", "Bearer [token]", text)
    return "".join(c if c.isprintable() else "?" for c in text)
