"""Real-server helpers for browser tests: a project copy served by `streamlit run`, and Debian's Chromium.

The server runs from a temporary copy of the project, so its embedded demo
database is a copy made for the test and the developer's own demo is never
touched. Chromium is Debian's (/usr/bin/chromium): Playwright's own browser
download does not work here.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlparse

import pytest

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


@contextmanager
def streamlit_server(project: Path, env: dict[str, str] | None = None, port: int | None = None):
    """`streamlit run app.py` in `project` on a free localhost port; yields the base URL."""
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
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def chromium_or_skip():
    """Launch Debian's Chromium through Playwright; skip when missing, except with CI=true."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("CI=true needs Debian's chromium at /usr/bin/chromium (apt-get install -y chromium)")
        pytest.skip("Debian's chromium is not installed (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    manager = sync_playwright().start()
    browser = manager.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    return manager, browser


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
