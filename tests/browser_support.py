"""Browser tests' side of benchmarks/browser.py (shared with the benchmark): Chromium or a skip, the
dashboard's pages as app.py lists them, and when a page counts as settled.

The server, project-copy and login helpers live in benchmarks/browser.py so
that `python -m arcadia bench` drives the same browser the tests do; they are
re-exported here for the test modules (and tests/screenshots.py) that import
them from this module.

Settled (used by the speed test and the screenshots; the time is measured from
the browser's navigation start, `performance.now()` of the new document):

1. the page's title is rendered: the first `<h1>` of the main area starts with
   the page's title (its `st.title` up to the first `{…}`: "P&L · ",
   "Live accrual", …; see app_pages);
2. Streamlit's script run is over: `stApp`'s `data-test-script-state` is
   `notRunning` and the running indicator `[data-testid="stStatusWidget"]` is
   absent (Streamlit unmounts it when the run ends);
3. quiet: no element added anywhere in the document (a table, a chart, one of a
   chart's SVG nodes …) for QUIET_S seconds, and no HTTP request in flight
   (Streamlit loads a table's or a chart's code on first use, after the run).

The settle time is the latest of: the moment 1 and 2 first held together (for
good) and the moment the last element was added. Waiting for the quiet period
is not part of it. A page showing an exception is a failure, not a settle.
"""

from __future__ import annotations

import ast
import os
import time
import weakref
from dataclasses import dataclass
from pathlib import Path

import pytest

from benchmarks.browser import CHROMIUM, ROOT, free_port, launch_chromium, new_page, project_copy, streamlit_server

__all__ = ["ROOT", "PageFailed", "Settled", "app_pages", "chromium_or_skip", "click_row", "free_port",
           "navigate_settled", "new_page", "open_settled", "page_path", "project_copy", "settle", "streamlit_server",
           "watch"]

QUIET_S = 2.0  # a chart's code arrives ~1 s after the run is over on this machine: twice that without a new element
CAP_S = 60.0  # a page not settled by then is a failure (the speed is printed, never asserted: this is a hang)


def chromium_or_skip():
    """Launch Debian's Chromium through Playwright; skip when missing, except with CI=true."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("CI=true needs Debian's chromium at /usr/bin/chromium (apt-get install -y chromium)")
        pytest.skip("Debian's chromium is not installed (apt-get install -y chromium)")
    return launch_chromium()


def app_pages() -> list[tuple[str, str]]:
    """(slug, title) of every page in app.py's PAGES, read from its source: pages added later are visited too.

    The title is what the page's `st.title(…)` starts with, up to its first `{…}` ("P&L · ", "Live accrual"),
    read from the page's file; the page's name in the navigation when its file has no such call.
    """
    tree = ast.parse((ROOT / "app.py").read_text())
    pages = next(ast.literal_eval(node.value) for node in tree.body
                 if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "PAGES" for t in node.targets))
    return [(slug, _title_in(ROOT / path) or name) for section in pages.values() for path, name, _, slug in section]


def _title_in(page_file: Path) -> str | None:
    """The literal start of the first `st.title(…)` in a page's file (None when there is none)."""
    if not page_file.exists():
        return None
    for node in ast.walk(ast.parse(page_file.read_text())):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "title"
                and getattr(node.func.value, "id", None) == "st" and node.args):
            arg = node.args[0]
            while isinstance(arg, ast.BinOp):  # f"P&L · {…}" + (" (in progress)" if … else "")
                arg = arg.left
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                return arg.value
            if isinstance(arg, ast.JoinedStr):
                start = ""
                for part in arg.values:
                    if not isinstance(part, ast.Constant):
                        break
                    start += part.value
                return start or None
    return None


def page_path(slug: str) -> str:
    """The URL path of a page: the default page (P&L) is the root."""
    return "" if slug == "pnl" else slug


# Installed in every document of a watched page, before Streamlit's own scripts: the time of the last element
# added and the time the title was there with the run over (reset whenever that stops being so).
WATCH_SCRIPT = """
if (!window.__arcadiaSettle) {
  const state = window.__arcadiaSettle = {lastAdded: 0, readyAt: null};
  const ready = () => {
    const app = document.querySelector('[data-testid="stApp"]');
    return !!document.querySelector('[data-testid="stMain"] h1')
      && !!app && app.getAttribute('data-test-script-state') === 'notRunning'
      && !document.querySelector('[data-testid="stStatusWidget"]');
  };
  new MutationObserver(records => {
    const now = performance.now();
    if (records.some(r => [...r.addedNodes].some(n => n.nodeType === Node.ELEMENT_NODE))) state.lastAdded = now;
    if (!ready()) state.readyAt = null;
    else if (state.readyAt === null) state.readyAt = now;
  }).observe(document, {childList: true, subtree: true, attributes: true,
                        attributeFilter: ['data-test-script-state']});
}
"""
STATE = """() => {
  const s = window.__arcadiaSettle || {lastAdded: 0, readyAt: null};
  const h1 = document.querySelector('[data-testid="stMain"] h1');
  const error = document.querySelector('[data-testid="stException"]');
  return {now: performance.now(), lastAdded: s.lastAdded, readyAt: s.readyAt,
          title: h1 ? h1.innerText : null, error: error ? error.innerText.slice(0, 500) : null,
          traceback: document.body ? document.body.innerText.includes('Traceback') : false};
}"""


class PageFailed(AssertionError):
    """The page showed an exception or did not settle within the cap."""


@dataclass(frozen=True)
class Settled:
    """Seconds from navigation start until the page settled, and until its script run was over (title shown)."""

    seconds: float
    run_over: float


class _InFlight:
    """The number of the page's HTTP requests not yet finished (websocket frames are not requests)."""

    def __init__(self, page):
        self.count = 0
        page.on("request", self._started)
        page.on("requestfinished", self._ended)
        page.on("requestfailed", self._ended)

    def _started(self, _request) -> None:
        self.count += 1

    def _ended(self, _request) -> None:
        self.count = max(0, self.count - 1)


_WATCHED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # page → its _InFlight


def watch(page) -> None:
    """Install the settle watcher on `page` (idempotent); call before its first navigation to be timed."""
    if page not in _WATCHED:
        page.add_init_script(WATCH_SCRIPT)
        _WATCHED[page] = _InFlight(page)


def settle(page, title: str, cap_s: float = CAP_S, quiet_s: float = QUIET_S) -> Settled:
    """Wait until the current document of a watched page has settled (module docstring) under `title`."""
    in_flight = _WATCHED[page]
    deadline = time.monotonic() + cap_s
    while True:
        s = page.evaluate(STATE)
        if s["error"] or s["traceback"]:
            raise PageFailed(f"the page raised: {s['error'] or 'Traceback in the page'}")
        if s["readyAt"] is not None and (s["title"] or "").startswith(title):
            settled_ms = max(s["readyAt"], s["lastAdded"])
            if s["now"] - settled_ms >= quiet_s * 1000 and in_flight.count == 0:
                return Settled(round(settled_ms / 1000, 3), round(s["readyAt"] / 1000, 3))
        if time.monotonic() > deadline:
            raise PageFailed(f"not settled after {cap_s:.0f} s (title {s['title']!r}, run over: "
                             f"{s['readyAt'] is not None}, requests in flight: {in_flight.count})")
        page.wait_for_timeout(50)


def open_settled(page, url: str, title: str, cap_s: float = CAP_S) -> Settled:
    """Navigate a (watched) page to `url` and wait until it settled; the times count from navigation start."""
    watch(page)
    page.goto(url, wait_until="commit", timeout=cap_s * 1000)
    return settle(page, title, cap_s)


RESET = """() => {
  const s = window.__arcadiaSettle;
  s.readyAt = null; s.lastAdded = 0;
  return performance.now();
}"""


def navigate_settled(page, slug: str, title: str, cap_s: float = CAP_S) -> Settled:
    """Click the sidebar's link to a page of the dashboard (in-app navigation: the document, its scripts and the
    session stay) and wait until the page settled; the times count from the click."""
    link = page.locator(f'[data-testid="stSidebarNav"] a[href$="/{page_path(slug)}"]').first
    clicked = page.evaluate(RESET) / 1000
    link.click()
    settled = settle(page, title, cap_s)
    return Settled(round(settled.seconds - clicked, 3), round(settled.run_over - clicked, 3))


def click_row(page, table_key: str, row: int) -> None:
    """Click the row-selection marker of a table row (the grid is a canvas: by position)."""
    table = page.locator(f".st-key-{table_key} [data-testid='stDataFrame']")
    table.scroll_into_view_if_needed()
    box = table.bounding_box()
    header = row_height = 35
    page.mouse.click(box["x"] + 15, box["y"] + header + row_height * row + row_height / 2)
