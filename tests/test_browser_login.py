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

import secrets
import warnings
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser_support import free_port, new_page, project_copy, streamlit_server

with warnings.catch_warnings():
    # The mock imports Authlib modules that Authlib itself deprecates: noise, not about this project.
    # authlib.deprecate goes first because importing it installs an "always" filter that would beat ours.
    import authlib.deprecate  # noqa: F401

    warnings.simplefilter("ignore", DeprecationWarning)
    from oidc_provider_mock import User, run_server_in_thread

pytestmark = [
    pytest.mark.browser,
    # Emitted by Authlib inside the mock's token endpoint (running in this process), not by the dashboard.
    pytest.mark.filterwarnings("ignore:get_jwt_config:DeprecationWarning"),
]

TIMEOUT = 30_000  # ms; the first render of a fresh server is slow on 2 cores
APRIL_REVENUE = "$71.12"  # April 2026 revenue of the demo built as of conftest.DEMO_NOW
ADMIN = User(sub="admin", claims={"email": "admin@arcadia.test", "roles": ["platform_admin"]})
# Not an admin: tenant_admin is the wrong role, and a tenant_id of "platform-admin" must not count either.
TENANT_ADMIN = User(sub="tenant-admin", claims={"email": "user@acme.test", "roles": ["tenant_admin"],
                                                "tenant_id": "platform-admin"})


def write_auth_secrets(project: Path, app_port: int, provider_port: int, *, client_kwargs: bool) -> None:
    """The `[auth]` section st.login reads, pointed at the mock provider (it accepts any client id/secret)."""
    lines = [
        "[auth]",
        f'redirect_uri = "http://localhost:{app_port}/oauth2callback"',
        f'cookie_secret = "{secrets.token_urlsafe(48)}"',
        'client_id = "arcadia-margin-dashboard"',
        'client_secret = "browser-test-secret"',
        f'server_metadata_url = "http://localhost:{provider_port}/.well-known/openid-configuration"',
    ]
    if client_kwargs:
        # As in .streamlit/secrets.toml.example. Without it Streamlit asks for the same scopes by default,
        # and the mock sends the non-standard claims (roles, tenant_id) whatever the scope.
        lines.append('client_kwargs = { scope = "openid email profile" }')
    (project / ".streamlit" / "secrets.toml").write_text("\n".join(lines) + "\n")


@contextmanager
def dashboard_with_login(project: Path, *, client_kwargs: bool = False):
    """Serve `project` with OIDC login against a mock provider holding ADMIN and TENANT_ADMIN; yield the base URL."""
    with run_server_in_thread(port=0, user_claims=[ADMIN, TENANT_ADMIN],
                              require_client_registration=False) as provider:
        # The redirect URI names the app's port, so the port is picked before the server starts.
        app_port = free_port()
        write_auth_secrets(project, app_port, provider.server_port, client_kwargs=client_kwargs)
        # NO_PROXY: Authlib's metadata and token requests must reach the local mock directly.
        with streamlit_server(project, {"NO_PROXY": "localhost,127.0.0.1"}, port=app_port) as base:
            yield base


@pytest.fixture(scope="module")
def dashboard(tmp_path_factory, demo_db):
    """Base URL of the dashboard with the minimal `[auth]` section, shared by the scenario's tests."""
    with dashboard_with_login(project_copy(tmp_path_factory.mktemp("login"), demo_db)) as base:
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


def log_in_as(page: Page, base: str, user: User) -> None:
    """From the logged-out dashboard: "Log in", pick `user` on the provider's page, come back to the dashboard."""
    page.goto(base)
    page.get_by_role("button", name="Log in").click(timeout=TIMEOUT)
    # Either the browser lands on the provider's form, or st.login raised and the app shows the exception:
    # wait for whichever comes first so a broken login fails at once, with the app's own message.
    provider_form = page.get_by_role("heading", name="Authorize Client")
    app_error = page.get_by_test_id("stException")
    expect(provider_form.or_(app_error).first).to_be_visible(timeout=TIMEOUT)
    assert app_error.count() == 0, f"clicking Log in raised in the app: {app_error.first.inner_text()[:500]}"
    assert "/oauth2/authorize" in page.url
    # The provider's form lists each predefined user as a button named by its subject.
    page.get_by_role("button", name=user.sub, exact=True).click()
    # /oauth2callback exchanges the code, sets the login cookie and redirects to the dashboard's root.
    page.wait_for_url(lambda url: url.startswith(base) and "/oauth2callback" not in url, timeout=TIMEOUT)


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
    log_in_as(page, dashboard, ADMIN)
    expect(page.get_by_role("heading", name="P&L ·")).to_be_visible(timeout=TIMEOUT)
    expect(page.get_by_text("Signed in as admin@arcadia.test")).to_be_visible(timeout=TIMEOUT)
    # The login cookie holds across a new page load, and the link's ?period= picks April 2026.
    page.goto(f"{dashboard}/?period=2026-04")
    expect(page.get_by_role("heading", name="P&L · April 2026")).to_be_visible(timeout=TIMEOUT)
    expect(revenue_metric_value(page)).to_have_text(APRIL_REVENUE, timeout=TIMEOUT)
    expect(page.get_by_role("button", name="Log in")).to_have_count(0)


def test_non_admin_logs_in_and_sees_no_figures(dashboard, page):
    log_in_as(page, dashboard, TENANT_ADMIN)
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
    with dashboard_with_login(project_copy(tmp_path, demo_db), client_kwargs=True) as base:
        log_in_as(page, base, ADMIN)
        expect(page.get_by_role("heading", name="P&L ·")).to_be_visible(timeout=TIMEOUT)
