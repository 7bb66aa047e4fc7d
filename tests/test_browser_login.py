"""OIDC login end to end: Debian's Chromium, `streamlit run app.py` and a mock OIDC provider, all on localhost.

The module starts oidc-provider-mock in a thread with two predefined users,
writes an `[auth]` section pointing at it into the served project copy's
`.streamlit/secrets.toml`, and walks through the login as a person would:

1. logged out, the dashboard shows only the "Log in" button and no figures;
2. "Log in" goes to the provider, the admin (roles: platform_admin) is picked
   there, and back on the dashboard the P&L page shows the April 2026 figures;
3. in a fresh browser context, a tenant admin (no platform_admin role, but a
   tenant_id that *looks* like one) gets "No access" and a "Log out" button,
   and no figure anywhere, not even on the P&L page's URL with ?period=.

A last test logs in with the `[auth]` section shaped like
.streamlit/secrets.toml.example (with `client_kwargs`, a sub-table that is a
setting, not a named provider).

Every request the browser makes to a host other than localhost is aborted
(the provider's page links a CDN stylesheet, Streamlit a Google-hosted page
icon), so nothing leaves the machine.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from benchmarks.browser import dashboard_with_login, log_in_as, new_page, oidc_user, platform_admin, project_copy

pytestmark = [
    pytest.mark.browser,
    # Emitted by Authlib inside the mock's token endpoint (running in this process), not by the dashboard.
    pytest.mark.filterwarnings("ignore:get_jwt_config:DeprecationWarning"),
]

TIMEOUT = 30_000  # ms; the first render of a fresh server is slow on 2 cores
APRIL_REVENUE = "$71.12"  # April 2026 revenue of the demo built as of conftest.DEMO_NOW
ADMIN = platform_admin()
# Not an admin: tenant_admin is the wrong role, and a tenant_id of "platform-admin" must not count either.
TENANT_ADMIN = oidc_user("tenant-admin", {"email": "user@acme.test", "roles": ["tenant_admin"],
                                          "tenant_id": "platform-admin"})
USERS = [ADMIN, TENANT_ADMIN]


@pytest.fixture(scope="module")
def dashboard(tmp_path_factory, demo_db):
    """Base URL of the dashboard with the minimal `[auth]` section, shared by the scenario's tests."""
    with dashboard_with_login(project_copy(tmp_path_factory.mktemp("login"), demo_db), USERS) as base:
        yield base


@pytest.fixture
def page(browser):
    """A page in a fresh browser context: no cookies, so no login carried over from an earlier test."""
    page = new_page(browser, TIMEOUT)
    yield page
    page.context.close()


def settled(page: Page) -> None:
    """Wait until the script run has finished, so a missing element is really missing and not just late."""
    page.wait_for_load_state("networkidle")
    expect(page.get_by_test_id("stStatusWidget")).to_be_hidden(timeout=TIMEOUT)


def revenue_metric_value(page: Page):
    revenue = page.get_by_test_id("stMetric").filter(
        has=page.get_by_test_id("stMetricLabel").get_by_text("Revenue", exact=True))
    return revenue.get_by_test_id("stMetricValue")


def assert_no_figures(page: Page) -> None:
    settled(page)
    expect(page.get_by_test_id("stMetric")).to_have_count(0)
    expect(page.get_by_role("heading", name="P&L ·")).to_have_count(0)
    assert APRIL_REVENUE not in page.content()


def test_logged_out_shows_only_the_login_button(dashboard, page):
    page.goto(f"{dashboard}/?period=2026-04")
    expect(page.get_by_role("button", name="Log in")).to_be_visible(timeout=TIMEOUT)
    expect(page.get_by_role("heading", name="Arcadia margin dashboard")).to_be_visible()
    assert_no_figures(page)
    # No page navigation and no period picker either: the gate stops the run before them.
    expect(page.get_by_test_id("stSidebarNav")).to_have_count(0)
    expect(page.get_by_test_id("stSelectbox")).to_have_count(0)


def test_platform_admin_logs_in_and_sees_the_pnl(dashboard, page):
    log_in_as(page, dashboard, ADMIN, TIMEOUT)
    expect(page.get_by_role("heading", name="P&L ·")).to_be_visible(timeout=TIMEOUT)
    expect(page.get_by_text("Signed in as admin@arcadia.test")).to_be_visible(timeout=TIMEOUT)
    # The login cookie holds across a new page load, and the link's ?period= picks April 2026.
    page.goto(f"{dashboard}/?period=2026-04")
    expect(page.get_by_role("heading", name="P&L · April 2026")).to_be_visible(timeout=TIMEOUT)
    expect(revenue_metric_value(page)).to_have_text(APRIL_REVENUE, timeout=TIMEOUT)
    expect(page.get_by_role("button", name="Log in")).to_have_count(0)


def test_non_admin_logs_in_and_sees_no_figures(dashboard, page):
    log_in_as(page, dashboard, TENANT_ADMIN, TIMEOUT)
    expect(page.get_by_role("heading", name="No access")).to_be_visible(timeout=TIMEOUT)
    expect(page.get_by_role("button", name="Log out")).to_be_visible(timeout=TIMEOUT)
    # The claims did arrive: the screen names the user, so "No access" is the verdict, not a failed login.
    expect(page.get_by_text("You are logged in as user@acme.test")).to_be_visible()
    assert_no_figures(page)
    # Straight to the P&L page's own URL with the April period: still the no-access screen.
    page.goto(f"{dashboard}/pnl?period=2026-04")
    expect(page.get_by_role("heading", name="No access")).to_be_visible(timeout=TIMEOUT)
    assert_no_figures(page)


def test_login_works_with_the_example_auth_section(tmp_path, demo_db, page):
    with dashboard_with_login(project_copy(tmp_path, demo_db), USERS, client_kwargs=True) as base:
        log_in_as(page, base, ADMIN, TIMEOUT)
        expect(page.get_by_role("heading", name="P&L ·")).to_be_visible(timeout=TIMEOUT)
