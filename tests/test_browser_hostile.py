"""Hostile database and identity-provider text in a real browser (Debian Chromium via Playwright).

A copy of the demo whose tenant, deployment, resource, catalog and cost-line texts (and kinds) are
markdown, HTML, spreadsheet formulas and Streamlit directives, as another program could write them,
is served by `streamlit run app.py`. Every page of app.py's PAGES is opened, a tenant and a
subscription are drilled into, and after each page settles:

- the browser asked nothing of any host but the dashboard's own host:port (every request is
  intercepted; one to elsewhere is recorded, aborted and fails the test);
- no link to and no image from evil.example is in the DOM, no markdown bold, math or coloured text
  was made of the data, and no exception is shown.

The security headers are checked on the page HTML and on an API response of the same server, and
a login whose email claim is hostile shows it as plain text (sidebar and "No access" screen).
"""

from __future__ import annotations

import ast
import re
import shutil
import sqlite3
import urllib.request
from contextlib import closing
from pathlib import Path
from urllib.parse import urlparse

import pytest

from benchmarks.browser import dashboard_with_login, log_in_as, oidc_user
from tests.browser_support import ROOT, click_row, project_copy, streamlit_server
from tests.conftest import DEMO_NOW
from tests.test_literal import HOSTILE as LITERAL_HOSTILE

pytestmark = [
    pytest.mark.browser,
    # Emitted by Authlib inside the mock provider's token endpoint (running in this process), not by the dashboard.
    pytest.mark.filterwarnings("ignore:get_jwt_config:DeprecationWarning"),
]
TIMEOUT = 45_000
# The hostile texts of the escaping tests, but the last (a Plotly template, which only charts could read).
HOSTILE = LITERAL_HOSTILE[:7]
# Every text a page shows from these columns becomes one of HOSTILE (by rowid); skus stay unique.
RENAMED = [
    ("tenants", "name"), ("cloud_deployments", "name"), ("cloud_projects", "name"), ("cloud_resources", "name"),
    ("cloud_resources", "size_slug"), ("cloud_resources", "region"), ("cloud_cost_lines", "description"),
    ("cloud_cost_lines", "kind"), ("cloud_cost_lines", "unit"), ("cloud_cost_lines", "provider_resource_id"),
    ("catalog_items", "name"), ("catalog_items", "sku"), ("catalog_items", "billing_kind"),
    ("tenant_invoice_lines", "description"), ("tenant_invoice_lines", "billing_kind"),
]
UNIQUE = {("catalog_items", "sku")}
# What markdown would have made of HOSTILE: none of it may be in a page.
MADE_FROM_MARKDOWN = {
    "a link to evil.example": 'a[href*="evil.example"]',
    "an image from evil.example": 'img[src*="evil.example"]',
    "bold text": 'strong:has-text("bold"), b:has-text("bold")',
    "math": ".katex",
    "coloured text": ".stMarkdownColoredText, .stMarkdownColoredBackground",
    "an exception": '[data-testid="stException"]',
}
SECURITY_HEADERS = {"X-Frame-Options": "DENY", "Content-Security-Policy": "frame-ancestors 'none'",
                    "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}


def make_hostile(db: Path) -> None:
    """Rewrite the RENAMED columns of the SQLite file `db` to HOSTILE values, with plain SQL."""
    whens = " ".join(f"WHEN {i} THEN ?" for i in range(len(HOSTILE)))
    with closing(sqlite3.connect(db)) as conn, conn:
        for table, column in RENAMED:
            unique = " || ' #' || rowid" if (table, column) in UNIQUE else ""
            conn.execute(f"UPDATE {table} SET {column} = (CASE rowid % {len(HOSTILE)} {whens} END){unique}", HOSTILE)


def page_slugs() -> list[str]:
    """The URL path of every page in app.py's PAGES (read from its source: pages added later are visited too)."""
    tree = ast.parse((ROOT / "app.py").read_text())
    pages = next(ast.literal_eval(node.value) for node in tree.body
                 if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "PAGES" for t in node.targets))
    return [slug for section in pages.values() for *_, slug in section]


class OnlyTheDashboard:
    """A browser context's request filter: the dashboard's own host:port goes on, anything else is
    recorded and aborted (with `strict` off, any localhost port goes on, e.g. a login provider)."""

    def __init__(self, base: str, strict: bool = True):
        self.netloc = urlparse(base).netloc
        self.strict = strict
        self.outside: list[str] = []

    def allowed(self, url: str) -> bool:
        parsed = urlparse(url)
        return parsed.netloc == self.netloc or (not self.strict and parsed.hostname in {"localhost", "127.0.0.1"})

    def route(self, route) -> None:
        if self.allowed(route.request.url):
            route.continue_()
        else:
            self.outside.append(route.request.url)
            route.abort()

    def websocket(self, ws) -> None:
        if not self.allowed(ws.url):  # websockets are not routed: record any that goes elsewhere
            self.outside.append(ws.url)


def guarded_page(browser, guard: OnlyTheDashboard):
    context = browser.new_context(viewport={"width": 1440, "height": 1000})
    context.route("**/*", guard.route)
    context.set_default_timeout(TIMEOUT)
    page = context.new_page()
    page.on("websocket", guard.websocket)
    return page


def settle(page) -> None:
    """Wait until the script run is over and the charts and grids have drawn."""
    page.locator('[data-testid="stMain"] h1').first.wait_for(timeout=TIMEOUT)
    page.locator('[data-testid="stStatusWidget"]').wait_for(state="hidden", timeout=TIMEOUT)
    page.wait_for_load_state("networkidle")


def assert_literal(page, guard: OnlyTheDashboard, where: str) -> None:
    assert guard.outside == [], f"{where}: requests to other hosts: {guard.outside}"
    made = {what: page.locator(selector).count() for what, selector in MADE_FROM_MARKDOWN.items()}
    assert not any(made.values()), f"{where}: made from the data: {made}"
    assert page.get_by_text("Traceback").count() == 0, where


@pytest.fixture(scope="module")
def hostile_copy(tmp_path_factory, demo_db) -> Path:
    db = tmp_path_factory.mktemp("hostile-everywhere") / "demo.sqlite"
    shutil.copy2(demo_db, db)
    make_hostile(db)
    return db


@pytest.fixture(scope="module")
def base(tmp_path_factory, hostile_copy):
    with streamlit_server(project_copy(tmp_path_factory.mktemp("served-hostile-everywhere"), hostile_copy)) as url:
        yield url


@pytest.fixture
def guard(base):
    return OnlyTheDashboard(base)


@pytest.fixture
def page(browser, guard):
    page = guarded_page(browser, guard)
    yield page
    page.context.close()


def test_the_data_is_hostile(hostile_copy):
    with closing(sqlite3.connect(hostile_copy)) as conn:
        for table, column in RENAMED:
            values = {v.split(" #")[0] for (v,) in conn.execute(f"SELECT DISTINCT {column} FROM {table}")}
            assert values <= set(HOSTILE) | {None}, (table, column)


@pytest.mark.parametrize("slug", page_slugs())
def test_every_page_shows_hostile_text_as_text(base, page, guard, slug):
    path = "" if slug == "pnl" else slug  # the default page is the root
    page.goto(f"{base}/{path}?period=2026-10&as_of={DEMO_NOW}")
    settle(page)
    assert_literal(page, guard, f"/{path}")


def test_tenant_drill_down_shows_hostile_text_as_text(base, page, guard):
    page.goto(f"{base}/tenants?period=2026-10")
    settle(page)
    click_row(page, "tenants-table", 0)
    page.get_by_text("Resources and the cost lines behind its COGS").wait_for(timeout=TIMEOUT)
    settle(page)
    assert page.locator('[data-testid="stDataFrame"]').count() == 3  # tenants, its deployments, its cost lines
    assert_literal(page, guard, "/tenants drilled into its first tenant")
    # The data did reach the page, as stored: in the grid and in the charts' tick labels (the margin chart's
    # names are on its y axis).
    cells = page.locator('td[role="gridcell"]').all_text_contents()
    ticks = page.locator('[data-testid="stPlotlyChart"] :is(.xtick, .ytick) text').all_text_contents()
    assert set(HOSTILE) & set(cells) and set(HOSTILE) & set(ticks), (cells[:20], ticks)


def test_by_kind_charts_show_hostile_kinds_as_text(base, page, guard):
    page.goto(f"{base}/by-kind?period=2026-10")
    settle(page)
    page.locator('[data-testid="stPlotlyChart"] .xtick text').first.wait_for(timeout=TIMEOUT)
    ticks = page.locator('[data-testid="stPlotlyChart"] .xtick text').all_text_contents()
    assert set(HOSTILE) <= set(ticks), ticks  # every kind, billing and provider, drawn as stored
    assert_literal(page, guard, "/by-kind")


def test_a_subscriptions_lines_show_hostile_text_as_text(base, page, guard):
    page.goto(f"{base}/accrual?as_of={DEMO_NOW}")
    settle(page)
    click_row(page, "accrual-subs", 0)
    page.get_by_text(re.compile(r" · subscription [0-9a-f-]{36}$")).wait_for(timeout=TIMEOUT)
    settle(page)
    page.locator('[data-testid="stDataFrame"]').nth(1).wait_for(timeout=TIMEOUT)  # its lines, under the subscriptions
    assert_literal(page, guard, "/accrual with a subscription selected")


def test_the_favicon_is_the_dashboards_own(base, page, guard):
    # A :material/…: page icon would be fetched from Google's font host; dashboard/icon.png is served here.
    page.goto(f"{base}/")
    settle(page)
    icons = page.evaluate("() => [...document.querySelectorAll('link[rel*=icon]')].map(link => link.href)")
    assert icons and all(icon.startswith(f"{base}/media/") for icon in icons), icons
    assert guard.outside == []


@pytest.mark.parametrize("path", ["/", "/api/v1/dashboard/margin?period=2026-10-01", "/_stcore/health"])
def test_security_headers_on_the_page_and_the_api(base, path):
    with urllib.request.urlopen(f"{base}{path}", timeout=30) as response:
        assert response.status == 200
        assert {name: response.headers[name] for name in SECURITY_HEADERS} == SECURITY_HEADERS


EMAIL = "[click](https://evil.example) **bold** :red[red] <b>b</b>"
HOSTILE_ADMIN = oidc_user("hostile-admin", {"email": EMAIL, "roles": ["platform_admin"]})
HOSTILE_USER = oidc_user("hostile-user", {"email": EMAIL, "roles": ["tenant_admin"]})


@pytest.fixture(scope="module")
def with_login(tmp_path_factory, demo_db):
    project = project_copy(tmp_path_factory.mktemp("login-hostile"), demo_db)
    with dashboard_with_login(project, [HOSTILE_ADMIN, HOSTILE_USER]) as url:
        yield url


@pytest.mark.parametrize("user, shown", [
    (HOSTILE_ADMIN, f"Signed in as {EMAIL}"),
    (HOSTILE_USER, f"You are logged in as {EMAIL}."),
])
def test_a_hostile_email_claim_is_plain_text(browser, with_login, user, shown):
    # The login goes through the provider on another localhost port; the dashboard alone after that.
    guard = OnlyTheDashboard(with_login, strict=False)
    page = guarded_page(browser, guard)
    try:
        log_in_as(page, with_login, user, TIMEOUT)
        guard.strict, guard.outside = True, []
        page.goto(f"{with_login}/?period=2026-10")
        settle(page)
        assert page.get_by_test_id("stText").filter(has_text=shown).count() == 1
        assert_literal(page, guard, f"logged in as {user.sub}")
    finally:
        page.context.close()
