"""Outside text shown literally: Streamlit markdown escaping (dashboard/literal.py) and chart labels
(arcadia/charts.py). What a browser makes of them is in tests/test_browser_hostile.py."""

from __future__ import annotations

import html
import re
import string

import pytest

from arcadia import analytics, charts
from arcadia.analytics import KindAmount, TenantPnL
from arcadia.db import engine_for
from arcadia.period import parse_instant
from dashboard.literal import WORD_JOINER as WJ
from dashboard.literal import literal_markdown
from tests.conftest import DEMO_NOW

HOSTILE = [
    "[click](https://evil.example)",
    "![i](https://evil.example/pixel.png)",
    "<img src=https://evil.example/x.png>",
    '<a href="https://evil.example">a</a>',
    '=HYPERLINK("http://evil.example/?x=1","click me")',
    ":smile: :red[red] $x^2$",
    "**bold**",
    "%{y} %{x:$.2f} &amp; $x$",
]


@pytest.mark.parametrize("text, markdown", [
    ("Acme Pty Ltd", "Acme Pty Ltd"),
    ("", ""),
    ("**bold**", r"\*\*bold\*\*"),
    ("[click](https://evil.example)", rf"\[click\]\(https\:{WJ}\/\/evil\.example\)"),
    ("<img src=x>", r"\<img src\=x\>"),
    (":smile: :red[red] $x^2$", r"\:smile\: \:red\[red\] \$x\^2\$"),
    (":material/home:", r"\:material\/home\:"),
    (":streamlit:", rf"\:{WJ}streamlit\:"),
    ("www.evil.example WWW.x.example", rf"www{WJ}\.evil\.example WWW{WJ}\.x\.example"),
    ("me@evil.example", rf"me\@{WJ}evil\.example"),
    ("a -> b <-> c -- d >= e", rf"a \-{WJ}\> b \<{WJ}\-{WJ}\> c \-{WJ}\- d \>{WJ}\= e"),
    ("&amp; &#65;", r"\&amp\; \&\#65\;"),
    ("back\\slash", r"back\\slash"),
    ("# title\n- item\n1. one", "\\# title\\\n\\- item\\\n1\\. one"),
    ("x\n\n    code", "x\\\n\\\ncode"),
    ("naïve — 5 €", "naïve — 5 €"),
])
def test_literal_markdown(text, markdown):
    assert literal_markdown(text) == markdown


@pytest.mark.parametrize("text", HOSTILE + [string.punctuation, "a\\\nb", "trailing\\"])
def test_every_ascii_punctuation_character_is_escaped(text):
    out = literal_markdown(text)
    # Read left to right: a backslash always escapes the next character (punctuation or the line's end).
    assert re.fullmatch(r"(?:\\[!-/:-@\[-`{-~\n]|[^!-/:-@\[-`{-~\n])*", out), out
    assert re.sub(r"\\(.)", r"\1", out, flags=re.S).replace(WJ, "") == text


def _tenant(tenant_id: str, name: str, revenue: int = 100, cogs: int = 50) -> TenantPnL:
    return TenantPnL(revenue_cents=revenue, cogs_cents=cogs, tenant_id=tenant_id, tenant_name=name)


def _labels(fig) -> list[str]:
    """The category labels a chart draws (tick texts: bars sit on row numbers, so equal names never merge);
    on a horizontal chart they are the y axis's (the x axis carries money)."""
    horizontal = fig.data and getattr(fig.data[0], "orientation", None) == "h"
    return list((fig.layout.yaxis if horizontal else fig.layout.xaxis).ticktext or ())


def _no_templates(fig) -> bool:
    """No hover or text template: Plotly fills %{…} only in templates, so data text is never one."""
    return all(getattr(trace, "hovertemplate", None) is None and getattr(trace, "texttemplate", None) is None
               for trace in fig.data)


def _shown(text: str) -> str:
    return html.escape(charts._short(text), quote=False)


@pytest.mark.parametrize("name", HOSTILE)
@pytest.mark.parametrize("builder", [charts.tenants_bar, charts.tenant_margins])
def test_tenant_names_are_escaped_in_the_tenant_charts(builder, name):
    # Worst margin first, like the table: "Plain" (margin 10) before the hostile name (margin 450).
    fig = builder((_tenant("t2", "Plain", 400, 390), _tenant("t1", name, 500)), top=5)
    assert sorted(_labels(fig)) == sorted(["Plain", _shown(name)])
    assert not any("<" in label for label in _labels(fig)) and _no_templates(fig)


def test_a_link_in_a_tenant_name_is_text_in_the_figure():
    fig = charts.tenants_bar((_tenant("t1", '<a href="https://evil.example">x</a>'),), top=5)
    assert _labels(fig) == [_shown('<a href="https://evil.example">x</a>')]
    assert "<a" not in fig.to_json()


@pytest.mark.parametrize("kind", HOSTILE)
def test_kind_ids_are_escaped_in_the_kinds_chart(kind):
    fig = charts.kinds_bar((KindAmount(kind, 100), KindAmount("droplet", 50)), "COGS", charts.COGS)
    labels = _labels(fig)
    assert labels[1] == "Droplets" and "<" not in labels[0] and "<" not in fig.to_json().replace("\\u003c", "")
    assert _no_templates(fig)


def test_tenants_with_the_same_name_get_a_bar_each():
    fig = charts.tenants_bar((_tenant("<b>1</b>", "Same", 200), _tenant("2", "Same", 100)), top=5)
    assert _labels(fig) == ["Same", "Same"] and len(fig.data[0].y) == 2


def test_tenant_names_are_escaped_in_the_accrual_chart(demo_sqlite_url):
    accrual = analytics.live_accrual(engine_for(demo_sqlite_url), parse_instant(DEMO_NOW))
    tenants = sorted({q.subscription.tenant_id for q in accrual.quotes})
    names = {t: HOSTILE[i % len(HOSTILE)] + f" {i}" for i, t in enumerate(tenants)}
    fig = charts.accrual_by_tenant(accrual, names, top=len(tenants))
    assert sorted(_labels(fig)[:len(tenants)]) == sorted(_shown(n) for n in names.values())
    assert _no_templates(fig)

