"""The chart builders' figures drawn by plotly.js in Chromium, at a phone's content width and a desktop's: the
title, the notes and the legend never cover one another, a tick label, an axis title or the plot; nothing runs
off the figure; the ticks and the hover read money like the cards.

plotly.js is the copy in the plotly package, loaded from disk into a blank page (no server; every request off
localhost is aborted). Streamlit draws with its own copy and theme: close enough for boxes this far apart.
"""

from __future__ import annotations

import json
from pathlib import Path

import plotly
import pytest

from arcadia import charts
from arcadia.analytics import Accrual, KindAmount, MonthPnL, TenantPnL
from arcadia.period import Period, parse_instant
from arcadia.quote import Quote, Subscription
from tests.browser_support import new_page
from tests.conftest import DEMO_NOW

pytestmark = pytest.mark.browser
PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
# A 390 px phone less Streamlit's 1 rem padding each side; a desktop's main column.
WIDTHS = (358, 1200)
NOVEMBER = Period.parse("2026-11-01")
LONG = "Very Long Holdings International Pty Ltd <b>x</b>"

BOXES = """() => {
  const boxes = selector => [...document.querySelectorAll('#chart ' + selector)].map(e => {
    const b = e.getBoundingClientRect();
    return {what: selector, text: e.textContent, left: b.left, top: b.top, right: b.right, bottom: b.bottom};
  }).filter(b => b.right > b.left && b.bottom > b.top);
  return {legend: boxes('.legend'), title: boxes('.gtitle'), notes: boxes('.annotation'),
          ticks: boxes('.xtick text').concat(boxes('.ytick text')),
          axisTitles: boxes('.g-xtitle').concat(boxes('.g-ytitle')), plot: boxes('.nsewdrag')};
}"""


def _month(start: str, revenue: int, cogs: int, has_data: bool = True, note: str = "") -> MonthPnL:
    return MonthPnL(revenue, cogs, Period.parse(start), has_data, "USD", note)


def _tenants(count: int) -> tuple[TenantPnL, ...]:
    rows = [TenantPnL(100_000 + i * 7_919, 100_000 + (count // 3 - i) * 5_003, f"t{i:03d}", f"{LONG} {i}")
            for i in range(count)]
    return tuple(sorted(rows, key=lambda t: (t.margin_cents, t.tenant_id)))


def _figures() -> dict:
    """Each builder at its most crowded: long names, notes of several lines, a month in progress, a legend."""
    history = tuple(_month(f"2026-{m:02d}-01", 150_000 + m * 40_000, 160_000 + m * 30_000,
                           note="mixed currencies (EUR, USD)" if m == 3 else "") for m in range(1, 12))
    quotes = tuple(Quote(Subscription(id=f"s-{i}", tenant_id=f"t{i:03d}", deployment_id=None, started_at=None,
                                      ended_at=None, currency="USD", items=())) for i in range(40))
    names = {t.tenant_id: t.tenant_name for t in _tenants(40)}
    return {
        "trend": charts.trend(history, "USD", NOVEMBER),
        "trend, nothing yet this month": charts.trend(history[:-1] + (_month("2026-11-01", 0, 0, False),), "USD",
                                                      NOVEMBER),
        "tenant_margins": charts.tenant_margins(_tenants(60), top=25),
        "tenants_bar": charts.tenants_bar(_tenants(60), top=25),
        "kinds_bar": charts.kinds_bar(tuple(KindAmount(k, 1_000_000 - i * 90_000) for i, k in enumerate(
            ["droplet", "kubernetes", "database", "volume", "load_balancer", "backup", "snapshot", "spaces",
             "bandwidth", "other", "gpu_reserved_capacity"])), "Revenue by billing kind (ex-GST)", charts.REVENUE),
        "accrual_by_tenant": charts.accrual_by_tenant(Accrual(parse_instant(DEMO_NOW), NOVEMBER, "USD", quotes),
                                                      names, top=25),
    }


FIGURES = _figures()


@pytest.fixture(scope="module")
def page(browser):
    page = new_page(browser, 30_000)
    page.set_content("<html><body style='margin:0'><div id=chart></div></body></html>")
    page.add_script_tag(path=str(PLOTLY_JS))
    yield page
    page.context.close()


def _draw(page, fig, width: int) -> dict:
    page.set_viewport_size({"width": width, "height": 1000})
    page.evaluate("([fig, width]) => Plotly.newPlot('chart', fig.data, {...fig.layout, width: width,"
                  " height: fig.layout.height || 450}, {displayModeBar: false})", [json.loads(fig.to_json()), width])
    return page.evaluate(BOXES)


def _overlap(a: dict, b: dict) -> bool:
    return a["left"] < b["right"] and b["left"] < a["right"] and a["top"] < b["bottom"] and b["top"] < a["bottom"]


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", FIGURES)
def test_title_notes_and_legend_cover_nothing_and_stay_in_the_figure(page, name, width):
    fig = FIGURES[name]
    boxes = _draw(page, fig, width)
    top = boxes["title"] + boxes["notes"] + boxes["legend"]
    assert len(boxes["title"]) == 1 and len(boxes["legend"]) == bool(fig.layout.showlegend)
    assert len(boxes["notes"]) == len(fig.layout.annotations) and boxes["plot"] and boxes["ticks"]
    others = boxes["ticks"] + boxes["axisTitles"] + boxes["plot"]
    clashes = [(a["what"], a["text"][:40], b["what"], b["text"][:40]) for i, a in enumerate(top)
               for b in top[i + 1:] + others if _overlap(a, b)]
    assert clashes == []
    outside = [(b["what"], b["text"][:40]) for b in top + boxes["ticks"] + boxes["axisTitles"]
               if b["left"] < 0 or b["right"] > width + 0.5 or b["top"] < 0]
    assert outside == []


def test_ticks_and_hover_read_like_the_cards(page):
    history = (_month("2026-09-01", 1_000, 600), _month("2026-10-01", 10_000, 27_085), _month("2026-11-01", 300, 800))
    _draw(page, charts.trend(history, "USD", NOVEMBER), 1200)
    ticks = page.locator("#chart .ytick text").all_text_contents()
    assert ticks == ["-$200", "-$100", "$0", "$100", "$200"]  # our texts as given, not "$−170"
    plot = page.locator("#chart .nsewdrag").first.bounding_box()
    page.mouse.move(plot["x"] + plot["width"] * 0.5, plot["y"] + plot["height"] * 0.5)  # October, of three months
    page.wait_for_timeout(200)
    hover = page.locator("#chart .hoverlayer text").all_text_contents()
    assert hover == ["Oct 2026", "Revenue: $100.00", "COGS: $270.85", "Margin: -$170.85"]
    page.mouse.move(plot["x"] + plot["width"] * 0.95, plot["y"] + plot["height"] * 0.5)
    page.wait_for_timeout(200)
    assert page.locator("#chart .hoverlayer text").all_text_contents() == [
        "Nov 2026 (in progress)", "Revenue so far: $3.00", "COGS so far: $8.00", "Margin so far: -$5.00"]
