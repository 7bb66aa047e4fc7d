"""Cached data health reports for the Data health page, keyed on database URL and month.

A report is a handful of small rows computed by a dozen queries; it is kept ten minutes like the
month figures (a fixed row shows as fixed after the cache expires or the page's refresh).
"""

from __future__ import annotations

from datetime import datetime

import streamlit as st

from arcadia import health
from arcadia.period import UTC, Period, iso
from dashboard.data import MONTH_TTL, _engine


@st.cache_data(ttl=MONTH_TTL, max_entries=64, show_spinner="Checking the data…")
def report(url: str, period: str) -> health.Report:
    """health.check for one month (global checks included), as of now."""
    return health.check(_engine(url), Period.parse(period), datetime.now(UTC))


def in_place_rows(report: health.Report) -> list[dict]:
    """The invoices in place as table rows (amount in cents for the money column)."""
    return [{"month": p.period.label, "account": p.account, "source": p.words, "lines": p.line_count,
             "amount": p.amount_cents, "runs to": iso(p.lines_through), "imported": iso(p.imported_at)}
            for p in report.in_place]


def sync_rows(report: health.Report) -> list[dict]:
    """Each account's last sync: when it last succeeded, the last attempt and its outcome."""
    return [{"account": s["account"], "last success": iso(s["succeeded_at"]) or "never",
             "last attempt": iso(s["attempted_at"]), "outcome": s["outcome"]} for s in report.syncs]
