"""Cached data health reports for the Data health page, keyed on database URL and month.

A report is a handful of small rows computed by a dozen queries; it is kept ten minutes like the
month figures (a fixed row shows as fixed after the cache expires or the page's refresh).
"""

from __future__ import annotations

from datetime import datetime

import streamlit as st

from arcadia import health
from arcadia.period import UTC, Period
from dashboard.data import MONTH_TTL, _engine


@st.cache_data(ttl=MONTH_TTL, max_entries=64, show_spinner="Checking the data…")
def report(url: str, period: str) -> health.Report:
    """health.check for one month (global checks included), as of now."""
    return health.check(_engine(url), Period.parse(period), datetime.now(UTC))
