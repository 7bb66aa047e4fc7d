"""Fetch a DigitalOcean invoice from the API: `GET /v2/customers/my/invoices/{uuid}`, every page.

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
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from email.utils import parsedate_to_datetime
from urllib.parse import quote, urlsplit

from arcadia.do_invoice import Invoice, Page, combine_pages, parse_page
from arcadia.errors import ArcadiaError, InputError
from arcadia.period import UTC, Period

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


def token_from_env(env=None) -> str:
    token = (os.environ if env is None else env).get(TOKEN_ENV, "").strip()
    if not token:
        raise InputError(f"--api needs a DigitalOcean API token in ${TOKEN_ENV} (read access to billing)")
    return token


def fetch_invoice(invoice_uuid: str, period: Period, token: str, api_url: str = DEFAULT_API_URL,
                  sleep: Callable[[float], None] = time.sleep) -> Invoice:
    """Every item of the invoice, page after page, checked like the JSON files (every item in `period`)."""
    invoice_uuid = invoice_uuid.strip()
    if not invoice_uuid or not all(c.isalnum() or c == "-" for c in invoice_uuid):
        raise InputError(f"invalid invoice {invoice_uuid!r}: expected the invoice's UUID (or 'preview')")
    base = api_url.rstrip("/")
    origin = _origin(base)
    url = f"{base}/v2/customers/my/invoices/{quote(invoice_uuid)}?per_page={PER_PAGE}"
    pages: list[Page] = []
    seen, budget = set(), _Budget()
    while url is not None:
        if url in seen or len(pages) >= MAX_PAGES:
            raise ArcadiaError(f"the API's pages of invoice {invoice_uuid} do not end (page {len(pages) + 1}: {url})")
        seen.add(url)
        source = f"API page {len(pages) + 1}"
        doc = _get_json(url, token, source, budget, sleep)
        page = parse_page(doc, source, period)
        if page.invoice_uuid not in (None, invoice_uuid):
            raise ArcadiaError(f"{source}: the API's links name invoice {page.invoice_uuid}, not {invoice_uuid}")
        pages.append(page)
        url = page.next_url
        if url is not None and _origin(url) != origin:
            raise ArcadiaError(f"{source}: the next page is on another host ({_origin(url)}); the token is only "
                               f"sent to {origin}")
    return Invoice(invoice_uuid, (f"{origin} invoice {invoice_uuid} ({len(pages)} page{'s' * (len(pages) != 1)})",),
                   combine_pages(pages, f"invoice {invoice_uuid}"))


def _origin(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InputError(f"invalid API URL {url!r}: expected e.g. {DEFAULT_API_URL}")
    return f"{parts.scheme}://{parts.netloc}".lower()


class _Budget:
    """The waits left: TRIES attempts per request, TOTAL_WAIT_SECONDS in all."""

    def __init__(self):
        self.waited = 0.0


def _get_json(url: str, token: str, source: str, budget: _Budget, sleep) -> object:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}", "Accept": "application/json",
                                                   "User-Agent": "arcadia-import-do"})
    for attempt in range(1, TRIES + 1):
        retry_after = None
        try:
            with urllib.request.urlopen(request, timeout=REQUEST_TIMEOUT_SECONDS) as response:
                body = response.read()
            break
        except urllib.error.HTTPError as exc:
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
        return json.loads(body, parse_float=Decimal)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ArcadiaError(f"{source}: the API's answer is not JSON ({exc})") from None


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
    return str(doc.get("message") or doc.get("id") or "no detail")[:200] if isinstance(doc, dict) else "no detail"
