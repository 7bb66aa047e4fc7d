"""A real dashboard in a real browser, for the browser tests and the benchmark.

A project copy served by `streamlit run app.py` on a free localhost port,
Debian's Chromium through Playwright (Playwright's own browser download does
not work here) with every request off localhost aborted, and an OIDC login
against a local mock provider (oidc-provider-mock).

The server runs from a temporary copy of the project, so its embedded demo
database and its `.streamlit/secrets.toml` are the copy's own and the
developer's are never touched.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", "[::1]"}
COPIED = ["app.py", "pages", "dashboard", "arcadia", "queries", ".streamlit/config.toml"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def project_copy(target: Path, demo_db: Path | None) -> Path:
    """Copy what the server needs into `target`; the demo database (if any) becomes its embedded demo."""
    for name in COPIED:
        source, dest = ROOT / name, target / name
        dest.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, dest, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, dest)
    (target / "data").mkdir(exist_ok=True)
    if demo_db is not None:
        shutil.copy2(demo_db, target / "data" / "arcadia-demo.sqlite")
    return target


@dataclass(frozen=True)
class Served:
    """A running `streamlit run app.py`: its base URL and process."""

    base: str
    process: subprocess.Popen


@contextmanager
def streamlit_process(project: Path, env: dict[str, str] | None = None, port: int | None = None) -> Iterator[Served]:
    """`streamlit run app.py` in `project` on a free localhost port, healthy; stopped on exit."""
    port = port or free_port()
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("ARCADIA_")}
    full_env.update(env or {})
    log = open(project / "streamlit.log", "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false"],
        cwd=project, env=full_env, stdout=log, stderr=subprocess.STDOUT,
    )
    base = f"http://localhost:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"streamlit did not start: {(project / 'streamlit.log').read_text()[-2000:]}")
            time.sleep(0.3)
        yield Served(base, proc)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@contextmanager
def streamlit_server(project: Path, env: dict[str, str] | None = None, port: int | None = None) -> Iterator[str]:
    """`streamlit run app.py` in `project` on a free localhost port; yields the base URL."""
    with streamlit_process(project, env, port) as served:
        yield served.base


def launch_chromium():
    """(Playwright manager, browser): Debian's Chromium, headless. Stop both when done."""
    from playwright.sync_api import sync_playwright

    manager = sync_playwright().start()
    try:
        return manager, manager.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    except Exception:
        manager.stop()
        raise


def _only_localhost(route) -> None:
    # Nothing leaves the machine: the mock provider's page links a CDN stylesheet, Streamlit a Google-hosted icon.
    if urlparse(route.request.url).hostname in LOCAL_HOSTS:
        route.continue_()
    else:
        route.abort()


def new_page(browser, timeout_ms: int, **context_options):
    """A page in a fresh context (no cookies) whose requests may only go to localhost."""
    context = browser.new_context(viewport={"width": 1440, "height": 1000}, **context_options)
    context.route("**/*", _only_localhost)
    context.set_default_timeout(timeout_ms)
    return context.new_page()


# --- OIDC login against a local mock provider ---------------------------------------------------------------

def _mock():
    """The oidc_provider_mock module, imported without its Authlib deprecation noise."""
    with warnings.catch_warnings():
        # The mock imports Authlib modules that Authlib itself deprecates: noise, not about this project.
        # authlib.deprecate goes first because importing it installs an "always" filter that would beat ours.
        import authlib.deprecate  # noqa: F401

        warnings.simplefilter("ignore", DeprecationWarning)
        import oidc_provider_mock
    return oidc_provider_mock


def oidc_user(sub: str, claims: dict):
    """A user predefined on the mock provider's login form (a button named `sub`)."""
    return _mock().User(sub=sub, claims=claims)


def platform_admin():
    return oidc_user("admin", {"email": "admin@arcadia.test", "roles": ["platform_admin"]})


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
def dashboard_with_login_process(project: Path, users: list, *, client_kwargs: bool = False,
                                 env: dict[str, str] | None = None) -> Iterator[Served]:
    """Serve `project` with OIDC login against a mock provider holding `users`."""
    with _mock().run_server_in_thread(port=0, user_claims=users, require_client_registration=False) as provider:
        # The redirect URI names the app's port, so the port is picked before the server starts.
        app_port = free_port()
        write_auth_secrets(project, app_port, provider.server_port, client_kwargs=client_kwargs)
        # NO_PROXY: Authlib's metadata and token requests must reach the local mock directly.
        with streamlit_process(project, {"NO_PROXY": "localhost,127.0.0.1", **(env or {})}, port=app_port) as served:
            yield served


@contextmanager
def dashboard_with_login(project: Path, users: list, *, client_kwargs: bool = False) -> Iterator[str]:
    """Serve `project` with OIDC login against a mock provider holding `users`; yield the base URL."""
    with dashboard_with_login_process(project, users, client_kwargs=client_kwargs) as served:
        yield served.base


def log_in_as(page, base: str, user, timeout_ms: int) -> None:
    """From the logged-out dashboard: "Log in", pick `user` on the provider's page, come back to the dashboard."""
    from playwright.sync_api import expect

    page.goto(base)
    page.get_by_role("button", name="Log in").click(timeout=timeout_ms)
    # Either the browser lands on the provider's form, or st.login raised and the app shows the exception:
    # wait for whichever comes first so a broken login fails at once, with the app's own message.
    provider_form = page.get_by_role("heading", name="Authorize Client")
    app_error = page.get_by_test_id("stException")
    expect(provider_form.or_(app_error).first).to_be_visible(timeout=timeout_ms)
    if app_error.count():
        raise RuntimeError(f"clicking Log in raised in the app: {app_error.first.inner_text()[:500]}")
    if "/oauth2/authorize" not in page.url:
        raise RuntimeError(f"Log in did not reach the provider's authorize page: {page.url}")
    # The provider's form lists each predefined user as a button named by its subject.
    page.get_by_role("button", name=user.sub, exact=True).click()
    # /oauth2callback exchanges the code, sets the login cookie and redirects to the dashboard's root.
    page.wait_for_url(lambda url: url.startswith(base) and "/oauth2callback" not in url, timeout=timeout_ms)
