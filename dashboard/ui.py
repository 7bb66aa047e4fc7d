"""Shared widgets: the period picker, money tables, CSV downloads, warnings and failure states."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
import streamlit as st

from arcadia import report
from arcadia.db import describe
from arcadia.errors import ArcadiaError, DatabaseUnavailable, InputError
from arcadia.money import display, to_decimal
from arcadia.period import Period
from dashboard import access, data

PERIOD_KEY = "period"


def _month_key(period: str) -> str:
    return period[:7]  # '2026-04': what the URL shows


def period_picker(url: str) -> Period:
    """The shared month selector in the sidebar, mirrored in the URL as ?period=YYYY-MM."""
    from arcadia.coverage import default_month

    months = data.months(url)
    options = [_month_key(m) for m in months]
    default = _month_key(str(default_month([Period.parse(m) for m in months])))
    chosen = st.session_state.get(PERIOD_KEY)
    if chosen not in options:
        # First run of a session: take the link's ?period= when it names an offered month
        # (any day of it, or YYYY-MM), else the latest complete month.
        try:
            chosen = _month_key(str(Period.parse(st.query_params.get(PERIOD_KEY, ""))))
        except InputError:
            chosen = None
        chosen = chosen if chosen in options else default
    # The option text is what the URL carries (?period=2026-04), so options are shown as YYYY-MM.
    choice = st.sidebar.selectbox(
        "Month", options, index=options.index(chosen), key=PERIOD_KEY, bind="query-params",
        help="Months with invoices, provider cost lines or usage, newest first. Shared by every page and kept "
             "in the URL, so a link reproduces the view.",
    )
    return Period.parse(choice)


def selected_period() -> Period:
    """The month chosen in the sidebar (set by app.py before any page runs)."""
    return Period.parse(st.session_state[PERIOD_KEY])


def money(cents: int) -> Decimal:
    """Exact currency units for a table cell (Decimal, never float)."""
    return to_decimal(cents)


def _fmt_money(value) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    # str() first: a Decimal prints exactly, and a float (should one arrive) by its shortest repr.
    return display(int((Decimal(str(value)) * 100).to_integral_value()))


def _fmt_pct(value) -> str:
    return "—" if value is None or (isinstance(value, float) and pd.isna(value)) else f"{Decimal(value):.1f} %"


def _negative_red(value) -> str:
    return "color: #C62828; font-weight: 600" if value is not None and not pd.isna(value) and value < 0 else ""


def money_table(rows: list[dict], money_cols: list[str], pct_cols: tuple[str, ...] = (), highlight: tuple[str, ...] = (),
                key: str | None = None, **kwargs):
    """A table whose money columns print as currency with 2 decimals and margin % with 1; negatives in red."""
    frame = pd.DataFrame(rows)
    if frame.empty:
        st.caption("No rows for this month.")
        return None
    styler = frame.style.format({**{c: _fmt_money for c in money_cols}, **{c: _fmt_pct for c in pct_cols}})
    for column in highlight:
        styler = styler.map(_negative_red, subset=[column])
    return st.dataframe(styler, hide_index=True, width="stretch", key=key, **kwargs)


def csv_download(rows: list[dict], table: str, filename: str, label: str = "Download CSV") -> None:
    """A download of exactly what `python -m arcadia … --csv --table <table>` prints."""
    # on_click="ignore": downloading must not rerun the page (and move the other buttons under the cursor).
    st.download_button(label, report.to_csv(rows, table), file_name=filename, mime="text/csv",
                       key=f"csv-{table}", on_click="ignore", icon=":material/download:")


def warnings(items) -> None:
    for warning in items:
        st.warning(warning, icon=":material/warning:")


def failure(exc: ArcadiaError, url: str) -> None:
    """A friendly page for a failure: which database, what failed, what to do. No traceback."""
    if isinstance(exc, DatabaseUnavailable):
        st.error(f"**The database is unreachable.** {exc}", icon=":material/cloud_off:")
        st.markdown(f"Database: `{describe(url)}`. Check that it is running and that `ARCADIA_DATABASE_URL` "
                    "is right, then reload the page.")
    elif isinstance(exc, InputError):
        st.error(str(exc), icon=":material/error:")
    else:
        st.error(f"**The figures could not be computed.** {exc}", icon=":material/error:")
        st.caption(f"Database: {describe(url)}")


def empty_month(period: Period) -> None:
    st.info(f"No invoices or provider cost lines for {period.label} yet. Pick another month in the sidebar; "
            "the current month's revenue so far is on the Live accrual page.", icon=":material/info:")


def _when(instant) -> str:
    return "none yet" if instant is None else instant.strftime("%Y-%m-%d %H:%M UTC")


def footer(url: str) -> None:
    """Data freshness of each source and which database is shown."""
    fresh = data.freshness(url)
    st.sidebar.caption(
        f"**Data freshness**  \nCost lines ingested: {_when(fresh.latest_cost_line_at)}  \n"
        f"Latest usage reading: {_when(fresh.latest_usage_at)}  \nLatest invoice: {_when(fresh.latest_invoice_at)}  \n"
        f"Database: {describe(url)}"
    )


def delta(now_cents: int, before_cents: int) -> str:
    """A metric delta: '+$12.00' or '-$3.50'."""
    change = now_cents - before_cents
    return ("+" if change >= 0 else "-") + display(abs(change))


def require() -> str:
    """First line of every page: the database URL, once this run has passed the access gate.

    Through app.py the gate has already run. Streamlit can also run a file under
    pages/ on its own (a fresh process serves a page URL before any run has
    called st.navigation): then the same gate and period picker run here.
    """
    url = data.current_url()
    if not access.is_admitted():
        if not access.gate(url):
            st.stop()
        period_picker(url)
    return url
