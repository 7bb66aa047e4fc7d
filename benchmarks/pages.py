"""Page and API timings for the benchmark: a real `streamlit run app.py` and Debian's Chromium.

Against the benchmarked database (the embedded demo as the server's own copy,
anything else through ARCADIA_DATABASE_URL with an OIDC login as a platform
admin on a local mock provider):

- each page's first full render on a fresh server (cold: new process, empty
  caches) and its second visit (warm); "full render" = the page's title is
  there, Streamlit's script run is over (`stApp` script state notRunning) and
  the last of its tables, charts, metrics and notices is in the DOM (none
  new for SETTLE_S seconds; the time is that of the last one; a chart's
  own drawing after that is not waited for); `*_run_over_ms` is the time
  until the script run was over, before the browser added the tables and
  charts (the difference is the frontend's work, whatever the data size);
- the API's /margin, /accrual and /accrual?lines=false, each the first request
  to a fresh server (ms and bytes), then each with ?tenant= for one tenant on
  the last of those servers, with a token signed by a secret made for the run;
- the peak RSS (VmHWM) of a server process that has rendered every page and
  answered every one of those requests.
"""

from __future__ import annotations

import logging
import re
import secrets
import tempfile
import time
import urllib.error
import urllib.request
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import quote

from arcadia.auth import AuthConfig, mint_token
from arcadia.db import DEMO_PATH, is_demo
from arcadia.period import Period
from benchmarks.browser import (
    dashboard_with_login_process, launch_chromium, log_in_as, new_page, platform_admin, project_copy,
    streamlit_process,
)

# (slug, URL path, title prefix); the accrual page is titled without its month.
PAGES = [("pnl", "", "P&L ·"), ("tenants", "tenants", "By tenant ·"), ("by-kind", "by-kind", "By kind ·"),
         ("accrual", "accrual", "Live accrual"), ("unattributed", "unattributed", "Unattributed COGS ·")]
TIMEOUT_MS = 600_000  # a page that takes longer is reported as not rendered, not waited for
SETTLE_S = 2.5  # no new table or chart for this long after the run: the page is drawn (lazy chunks take ~1 s)
FINISHED = '[data-testid="stApp"][data-test-script-state="notRunning"]'
# What a page shows, counted in the main area: tables, charts, metrics and notices. Streamlit adds them
# after the script run is over, tables and charts last (their code is loaded on first use).
COUNT_CONTENT = """() => document.querySelectorAll(`[data-testid="stMain"] :is([data-testid="stDataFrame"],
    [data-testid="stPlotlyChart"], [data-testid="stTable"], [data-testid="stMetric"],
    [data-testid="stAlert"])`).length"""


class Dashboard:
    """Starts fresh servers on one project copy, logged in when the database is not the demo."""

    def __init__(self, url: str, workdir: Path, secret: str):
        self.demo = is_demo(url)
        self.project = project_copy(workdir, DEMO_PATH if self.demo else None)
        self.env = {"ARCADIA_API_JWT_SECRET": secret, **({} if self.demo else {"ARCADIA_DATABASE_URL": url})}

    def server(self):
        """A fresh `streamlit run app.py` (context manager yielding benchmarks.browser.Served)."""
        if self.demo:  # the demo is shown without login
            return streamlit_process(self.project, self.env)
        return dashboard_with_login_process(self.project, [platform_admin()], env=self.env)

    def page(self, browser, base: str):
        """A browser page on `base`, logged in as a platform admin unless the database is the demo."""
        page = new_page(browser, TIMEOUT_MS)
        if not self.demo:
            # The login ends on a redirect to the dashboard's root, which would render (and cache) the P&L
            # before it is timed: that one document is answered empty here; the login cookie is already set.
            # (The route stays: it matches nothing else, and removing it under a request in flight races.)
            def skip_landing(route):
                previous = route.request.redirected_from
                if previous is not None and "/oauth2callback" in previous.url:
                    route.fulfill(status=200, content_type="text/html", body="<html></html>")
                else:
                    route.fallback()

            page.route("**/*", skip_landing)
            log_in_as(page, base, platform_admin(), TIMEOUT_MS)
        return page


def render(page, url: str, title: str) -> tuple[float, float]:
    """Open `url`; (ms until its last table or chart appeared, ms until its script run was over)."""
    started = time.perf_counter()
    page.goto(url, wait_until="commit")
    page.get_by_role("heading", name=re.compile("^" + re.escape(title))).first.wait_for(timeout=TIMEOUT_MS)
    page.locator(FINISHED).wait_for(state="attached", timeout=TIMEOUT_MS)
    run_over = time.perf_counter()
    count, changed = page.evaluate(COUNT_CONTENT), run_over
    while time.perf_counter() - changed < SETTLE_S:
        if time.perf_counter() - started > TIMEOUT_MS / 1000:
            raise TimeoutError(f"{url} was still drawing after {TIMEOUT_MS / 1000:.0f} s")
        page.wait_for_timeout(50)
        now_count = page.evaluate(COUNT_CONTENT)
        if now_count != count:
            count, changed = now_count, time.perf_counter()
    if count == 0:
        raise RuntimeError(f"{url} shows no table, chart, metric or notice")
    errors = page.get_by_test_id("stException")
    if errors.count():
        raise RuntimeError(f"the page raised: {errors.first.inner_text()[:300]}")
    return round((changed - started) * 1000, 1), round((run_over - started) * 1000, 1)


def vm_hwm_mb(pid: int) -> float:
    """Peak resident set size of a process (VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    raise RuntimeError(f"no VmHWM for process {pid}")


def _api(base: str, name: str, path: str, token: str) -> dict:
    """{name_ms: the request's milliseconds, name_bytes: the body's size} or, when it fails, {name_ms: None,
    name_error: why}."""
    request = urllib.request.Request(f"{base}{path}", headers={"Authorization": f"Bearer {token}"})
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_MS / 1000) as response:
            size = len(response.read())
    except urllib.error.HTTPError as exc:
        return {f"{name}_ms": None, f"{name}_error": f"HTTP {exc.code}: {exc.read()[:300].decode(errors='replace')}"}
    except OSError as exc:
        return {f"{name}_ms": None, f"{name}_error": str(exc)[:300]}
    return {f"{name}_ms": round((time.perf_counter() - started) * 1000, 1), f"{name}_bytes": size}


def api_requests(period: Period, as_of: datetime, tenant: str | None) -> dict[str, str]:
    """The API requests timed, by name: /margin, /accrual and /accrual?lines=false, then each for one tenant."""
    instant = quote(as_of.isoformat())
    requests = {"margin": f"/api/v1/dashboard/margin?period={period}",
                "accrual": f"/api/v1/dashboard/accrual?as_of={instant}",
                "accrual_nolines": f"/api/v1/dashboard/accrual?as_of={instant}&lines=false"}
    if tenant is not None:
        requests.update({f"{name}_tenant": f"{path}&tenant={quote(tenant, safe='')}" for name, path in requests.items()})
    return requests


COLD = ("margin", "accrual", "accrual_nolines")  # each the first request to a fresh server


def _setup(url: str, workdir: Path) -> tuple[Dashboard, str]:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # the mock provider's request log is not the bench's output
    secret = secrets.token_urlsafe(48)
    token = mint_token("platform_admin", timedelta(hours=1), AuthConfig(secret=secret), sub="arcadia-bench")
    return Dashboard(url, workdir, secret), token


def _measure_api(dashboard: Dashboard, token: str, requests: dict[str, str]) -> dict:
    """Each of COLD as the first request to a fresh server (ms, bytes); the rest on the last of those servers."""
    api = {}
    for name in COLD:
        with dashboard.server() as served:
            api.update(_api(served.base, name, requests[name], token))
            if name == COLD[-1]:
                for other, path in requests.items():
                    if other not in COLD:
                        api.update(_api(served.base, other, path, token))
    return api


def _server_rss(dashboard: Dashboard, browser, token: str, requests: dict[str, str], query: str) -> float:
    """Peak RSS (MB) of a fresh server after rendering every page (when there is a browser) and every request."""
    with dashboard.server() as served:
        if browser is not None:
            page = dashboard.page(browser, served.base)
            try:
                for _, path, title in PAGES:
                    render(page, f"{served.base}/{path}?{query}", title)
            finally:
                page.context.close()
        for name, path in requests.items():
            _api(served.base, name, path, token)
        return vm_hwm_mb(served.process.pid)


def measure_api(url: str, period: Period, as_of: datetime, tenant: str | None = None, pages: bool = True) -> dict:
    """The API cold (ms and bytes: /margin, /accrual, /accrual?lines=false, and each with ?tenant=) and the peak
    RSS of a server after every page (with `pages`: Chromium) and every request; no page timings."""
    requests = api_requests(period, as_of, tenant)
    query = f"period={period.start:%Y-%m}&as_of={quote(as_of.isoformat())}"
    with tempfile.TemporaryDirectory(prefix="arcadia-bench-") as workdir:
        dashboard, token = _setup(url, Path(workdir))
        api = _measure_api(dashboard, token, requests)
        if not pages:
            return {"api": api, "server_peak_rss_mb": _server_rss(dashboard, None, token, requests, query),
                    "server_rss_note": "after every API request; no page rendered (no browser)"}
        manager, browser = launch_chromium()
        try:
            rss = _server_rss(dashboard, browser, token, requests, query)
        finally:
            browser.close()
            manager.stop()
    return {"api": api, "server_peak_rss_mb": rss}


def measure(url: str, period: Period, as_of: datetime, tenant: str | None = None) -> dict:
    """Pages cold/warm (ms, and until their run was over), the API cold (ms, bytes) and the server's peak RSS (MB)
    after every page and API request."""
    requests = api_requests(period, as_of, tenant)
    query = f"period={period.start:%Y-%m}&as_of={quote(as_of.isoformat())}"
    manager, browser = launch_chromium()
    try:
        with tempfile.TemporaryDirectory(prefix="arcadia-bench-") as workdir:
            dashboard, token = _setup(url, Path(workdir))
            api = _measure_api(dashboard, token, requests)
            pages = {}
            for slug, path, title in PAGES:
                with dashboard.server() as served:
                    page = dashboard.page(browser, served.base)
                    context, target = page.context, f"{served.base}/{path}?{query}"
                    try:
                        cold, cold_run = render(page, target, title)
                        # The second visit in a new tab of the same browser (login cookie, HTTP cache): closing
                        # the first tab ends its session, so the warm time does not wait on its last drawing.
                        warm_page = context.new_page()
                        page.close()
                        warm, warm_run = render(warm_page, target, title)
                        pages[slug] = {"cold_ms": cold, "warm_ms": warm,
                                       "cold_run_over_ms": cold_run, "warm_run_over_ms": warm_run}
                    except Exception as exc:  # one page that fails or times out does not hide the others
                        pages[slug] = {"cold_ms": None, "warm_ms": None, "cold_run_over_ms": None,
                                       "warm_run_over_ms": None, "error": str(exc).splitlines()[0][:300]}
                    finally:
                        context.close()
            server_rss = _server_rss(dashboard, browser, token, requests, query)
    finally:
        browser.close()
        manager.stop()
    return {"pages": pages, "api": api, "server_peak_rss_mb": server_rss}
