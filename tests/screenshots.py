"""Refresh the README's screenshots: `./run screenshots [--out DIR]` (default docs/screenshots/).

The only writer of docs/screenshots/: the browser tests photograph into their
temporary folder. This builds the demo as of the tests' instant
(2026-11-27T01:00Z, so a refresh changes a picture only when a page changed),
serves a copy of the project with `streamlit run app.py` on a free localhost
port, and saves, each page settled (tests/browser_support.py says when):

- every page of app.py's PAGES at 1440×900, full page: `<slug>.png`
  (October 2026; the live accrual as of the demo's instant);
- By tenant drilled into its first tenant (its row clicked): `tenants-drilldown.png`;
- the P&L over a range of months, when the page offers one (`?from=…&to=…`
  in the URL, or a toggle labelled "range" or "several months"): `pnl-range.png`; otherwise a note
  says it was skipped;
- P&L and By tenant on a phone, 390×844: `pnl-phone.png`, `tenants-phone.png`.

Exit status 0 when every picture was taken (the range view may be skipped), 1 otherwise.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

from tests.browser_support import (
    ROOT, app_pages, click_row, new_page, open_settled, page_path, project_copy, settle, streamlit_server,
)

DEMO_NOW = "2026-11-27T01:00:00Z"  # as tests/conftest.py: the pictures show what the tests check
QUERY = f"period=2026-10&as_of={quote(DEMO_NOW)}"
RANGE = ("2026-05", "2026-10")
CONTROL = re.compile(r"\brange\b|several months", re.IGNORECASE)  # a toggle that turns the range view on
DESKTOP = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}
TIMEOUT_MS = 60_000
DRILLED = ".st-key-csv-tenant_lines"  # the drilled tenant's cost lines' download


class Skipped(Exception):
    """A picture the dashboard cannot show yet (a note, not a failure)."""


def _page(browser, viewport: dict, phone: bool = False):
    # A phone: a narrow touch screen (Streamlit lays out by the width: the sidebar collapses below 768 px).
    page = new_page(browser, TIMEOUT_MS, **({"is_mobile": True, "has_touch": True} if phone else {}))
    page.set_viewport_size(viewport)
    return page


def _title(slug: str) -> str:
    return dict(app_pages())[slug]


def _drilled_tenant(page, base: str) -> None:
    open_settled(page, f"{base}/tenants?{QUERY}", _title("tenants"))
    click_row(page, "tenants-table", 0)  # the worst margin
    page.wait_for_function("() => location.search.includes('tenant=')", timeout=TIMEOUT_MS)
    page.locator(DRILLED).wait_for(state="attached", timeout=TIMEOUT_MS)
    settle(page, _title("tenants"))


def _range_heading(page) -> bool:
    # A range's label joins its first and last months with an en dash ("May–October 2026").
    return "–" in (page.locator('[data-testid="stMain"] h1').first.inner_text() or "")


def _pnl_range(page, base: str) -> None:
    first, last = RANGE
    open_settled(page, f"{base}/?{QUERY}&from={first}&to={last}", _title("pnl"))
    if _range_heading(page):
        return
    open_settled(page, f"{base}/?{QUERY}", _title("pnl"))
    control = page.locator('[data-testid="stSidebar"], [data-testid="stMain"]').locator(
        '[data-testid="stCheckbox"]', has_text=CONTROL).first
    if control.count() == 0:
        raise Skipped("the P&L page offers no range of months yet (no ?from=&to= view, no toggle named "
                      "\"range\" or \"several months\"): pnl-range.png not taken")
    control.click()
    settle(page, _title("pnl"))
    if not _range_heading(page):
        raise Skipped("the P&L page's \"range\" control did not give a range view (its title names one month): "
                      "pnl-range.png not taken; take it by hand")


def _whole_page_in_view(page, viewport: dict) -> None:
    """Make the window as tall as the page: Streamlit scrolls its main area inside a window-high box, so a
    "full page" screenshot of the window alone would stop at the window's height."""
    for _ in range(3):  # the layout may grow a little once the window is taller
        height = page.evaluate("() => document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
        if height <= page.viewport_size["height"]:
            break
        page.set_viewport_size({"width": viewport["width"], "height": height})
        page.wait_for_timeout(300)
    title = page.locator('[data-testid="stMain"] h1').first.inner_text()
    settle(page, title)  # the charts redraw at the new size


def take(browser, base: str, out: Path, log: Callable[[str], None] = print) -> tuple[list[Path], list[str]]:
    """Every picture into `out` from the dashboard at `base`: (files written, failures). Skips are logged."""
    out.mkdir(parents=True, exist_ok=True)
    shots: list[tuple[str, dict, bool, Callable]] = [
        (f"{slug}.png", DESKTOP, False,
         lambda page, slug=slug, title=title: open_settled(page, f"{base}/{page_path(slug)}?{QUERY}", title))
        for slug, title in app_pages()
    ]
    shots += [
        ("tenants-drilldown.png", DESKTOP, False, lambda page: _drilled_tenant(page, base)),
        ("pnl-range.png", DESKTOP, False, lambda page: _pnl_range(page, base)),
        ("pnl-phone.png", PHONE, True, lambda page: open_settled(page, f"{base}/?{QUERY}", _title("pnl"))),
        ("tenants-phone.png", PHONE, True,
         lambda page: open_settled(page, f"{base}/tenants?{QUERY}", _title("tenants"))),
    ]
    written, failures = [], []
    for name, viewport, phone, show in shots:
        page = _page(browser, viewport, phone)
        try:
            show(page)
            _whole_page_in_view(page, viewport)
            page.screenshot(path=str(out / name), full_page=True)
            written.append(out / name)
            log(f"{out / name}")
        except Skipped as note:
            log(f"skipped: {note}")
        except Exception as exc:  # one page that fails does not stop the others; the exit status says so
            failures.append(f"{name}: {str(exc).splitlines()[0][:300]}")
            log(f"FAILED {name}: {str(exc).splitlines()[0][:300]}")
        finally:
            page.context.close()
    return written, failures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="./run screenshots", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots",
                        help="folder for the pictures (default: docs/screenshots/)")
    args = parser.parse_args(argv)
    from arcadia.demo import build_demo
    from benchmarks.browser import launch_chromium

    with tempfile.TemporaryDirectory(prefix="arcadia-screenshots-") as workdir:
        work = Path(workdir)
        build_demo(f"sqlite:///{work / 'demo.sqlite'}", DEMO_NOW)
        project = project_copy(work / "served", work / "demo.sqlite")
        manager, browser = launch_chromium()
        try:
            with streamlit_server(project) as base:
                written, failures = take(browser, base, args.out.resolve())
        finally:
            browser.close()
            manager.stop()
    print(f"{len(written)} screenshots in {args.out}" + (f"; {len(failures)} failed" if failures else ""))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
