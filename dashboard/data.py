"""Cached access to the analytics for the pages: one engine per process, results keyed on URL and period.

Every function returns the analytics objects unchanged: pages render them, never recompute them.
The figures are immutable (frozen dataclasses of tuples), so they are cached as shared resources:
a large reseller's month (tens of thousands of rows) is not copied out of a pickle on every rerun,
and held once per server, not once per session.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from typing import NamedTuple

import streamlit as st

from arcadia import analytics, coverage
from arcadia.db import database_url, probe
from arcadia.embedded import get_engine
from arcadia.period import UTC, MonthRange, Period, parse_range
from dashboard.literal import literal_markdown

MONTH_TTL = "10m"
ACCRUAL_TTL = "60s"


def now() -> datetime:
    """The dashboard's clock: which month is in progress (tests pin it)."""
    return datetime.now(UTC)


def in_progress() -> Period:
    """The month in progress: the calendar month that holds now."""
    return Period.current(now())


def current_url() -> str:
    """The database this dashboard shows ($ARCADIA_DATABASE_URL or the embedded demo)."""
    return database_url(st.session_state.get("_database_url"))


@st.cache_resource(show_spinner=False)
def _engine(url: str):
    return get_engine(url)


def months_of(text: str) -> Period | MonthRange:
    """A month ('2026-04-01') or a range ('2026-04-01..2026-06-01', str() of a MonthRange) as a cache key's text."""
    if ".." in text:
        first, last = text.split("..", 1)
        return parse_range(first, last)
    return Period.parse(text)


class _Computed(NamedTuple):
    figure: object
    at: datetime


# Cached figures are served for up to their TTL without asking the database. When it has gone away
# in the meantime, the page says so and how old the figures are (see `_served`).
# Keyed on the month in progress too: whether a month is in progress is part of its figure.
@st.cache_resource(ttl=MONTH_TTL, max_entries=64, show_spinner=False)
def _margin(url: str, period: str, current: str) -> _Computed:
    return _Computed(analytics.margin_summary(_engine(url), months_of(period), now()), datetime.now(UTC))


@st.cache_resource(ttl=MONTH_TTL, max_entries=64, show_spinner=False)
def _trend(url: str, last: str, currency: str | None) -> _Computed:
    return _Computed(analytics.monthly_pnl(_engine(url), Period.parse(last), currency=currency), datetime.now(UTC))


@st.cache_resource(ttl=MONTH_TTL, max_entries=64, show_spinner=False)
def _by_kind(url: str, period: str, current: str) -> _Computed:
    return _Computed(analytics.by_kind(_engine(url), months_of(period), now()), datetime.now(UTC))


@st.cache_resource(ttl=ACCRUAL_TTL, max_entries=16, show_spinner=False)
def _accrual(url: str, as_of: str | None) -> _Computed:
    return _Computed(analytics.live_accrual(_engine(url), as_of and datetime.fromisoformat(as_of)), datetime.now(UTC))


def margin(url: str, period: str) -> analytics.MarginSummary:
    return _served(url, _margin(url, period, str(in_progress())))


def trend(url: str, last: str, currency: str | None = None) -> tuple[analytics.MonthPnL, ...]:
    return _served(url, _trend(url, last, currency))


def by_kind(url: str, period: str) -> analytics.ByKind:
    return _served(url, _by_kind(url, period, str(in_progress())))


def accrual(url: str, as_of: str | None = None) -> analytics.Accrual:
    return _served(url, _accrual(url, as_of))


def clear_accrual() -> None:
    _accrual.clear()


def clear_figures() -> None:
    """Forget every cached figure (tests; a rebuilt database)."""
    for cached in (_margin, _trend, _by_kind, _accrual, _tenant_history):
        cached.clear()


STALE_AFTER = timedelta(seconds=30)
_page = threading.local()  # the notice slot of the page this thread is running


def stale_notice_slot(slot) -> None:
    """Where this page run says that its figures are stale (an st.empty() near the top of the page)."""
    _page.slot, _page.noticed = slot, None


def _served(url: str, computed: _Computed):
    """The cached figure; when it is older than STALE_AFTER and the database does not answer now, the
    page's notice slot says so and how old the figure is (the oldest one on the page)."""
    age = datetime.now(UTC) - computed.at
    slot = getattr(_page, "slot", None)
    if age > STALE_AFTER and slot is not None:
        problem = database_problem(url)
        if problem is not None and (_page.noticed is None or computed.at < _page.noticed):
            _page.noticed = computed.at
            minutes = int(age.total_seconds() // 60)
            slot.warning(literal_markdown(
                f"The database does not answer now ({problem}). The figures below were computed at "
                f"{computed.at:%Y-%m-%d %H:%M} UTC ({'under a minute' if not minutes else f'{minutes} min'} ago) "
                "and may be out of date."), icon=":material/history:")
    return computed.figure


@st.cache_data(ttl="5s", show_spinner=False)
def database_problem(url: str) -> str | None:
    """Why the database cannot answer now, or None (asked at most every 5 s per server)."""
    return probe(url)


@st.cache_resource(ttl=MONTH_TTL, max_entries=16, show_spinner=False)
def _tenant_history(url: str, last: str) -> _Computed:
    return _Computed(analytics.tenant_history(_engine(url), Period.parse(last)), datetime.now(UTC))


def tenant_history(url: str, last: str) -> dict[str, tuple[analytics.MonthPnL, ...]]:
    """Each tenant's revenue and COGS over the 12 months ending with `last` (for sparklines and Δ)."""
    return _served(url, _tenant_history(url, last))


def months(url: str) -> list[str]:
    """The months offered, newest first (the month in progress always)."""
    return _months(url, str(in_progress()))


@st.cache_data(ttl=MONTH_TTL, show_spinner=False)
def _months(url: str, current: str) -> list[str]:
    return [str(m) for m in coverage.data_months(_engine(url), now())]


@st.cache_data(ttl=MONTH_TTL, show_spinner=False)
def freshness(url: str) -> coverage.Freshness:
    return coverage.freshness(_engine(url))


@st.cache_data(ttl=MONTH_TTL, show_spinner=False)
def tenant_names(url: str) -> dict[str, str]:
    return coverage.tenant_names(_engine(url))


@st.cache_data(ttl=MONTH_TTL, show_spinner=False)
def tenant_cost_lines(url: str, tenant_id: str, period: str) -> list[dict]:
    return coverage.tenant_cost_lines(_engine(url), tenant_id, months_of(period))


@st.cache_data(ttl=MONTH_TTL, show_spinner=False)
def unattributed_cost_lines(url: str, period: str) -> list[dict]:
    return coverage.unattributed_cost_lines(_engine(url), Period.parse(period))


@st.cache_resource(ttl="1h", max_entries=8, show_spinner="Measuring the estimate against past months…")
def estimate_accuracy(url: str, month: str):
    """accuracy.estimate_accuracy as of the month in progress (`month`, the cache key): it changes once a month."""
    from arcadia import accuracy

    return accuracy.estimate_accuracy(_engine(url), now=Period.parse(month).start_at)


@st.cache_resource(ttl=ACCRUAL_TTL, max_entries=8, show_spinner="Evaluating the alert rules…")
def _alert_findings(url: str, rules: str, public_url: str | None, minute: str):
    from arcadia import alert_rules
    import json

    return alert_rules.evaluate(_engine(url), json.loads(rules), now(), public_url)


def alert_findings(url: str, config):
    """What holds now under the config's rules (kept a minute)."""
    import json

    rules = json.dumps(config.rules, default=str, sort_keys=True)
    return _alert_findings(url, rules, config.public_url, f"{now():%Y-%m-%d %H:%M}")


def alert_history(url: str) -> list[dict]:
    """What `alerts run` has sent (alert_state), newest first."""
    from arcadia import alert_run
    from arcadia.db import connect

    with connect(_engine(url)) as conn:
        return alert_run.history(conn)
