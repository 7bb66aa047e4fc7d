"""The dashboard in a real browser (Debian Chromium via Playwright) against `streamlit run app.py`.

Opens every page, switches the period, drills into a tenant, downloads a CSV
and compares it with the CLI, and calls the API on the same port. Prints
(never asserts) how long each page of app.py's PAGES takes to settle, three
fresh loads each (test_page_speed_is_printed).

Screenshots go to the tests' temporary folders only: docs/screenshots/ is
refreshed by `./run screenshots` (tests/screenshots.py), never by a test run,
and the last test here checks that the tracked pictures are unchanged.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import expect

from arcadia import charts
from tests import screenshots
from tests.browser_support import (
    QUIET_S, ROOT, app_pages, click_row, new_page, open_settled, page_path, project_copy,
    streamlit_server,
)
from tests.conftest import DEMO_NOW

pytestmark = pytest.mark.browser
TRACKED_SHOTS = ROOT / "docs" / "screenshots"  # written by `./run screenshots` only
TIMEOUT = 45_000
QUERY = f"period=2026-10&as_of={DEMO_NOW}"
DRILLED = ".st-key-csv-tenant_lines"  # By tenant drilled into a tenant: its cost lines' download


def tracked_shots() -> dict[str, tuple[int, str]]:
    """name → (mtime in ns, SHA-256) of every file in docs/screenshots/."""
    return {path.name: (path.stat().st_mtime_ns, hashlib.sha256(path.read_bytes()).hexdigest())
            for path in sorted(TRACKED_SHOTS.iterdir()) if path.is_file()}


@pytest.fixture(scope="module", autouse=True)
def tracked_before():
    """docs/screenshots/ as it was before this module's first test (compared by the last one)."""
    return tracked_shots()


@pytest.fixture(scope="module")
def server(tmp_path_factory, demo_db):
    project = project_copy(tmp_path_factory.mktemp("served"), demo_db)
    with streamlit_server(project) as base:
        yield base, project


@pytest.fixture
def page(browser):
    page = new_page(browser, TIMEOUT, accept_downloads=True)
    yield page
    page.context.close()


def heading(page, text):
    return page.get_by_role("heading", name=text)


def open_page(page, url, title):
    """Open a page and wait until the script run is over; returns the seconds until then."""
    started = time.perf_counter()
    page.goto(url)
    heading(page, title).wait_for(timeout=TIMEOUT)
    page.locator('[data-testid="stStatusWidget"]').wait_for(state="hidden", timeout=TIMEOUT)
    seconds = time.perf_counter() - started
    page.wait_for_load_state("networkidle")  # charts and grids done drawing, for screenshots and clicks
    return seconds


def cli(project: Path, *args) -> str:
    url = f"sqlite:///{project / 'data' / 'arcadia-demo.sqlite'}"
    done = subprocess.run([sys.executable, "-m", "arcadia", "--database-url", url, *args],
                          capture_output=True, text=True, cwd=ROOT, timeout=60, check=True)
    return done.stdout


def test_every_page_renders_and_is_photographed(server, page, tmp_path):
    base, _ = server
    assert not tmp_path.resolve().is_relative_to(ROOT)  # the pictures of a test run are never the project's
    for slug, title in app_pages():
        open_settled(page, f"{base}/{page_path(slug)}?{QUERY}", title)  # raises on an exception shown
        assert page.get_by_text("Traceback").count() == 0
        assert page.locator('[data-testid="stException"]').count() == 0
        page.screenshot(path=str(tmp_path / f"{slug}.png"), full_page=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f"{slug}.png" for slug, _ in app_pages())


def test_pnl_shows_the_seed_figures_for_april(server, page):
    base, _ = server
    open_page(page, f"{base}/?period=2026-04", "P&L · April 2026")
    metrics = page.locator('[data-testid="stMetric"]')
    assert "$71.12" in metrics.nth(0).inner_text() and "$86.92" in metrics.nth(1).inner_text()
    assert "-$15.80" in metrics.nth(2).inner_text() and "-22.2 %" in metrics.nth(3).inner_text()
    assert page.get_by_text("Demo data — no login").count() == 1


def test_switching_the_period_updates_page_and_url(server, page):
    base, _ = server
    open_page(page, f"{base}/?period=2026-10", "P&L · October 2026")
    page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').click()
    page.get_by_role("option", name="2026-04").click()
    heading(page, "P&L · April 2026").wait_for(timeout=TIMEOUT)
    page.wait_for_function("() => location.search.includes('period=2026-04')", timeout=TIMEOUT)
    # The choice follows the operator to another page.
    page.get_by_role("link", name="By tenant").click()
    heading(page, "By tenant · April 2026").wait_for(timeout=TIMEOUT)


def cell(page, text, within=""):
    """A table cell: the grid draws on a canvas and keeps the cells in the DOM for accessibility (not "visible")."""
    return page.locator(f'{within} td[role="gridcell"]', has_text=text).first


def test_drill_into_a_tenant_by_the_picker(server, page):
    base, _ = server
    open_page(page, f"{base}/tenants?period=2026-10", "By tenant · October 2026")
    page.locator('[data-testid="stSelectbox"]').filter(has_text="Tenant").click()
    page.keyboard.type("northw")  # filters the options (case-insensitive substring), then pick the match
    page.get_by_role("option", name="Northwind Analytics (northwind)").wait_for(timeout=TIMEOUT)
    page.keyboard.press("Enter")
    cell(page, "northwin-notebook-1-0").wait_for(state="attached", timeout=TIMEOUT)
    page.locator('td[role="gridcell"]', has_text=re.compile(r"^notebook-1$")).first.wait_for(
        state="attached", timeout=TIMEOUT)  # its deployment (44e5c42b-…, its id shown on request only)
    page.wait_for_function("() => location.search.includes('tenant=northwind')", timeout=TIMEOUT)


def test_drill_into_a_tenant_by_clicking_its_row(server, page):
    base, _ = server
    open_page(page, f"{base}/tenants?period=2026-10", "By tenant · October 2026")
    first = page.locator('.st-key-tenants-table td[role="gridcell"]').first.inner_text()  # the worst margin's name
    click_row(page, "tenants-table", 0)
    page.wait_for_function("() => location.search.includes('tenant=')", timeout=TIMEOUT)
    page.locator(DRILLED).wait_for(state="attached", timeout=TIMEOUT)
    tenant_id = re.search(r"[?&]tenant=([^&]+)", page.url).group(1)
    expect(page.locator(".st-key-drill_tenant input")).to_have_value(f"{first} ({tenant_id})")  # the picker follows
    # Under the tenants: its deployments and its cost lines, each with its download.
    assert page.locator(".st-key-csv-deployments, .st-key-csv-tenant_lines").count() == 2
    assert page.locator('[data-testid="stDataFrame"]').count() == 3  # tenants, its deployments, its cost lines


def test_accrual_search_and_a_subscriptions_lines(server, page):
    base, _ = server
    open_page(page, f"{base}/accrual?as_of=2026-11-27T01:00:00Z", "Live accrual")
    page.get_by_text("Select a subscription in the table above").wait_for(timeout=TIMEOUT)
    search = page.locator(".st-key-accrual_search input")
    search.fill("NORTHWIND")
    search.press("Enter")
    page.get_by_text(re.compile(r"^1 of \d+ subscriptions")).wait_for(timeout=TIMEOUT)
    click_row(page, "accrual-subs", 0)
    page.get_by_text("Lines of the selected subscription").wait_for(timeout=TIMEOUT)
    page.get_by_text(re.compile(r"^Northwind Analytics · subscription ")).wait_for(timeout=TIMEOUT)
    page.locator('[data-testid="stDataFrame"]').nth(1).wait_for(timeout=TIMEOUT)  # its lines, under the subscriptions
    cell(page, "COMPUTE").wait_for(state="attached", timeout=TIMEOUT)


HOSTILE = "[click](https://evil.example) <b>x</b>"
HELIX = "bffdd97a-c2a6-5503-9d19-ce13a8ab9234"  # Helix Genomics: in every top-10 chart of October


@pytest.fixture(scope="module")
def hostile_server(tmp_path_factory, demo_db):
    """The demo with Helix Genomics renamed to markdown and HTML, as another program could write it."""
    db = tmp_path_factory.mktemp("hostile") / "demo.sqlite"
    shutil.copy2(demo_db, db)
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE tenants SET name = ? WHERE id = ?", (HOSTILE, HELIX))
    with streamlit_server(project_copy(tmp_path_factory.mktemp("served-hostile"), db)) as base:
        yield base


def test_a_hostile_tenant_name_is_shown_as_text(hostile_server, page):
    open_page(page, f"{hostile_server}/tenants?period=2026-10&tenant={HELIX}", "By tenant · October 2026")
    page.locator(DRILLED).wait_for(state="attached", timeout=TIMEOUT)
    assert page.locator('a[href*="evil"]').count() == 0  # no link made of it anywhere
    assert page.locator('[data-testid="stMain"] b').count() == 0  # no bold either
    assert page.locator(".st-key-drill_tenant input").input_value() == f"{HOSTILE} ({HELIX})"
    cell(page, HOSTILE, ".st-key-tenants-table").wait_for(state="attached", timeout=TIMEOUT)
    ticks = page.locator('[data-testid="stPlotlyChart"] .xtick text, [data-testid="stPlotlyChart"] .ytick text')
    # Plotly draws the escaped label as the stored text (cut at 28 characters; the hover has all of it).
    assert charts._short(HOSTILE) in ticks.all_text_contents()


def test_csv_download_equals_the_cli(server, page):
    base, project = server
    open_page(page, f"{base}/tenants?period=2026-10", "By tenant · October 2026")
    with page.expect_download(timeout=TIMEOUT) as download:
        page.locator(".st-key-csv-tenants").get_by_role("button").click()
    assert download.value.suggested_filename == "arcadia-tenants-2026-10.csv"
    downloaded = Path(download.value.path()).read_text()
    assert downloaded == cli(project, "margin", "--period", "2026-10-01", "--csv", "--table", "tenants")
    assert downloaded.count("\n") > 10


def test_api_on_the_same_port(server):
    base, _ = server
    with urllib.request.urlopen(f"{base}/api/v1/dashboard/margin?period=2026-04-01", timeout=30) as response:
        doc = json.load(response)
    assert doc["overall"]["revenue"] == "71.12" and doc["overall"]["cogs"] == "86.92"


# --- page speed: printed, never asserted -------------------------------------------------------------------

RUNS = 3


@pytest.fixture(scope="module")
def speed_server(tmp_path_factory, demo_db):
    """A server of its own, started for the speed test: its first load of a page is a first visit."""
    with streamlit_server(project_copy(tmp_path_factory.mktemp("served-speed"), demo_db)) as base:
        yield base


def speed_table(times: dict[str, list], run_over: dict[str, list]) -> str:
    def cell(value):
        return f"{value:7.2f}" if value is not None else "      –"

    lines = [f"{'page':<14}" + "".join(f"   run {i + 1}" for i in range(RUNS)) + "   median  run over (median)"]
    for slug, seconds in times.items():
        done = [s for s in seconds if s is not None]
        median = statistics.median(done) if len(done) == RUNS else None
        over = statistics.median(run_over[slug]) if len(run_over[slug]) == RUNS else None
        lines.append(f"/{slug:<13}" + "".join(f" {cell(s)}" for s in seconds + [None] * (RUNS - len(seconds)))
                     + f"  {cell(median)}  {cell(over)}")
    return "\n".join(lines)


def test_page_speed_is_printed(speed_server, browser, tmp_path):
    """Each page of app.py's PAGES, loaded RUNS times in a fresh browser context (no cookies, no cache: a new
    session each time) on one server started for this test, on the demo (no login), October 2026: seconds
    from navigation start until the page settled, and the median. Printed and written to a file; never
    asserted (the project prints speed), except that every load settles without an exception within CAP_S.

    Settled (tests/browser_support.py): the page's title is rendered (the main area's h1 starts with the
    literal start of the page's st.title), Streamlit's run is over (stApp's script state notRunning and the running
    indicator [data-testid="stStatusWidget"] absent), and no element has been added to the document for
    QUIET_S seconds with no HTTP request in flight. The time is that of the last of: the run over with the
    title shown, the last element added (a table's or a chart's drawing). The quiet wait is not counted.
    "run over" is the time until the title was shown with the run over, before the tables and charts drew.
    The first run of each page is its first visit on this server (cold caches); runs 2 and 3 are warm.
    """
    times: dict[str, list] = {}
    run_over: dict[str, list] = {}
    failures = {}
    for slug, title in app_pages():
        times[slug], run_over[slug] = [], []
        for _ in range(RUNS):
            page = new_page(browser, TIMEOUT)
            try:
                settled = open_settled(page, f"{speed_server}/{page_path(slug)}?{QUERY}", title)
                times[slug].append(settled.seconds)
                run_over[slug].append(settled.run_over)
            except Exception as exc:  # a load that fails is reported with the table, then fails the test
                failures[slug] = str(exc)
                break
            finally:
                page.context.close()
    table = (f"Seconds from navigation start until settled (demo, headless Chromium, {RUNS} fresh loads, "
             f"quiet period {QUIET_S:g} s not counted):\n" + speed_table(times, run_over))
    warm_times, warm_run_over = warm_loads(browser, speed_server, failures)
    table += ("\n\nThe same for a returning visitor: one browser context whose HTTP cache holds the dashboard's "
              f"scripts (a first load not counted, then {RUNS} loads, each a new page; no request routing, which "
              "would turn the cache off):\n" + speed_table(warm_times, warm_run_over))
    out = tmp_path / "page-speed.txt"
    out.write_text(table + "\n")
    print("\n" + table + f"\n(written to {out})")
    assert not failures, failures


def warm_loads(browser, base: str, failures: dict) -> tuple[dict[str, list], dict[str, list]]:
    """Each page loaded RUNS times in one context after a first load: the browser's cache is warm, as for an
    operator who has the dashboard open every month. (The fresh-context loads above route every request
    through Playwright to keep them on localhost, and routing disables the HTTP cache.)"""
    times: dict[str, list] = {}
    run_over: dict[str, list] = {}
    context = browser.new_context(viewport={"width": 1440, "height": 1000})
    context.set_default_timeout(TIMEOUT)
    try:
        for slug, title in app_pages():
            times[slug], run_over[slug] = [], []
            for run in range(RUNS + 1):
                page = context.new_page()
                try:
                    settled = open_settled(page, f"{base}/{page_path(slug)}?{QUERY}", title)
                    if run:  # the first load fills the cache
                        times[slug].append(settled.seconds)
                        run_over[slug].append(settled.run_over)
                except Exception as exc:  # reported with the table, then fails the test
                    failures[f"{slug} (warm)"] = str(exc)
                    break
                finally:
                    page.close()
    finally:
        context.close()
    return times, run_over


# --- screenshots ------------------------------------------------------------------------------------------

def test_the_screenshots_command_writes_where_it_is_told(server, browser, tmp_path):
    # `./run screenshots` with a temporary folder: every picture it takes is there (the range view may be
    # skipped while the P&L has none), and none of it went to docs/screenshots/ (checked by the last test).
    base, _ = server
    notes = []
    written, failures = screenshots.take(browser, base, tmp_path, log=notes.append)
    print("\n".join(notes))
    assert failures == []
    expected = {f"{slug}.png" for slug, _ in app_pages()} | {
        "tenants-drilldown.png", "pnl-phone.png", "tenants-phone.png"}
    assert expected <= {path.name for path in written} <= expected | {"pnl-range.png"}
    assert all(path.parent == tmp_path and path.stat().st_size > 10_000 for path in written)


def test_the_tracked_screenshots_are_unchanged(tracked_before):
    # Last in this module: no test above wrote into docs/screenshots/ (only `./run screenshots` does).
    assert tracked_shots() == tracked_before
