"""The dashboard in a real browser (Debian Chromium via Playwright) against `streamlit run app.py`.

Opens every page, switches the period, drills into a tenant, downloads a CSV
and compares it with the CLI, and calls the API on the same port. Takes a
screenshot of each page (into docs/screenshots/ only with
ARCADIA_UPDATE_SCREENSHOTS=1, so a test run leaves the work tree clean) and
prints (never asserts) the time of each page's first full render.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.browser_support import ROOT, new_page, project_copy, streamlit_server

pytestmark = pytest.mark.browser
SHOTS = ROOT / "docs" / "screenshots"
PAGES = [("", "P&L · October 2026", "pnl"), ("tenants", "By tenant · October 2026", "tenants"),
         ("by-kind", "By kind · October 2026", "by-kind"), ("accrual", "Live accrual", "accrual"),
         ("unattributed", "Unattributed COGS · October 2026", "unattributed")]
TIMEOUT = 45_000


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
    shots = SHOTS if os.environ.get("ARCADIA_UPDATE_SCREENSHOTS") == "1" else tmp_path
    shots.mkdir(parents=True, exist_ok=True)
    for slug, title, shot in PAGES:
        seconds = open_page(page, f"{base}/{slug}?period=2026-10&as_of=2026-11-27T01:00:00Z", title)
        print(f"first full render of /{slug or 'pnl'}: {seconds:.2f} s (target < 2 s)")
        assert page.get_by_text("Traceback").count() == 0
        assert page.locator('[data-testid="stException"]').count() == 0
        page.screenshot(path=str(shots / f"{shot}.png"), full_page=True)


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


def click_row(page, table_key: str, row: int) -> None:
    """Click the row-selection marker of a table row (the grid is a canvas: by position)."""
    table = page.locator(f".st-key-{table_key} [data-testid='stDataFrame']")
    table.scroll_into_view_if_needed()
    box = table.bounding_box()
    header = row_height = 35
    page.mouse.click(box["x"] + 15, box["y"] + header + row_height * row + row_height / 2)


def test_drill_into_a_tenant_by_the_picker(server, page):
    base, _ = server
    open_page(page, f"{base}/tenants?period=2026-10", "By tenant · October 2026")
    page.locator('[data-testid="stSelectbox"]').filter(has_text="Tenant").click()
    page.keyboard.type("northw")  # filters the options (case-insensitive substring), then pick the match
    page.get_by_role("option", name="Northwind Analytics (northwind)").wait_for(timeout=TIMEOUT)
    page.keyboard.press("Enter")
    cell(page, "northwin-notebook-1-0").wait_for(state="attached", timeout=TIMEOUT)
    cell(page, "44e5c42b-29f3-59c2-93d2-50cd53f426a4").wait_for(state="attached", timeout=TIMEOUT)  # its deployment
    page.wait_for_function("() => location.search.includes('tenant=northwind')", timeout=TIMEOUT)


def test_drill_into_a_tenant_by_clicking_its_row(server, page):
    base, _ = server
    open_page(page, f"{base}/tenants?period=2026-10", "By tenant · October 2026")
    first = page.locator('.st-key-tenants-table td[role="gridcell"]').nth(1).inner_text()  # the worst margin's id
    click_row(page, "tenants-table", 0)
    page.wait_for_function(f"() => location.search.includes('tenant={first}')", timeout=TIMEOUT)
    page.get_by_text("Resources and cost lines behind its COGS").wait_for(timeout=TIMEOUT)
    page.wait_for_function("id => document.querySelector('.st-key-drill_tenant input').value.endsWith(`(${id})`)",
                           arg=first, timeout=TIMEOUT)  # the picker follows the click
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
    page.get_by_text("Resources and cost lines behind its COGS").wait_for(timeout=TIMEOUT)
    assert page.locator('a[href*="evil"]').count() == 0  # no link made of it anywhere
    assert page.locator('[data-testid="stMain"] b').count() == 0  # no bold either
    assert page.locator(".st-key-drill_tenant input").input_value() == f"{HOSTILE} ({HELIX})"
    cell(page, HOSTILE, ".st-key-tenants-table").wait_for(state="attached", timeout=TIMEOUT)
    ticks = page.locator('[data-testid="stPlotlyChart"] .xtick text').all_text_contents()
    assert HOSTILE in ticks  # Plotly draws the escaped label as the stored text


def test_csv_download_equals_the_cli(server, page):
    base, project = server
    open_page(page, f"{base}/tenants?period=2026-10", "By tenant · October 2026")
    with page.expect_download(timeout=TIMEOUT) as download:
        page.locator(".st-key-csv-tenants").get_by_role("button", name="Download CSV").click()
    assert download.value.suggested_filename == "arcadia-tenants-2026-10.csv"
    downloaded = Path(download.value.path()).read_text()
    assert downloaded == cli(project, "margin", "--period", "2026-10-01", "--csv", "--table", "tenants")
    assert downloaded.count("\n") > 10


def test_api_on_the_same_port(server):
    base, _ = server
    with urllib.request.urlopen(f"{base}/api/v1/dashboard/margin?period=2026-04-01", timeout=30) as response:
        doc = json.load(response)
    assert doc["overall"]["revenue"] == "71.12" and doc["overall"]["cogs"] == "86.92"
