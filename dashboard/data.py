"""Cached access to the analytics for the pages: one engine per process, results keyed on URL and period.

Every function returns the analytics objects unchanged: pages render them, never recompute them.
The figures are immutable (frozen dataclasses of tuples), so they are cached as shared resources:
a large reseller's month (tens of thousands of rows) is not copied out of a pickle on every rerun,
and held once per server, not once per session.
"""

from __future__ import annotations

from datetime import datetime

import streamlit as st

from arcadia import analytics, coverage
from arcadia.db import database_url
from arcadia.embedded import get_engine
from arcadia.period import UTC, Period

MONTH_TTL = "10m"
ACCRUAL_TTL = "60s"


def current_url() -> str:
    """The database this dashboard shows ($ARCADIA_DATABASE_URL or the embedded demo)."""
    return database_url(st.session_state.get("_database_url"))


@st.cache_resource(show_spinner=False)
def _engine(url: str):
    return get_engine(url)


@st.cache_resource(ttl=MONTH_TTL, max_entries=64, show_spinner=False)
def margin(url: str, period: str) -> analytics.MarginSummary:
    return analytics.margin_summary(_engine(url), Period.parse(period), datetime.now(UTC))


@st.cache_resource(ttl=MONTH_TTL, max_entries=64, show_spinner=False)
def trend(url: str, last: str) -> tuple[analytics.MonthPnL, ...]:
    return analytics.monthly_pnl(_engine(url), Period.parse(last))


@st.cache_resource(ttl=MONTH_TTL, max_entries=64, show_spinner=False)
def by_kind(url: str, period: str) -> analytics.ByKind:
    return analytics.by_kind(_engine(url), Period.parse(period))


@st.cache_resource(ttl=ACCRUAL_TTL, max_entries=16, show_spinner=False)
def accrual(url: str, as_of: str | None = None) -> analytics.Accrual:
    return analytics.live_accrual(_engine(url), as_of and datetime.fromisoformat(as_of))


@st.cache_data(ttl=MONTH_TTL, show_spinner=False)
def months(url: str) -> list[str]:
    return [str(m) for m in coverage.data_months(_engine(url))]


@st.cache_data(ttl=MONTH_TTL, show_spinner=False)
def freshness(url: str) -> coverage.Freshness:
    return coverage.freshness(_engine(url))


@st.cache_data(ttl=MONTH_TTL, show_spinner=False)
def tenant_names(url: str) -> dict[str, str]:
    return coverage.tenant_names(_engine(url))


@st.cache_data(ttl=MONTH_TTL, show_spinner=False)
def tenant_cost_lines(url: str, tenant_id: str, period: str) -> list[dict]:
    return coverage.tenant_cost_lines(_engine(url), tenant_id, Period.parse(period))


@st.cache_data(ttl=MONTH_TTL, show_spinner=False)
def unattributed_cost_lines(url: str, period: str) -> list[dict]:
    return coverage.unattributed_cost_lines(_engine(url), Period.parse(period))
