"""The theme of .streamlit/config.toml: a light and a dark theme that follow the viewer's system setting, text at
WCAG AA contrast (4.5:1) on the backgrounds it is drawn on, chart colours at 3:1 (WCAG 1.4.11) on both
backgrounds, and nothing that would make the browser fetch from another host."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from streamlit import config as streamlit_config

from arcadia import charts

CONFIG = Path(__file__).resolve().parent.parent / ".streamlit" / "config.toml"
MODES = ("light", "dark")

# (foreground, background, least ratio). Text 4.5:1; the primary colour also marks text (the active tab, links).
TEXT = [
    ("textColor", "backgroundColor"),
    ("textColor", "secondaryBackgroundColor"),
    ("linkColor", "backgroundColor"),
    ("primaryColor", "backgroundColor"),
    # Metric deltas sit on the page; alerts (error, warning, info, success) on their own background.
    ("redTextColor", "backgroundColor"),
    ("greenTextColor", "backgroundColor"),
    ("redTextColor", "secondaryBackgroundColor"),
    ("greenTextColor", "secondaryBackgroundColor"),
    ("redTextColor", "redBackgroundColor"),
    ("yellowTextColor", "yellowBackgroundColor"),
    ("blueTextColor", "blueBackgroundColor"),
    ("greenTextColor", "greenBackgroundColor"),
]
CHART = {"REVENUE": charts.REVENUE, "COGS": charts.COGS, "MARGIN": charts.MARGIN, "LOSS": charts.LOSS,
         "GAIN": charts.GAIN, "ZERO_LINE": charts.ZERO_LINE}


def _channel(value: int) -> float:
    c = value / 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def luminance(color: str) -> float:
    """WCAG relative luminance of '#RRGGBB'."""
    red, green, blue = (_channel(int(color[i:i + 2], 16)) for i in (1, 3, 5))
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast(a: str, b: str) -> float:
    """WCAG contrast ratio of two colours, 1 to 21."""
    light, dark = sorted((luminance(a), luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def _config() -> dict:
    return tomllib.loads(CONFIG.read_text())


def theme(mode: str) -> dict[str, str]:
    """The options of one mode as Streamlit resolves them: [theme] overridden by [theme.<mode>]."""
    section = _config()["theme"]
    base = {k: v for k, v in section.items() if not isinstance(v, dict)}
    return {**base, **section[mode]}


@pytest.mark.parametrize("a, b, ratio", [
    ("#000000", "#FFFFFF", 21.0),
    ("#FFFFFF", "#FFFFFF", 1.0),
    ("#777777", "#FFFFFF", 4.48),   # the classic grey just under AA
    ("#0072B2", "#FFFFFF", 5.19),
])
def test_contrast_ratio(a, b, ratio):
    assert contrast(a, b) == pytest.approx(ratio, abs=0.01) and contrast(b, a) == contrast(a, b)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("text, background", TEXT)
def test_text_meets_wcag_aa(mode, text, background):
    colors = theme(mode)
    assert contrast(colors[text], colors[background]) >= 4.5, (mode, text, colors[text], background,
                                                               colors[background])


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", CHART)
def test_chart_colours_stand_out_on_both_backgrounds(mode, name):
    background = theme(mode)["backgroundColor"]
    assert contrast(CHART[name], background) >= 3, (mode, name, CHART[name], background)


def test_both_themes_are_defined_so_the_system_setting_is_followed():
    section = _config()["theme"]
    # A `base` would pin one theme; with [theme.light] and [theme.dark] the app menu offers System (the default),
    # Light and Dark.
    assert "base" not in section
    for mode in MODES:
        assert {"backgroundColor", "secondaryBackgroundColor", "textColor"} <= set(section[mode])


def test_every_theme_option_is_one_streamlit_knows():
    known = set(streamlit_config.get_config_options())
    section = _config()["theme"]
    keys = [f"theme.{k}" for k, v in section.items() if not isinstance(v, dict)]
    keys += [f"theme.{mode}.{k}" for mode in MODES for k in section[mode]]
    assert [k for k in keys if k not in known] == []


def test_nothing_is_fetched_from_another_host_and_usage_stats_stay_off():
    data = _config()
    assert data["browser"]["gatherUsageStats"] is False
    text = CONFIG.read_text()
    assert "://" not in text and "googleapis" not in text and "gstatic" not in text
    section = data["theme"]
    assert "fontFaces" not in section
    for options in [section, *(section[m] for m in MODES)]:
        assert not any(k.lower().endswith("font") for k in options)  # Streamlit's own fonts, served locally
