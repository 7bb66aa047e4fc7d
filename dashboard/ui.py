"""Shared widgets: the period picker, money tables, CSV downloads, warnings and failure states."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import TypeVar

import pandas as pd
import pyarrow as pa
import streamlit as st

from arcadia import report
from arcadia.analytics import ByKind, MarginSummary
from arcadia.db import describe
from arcadia.errors import ArcadiaError, DatabaseTimeout, DatabaseUnavailable, DataError, InputError
from arcadia.money import display, margin_pct, to_decimal
from arcadia.period import MonthRange, Period
from dashboard import access, data
from dashboard.literal import literal_markdown

PERIOD_KEY = "period"
T = TypeVar("T")


def _month_key(period: str) -> str:
    return period[:7]  # '2026-04': what the URL shows


def period_picker(url: str) -> Period:
    """The shared month selector in the sidebar, always mirrored in the URL as ?period=YYYY-MM.

    Which month: the one picked this session; on arrival, the link's ?period= (any day of a month, or
    YYYY-MM) when the month has data, else the latest complete month, with a notice naming what the
    link asked for. The URL always carries the month shown, so a reload or a shared link reproduces it.
    """
    from arcadia.coverage import default_month

    months = data.months(url)
    options = [_month_key(m) for m in months]
    current = _month_key(str(data.in_progress()))
    chosen = st.session_state.get(PERIOD_KEY)
    if chosen not in options:
        chosen = st.session_state.get(_CHOSEN)  # kept while a page without the picker was shown
    if chosen not in options:
        default = default_month([Period.parse(m) for m in months], data.now())  # the latest complete month
        chosen = _month_from_link(options, _month_key(str(default)))
    # `index`, not Session State: the picker may be a new widget on this run (Streamlit can run a page file
    # on its own), and a new widget starts from its index.
    choice = st.sidebar.selectbox(
        "Month", options, index=options.index(chosen), key=PERIOD_KEY,
        format_func=lambda m: f"{m} (in progress)" if m == current else m,
        help="Months with invoices, provider cost lines or usage, newest first. Shared by every page and kept "
             "in the URL, so a link reproduces the view.",
    )
    st.session_state[_CHOSEN] = choice
    if st.query_params.get(PERIOD_KEY) != choice:
        st.query_params[PERIOD_KEY] = choice
    return Period.parse(choice)


_CHOSEN = "_period.chosen"  # the month picked, also across runs of pages that do not show the picker


def _month_from_link(options: list[str], default: str) -> str:
    """The month the link's ?period= names when it is offered, else `default` (saying so when it named another)."""
    wanted = st.query_params.get(PERIOD_KEY)
    if not wanted:
        return default
    try:
        month = _month_key(str(Period.parse(wanted)))
    except InputError:
        month = None
    if month in options:
        return month
    why = "is not a month" if month is None else "has no invoices, cost lines or usage"
    st.warning(literal_markdown(f"The link asks for period {wanted!r}, which {why}: showing "
                                f"{Period.parse(default).label} instead."), icon=":material/event_busy:")
    return default


RANGE_KEY, PRESET_KEY, FROM_KEY = "range", "range_preset", "range_from"
PRESETS = ("Last 3 months", "Quarter to date", "Year to date", "Last 12 months", "Custom")


def range_picker(url: str, last: Period) -> MonthRange | None:
    """Below the month picker: 'Several months' and a preset (or a custom first month) ending with `last`.

    Mirrored in the URL as ?from=YYYY-MM&to=YYYY-MM (with ?period= the last month), so a link reproduces it.
    The choice is also kept apart from the widgets, which a page may render anew (see period_picker).
    """
    options = [m for m in (_month_key(x) for x in data.months(url)) if m <= _month_key(str(last))]
    remembered = st.session_state.get(_RANGE_STATE)
    if remembered is None:  # arriving: a link's ?from=&to= turns the range on
        linked = st.query_params.get("from")
        remembered = (bool(linked and st.query_params.get("to")), "Custom" if linked else PRESETS[0],
                      (linked or "")[:7])
    on, preset, first_key = remembered
    # The widgets' own last values first (a page may render them anew; see period_picker).
    on = st.session_state.get(RANGE_KEY, on)
    preset = st.session_state.get(PRESET_KEY) if st.session_state.get(PRESET_KEY) in PRESETS else preset
    first_key = st.session_state.get(FROM_KEY) or first_key
    on = st.sidebar.toggle("Several months", value=on, key=RANGE_KEY,
                           help="Sum the P&L, tenants and kinds over a range of months ending with the month above.")
    if on:
        preset = st.sidebar.selectbox("Range", PRESETS, index=PRESETS.index(preset), key=PRESET_KEY)
        if preset == "Custom" and options:
            first_key = st.sidebar.selectbox(
                "From", options, index=options.index(first_key) if first_key in options else len(options) - 1,
                key=FROM_KEY)
    st.session_state[_RANGE_STATE] = (on, preset, first_key)
    if not on:
        for param in ("from", "to"):
            if param in st.query_params:
                del st.query_params[param]
        return None
    first = Period.parse(first_key) if preset == "Custom" and first_key in options else preset_start(preset, last)
    months = MonthRange(min(first, last), last)
    st.query_params["from"], st.query_params["to"] = _month_key(str(months.first)), _month_key(str(months.last))
    return months


_RANGE_STATE = "_range.state"  # (on, preset, first month) as last chosen


def preset_start(preset: str, last: Period) -> Period:
    """The first month of a preset range ending with `last`."""
    if preset == "Year to date":
        return Period.parse(f"{last.start.year}-01")
    if preset == "Quarter to date":
        return Period.parse(f"{last.start.year}-{(last.start.month - 1) // 3 * 3 + 1:02d}")
    return last.minus(2 if preset == "Last 3 months" else 11)


def selected_months() -> Period | MonthRange:
    """The month chosen in the sidebar, or the range of months ending with it when 'Several months' is on."""
    return st.session_state.get(RANGE_CHOSEN) or selected_period()


RANGE_CHOSEN = "_range.chosen"  # set by app.py each run: the range shown, or None


def shown_period(period: Period, what: str) -> None:
    """In the sidebar, instead of the month picker: the month a page is about (e.g. the live accrual's)."""
    st.sidebar.text(f"Month: {period.label}{' (in progress)' if period == data.in_progress() else ''}\n{what}")


def selected_period() -> Period:
    """The month chosen in the sidebar (set by app.py before any page runs)."""
    return Period.parse(st.session_state.get(PERIOD_KEY) or st.session_state[_CHOSEN])


def money(cents: int) -> Decimal:
    """Exact currency units for a table cell (Decimal, never float)."""
    return to_decimal(cents)


# Table cells travel to the browser as Arrow decimals: the exact value, which the grid formats
# (NumberColumn "dollar": "$1,234.50", "-$15.80"). Typed arrays, because pyarrow's inference over
# Decimal objects costs ~40 ms per 20,000 cells; 20 digits hold any bigint of cents.
MONEY = pa.decimal128(20, 2)
PERCENT = pa.decimal128(20, 1)
LOSS = "loss"


def _column(values, arrow_type) -> pd.arrays.ArrowExtensionArray:
    return pd.arrays.ArrowExtensionArray(pa.array(values, arrow_type))


def table_frame(rows: list[dict], money_cols=(), pct_cols=(), loss_col: str | None = None,
                alert: tuple[str, Callable[[dict], bool]] | None = None) -> pd.DataFrame:
    """The frame a money table shows: money columns (integer cents in `rows`) as exact decimals of currency
    units, margin % columns (Decimal or None) as one-decimal decimals, and a 'flag' column marking a
    negative `loss_col` with a red 'loss' label (and, with `alert` = (label, test), the rows the test picks)."""
    frame = pd.DataFrame(rows)
    # From the rows, not the frame: pandas would turn a column of ints with a None into floats.
    for column in money_cols:
        frame[column] = _column([None if row[column] is None else money(row[column]) for row in rows], MONEY)
    for column in pct_cols:
        frame[column] = _column([row[column] for row in rows], PERCENT)
    if loss_col is not None:
        flags = [[LOSS] if row[loss_col] is not None and row[loss_col] < 0 else [] for row in rows]
        if alert is not None:
            label, test = alert
            flags = [row_flags + [label] if test(row) else row_flags for row_flags, row in zip(flags, rows)]
        # After the margin and its % (when the % follows it): on a phone the name, margin and margin % come first.
        at = frame.columns.get_loc(loss_col) + 1
        if at < len(frame.columns) and frame.columns[at] in pct_cols:
            at += 1
        frame.insert(at, "flag", flags)
    return frame


def _column_config(money_cols, pct_cols, loss_col, extra, alert=None) -> dict:
    config = {c: st.column_config.NumberColumn(c, format="dollar") for c in money_cols}
    # Margin % is already ×100: the "percent" format would multiply again.
    config.update({c: st.column_config.NumberColumn(c, format="%.1f %%") for c in pct_cols})
    if loss_col is not None:
        options = [LOSS] + ([alert[0]] if alert else [])
        config["flag"] = st.column_config.MultiselectColumn(
            "flag", options=options, color=["#C62828", "#B26A00"][:len(options)],
            help=f"loss: negative {loss_col}" + (f"; {alert[0]}: under the margin alert" if alert else ""),
            width="small")
    config.update(extra or {})
    return config


def money_table(rows: list[dict], money_cols: list[str], pct_cols: tuple[str, ...] = (), loss_col: str | None = None,
                key: str | None = None, column_config: dict | None = None, empty: str = "No rows for this month.",
                alert: tuple[str, Callable[[dict], bool]] | None = None, **kwargs):
    """A read-only table: money (integer cents in `rows`) as dollars with 2 decimals, margin % with 1, and a
    red 'loss' flag beside a negative `loss_col`; negative amounts and percentages in red.

    Column formats do the formatting. The red needs a pandas Styler, whose cost grows with the cells (it
    renders each one), so tables over RED_ROWS rows keep only the 'loss' flag: they stay fast.
    """
    if not rows:
        st.caption(empty)
        return None
    frame = table_frame(rows, money_cols, pct_cols, loss_col, alert)
    numbers = [c for c in [*money_cols, *pct_cols] if c in frame.columns]
    data = frame.style.map(_red_when_negative, subset=numbers) if len(rows) <= RED_ROWS and numbers else frame
    return st.dataframe(data, hide_index=True, width="stretch", key=key, placeholder="—",
                        column_config=_column_config(money_cols, pct_cols, loss_col, column_config, alert), **kwargs)


RED_ROWS = 500
NEGATIVE = "color: #C62828"  # 5.6:1 on white; the dark theme's text colours are checked in tests/test_theme.py


def _red_when_negative(value) -> str:
    return NEGATIVE if value is not None and not pd.isna(value) and value < 0 else ""


def _ids_key(key: str) -> str:
    return f"_{key}.ids"


NO_STATE = object()  # a table with no selection state this session (not shown on the last run)
CLICK = object()  # pick_table: select what the user clicked


def clicked(key: str, default=None):
    """The id of the row the user selected in the table `key` (as the table was shown on the last run):
    None when no row is selected, `default` when the table has no selection state."""
    state = st.session_state.get(key)
    if state is None:
        return default
    rows, shown = state["selection"]["rows"], st.session_state.get(_ids_key(key), [])
    return shown[rows[0]] if rows and 0 <= rows[0] < len(shown) else None


def pick_table(rows: list[dict], id_col: str, money_cols: list[str], *, key: str, chosen=CLICK,
               **table_kwargs) -> str | None:
    """A money table in which one row can be selected; returns the selected row's id (its `id_col`).

    Streamlit keeps a selection as a row position, and rows move between runs (a search, a refresh
    re-sorting the rows, another month). The ids shown are kept so a position turns back into an id,
    and the selection follows that id to its new position (cleared when it is gone). `chosen`, when
    given, is the id to select instead of the user's click (another widget or the URL chose it).
    """
    if chosen is CLICK:
        chosen = clicked(key)
    ids = [row[id_col] for row in rows]
    try:
        position = [ids.index(chosen)] if chosen is not None else []
    except ValueError:
        chosen, position = None, []
    state = st.session_state.get(key)
    if (list(state["selection"]["rows"]) if state is not None else []) != position:
        st.session_state[key] = {"selection": {"rows": position, "columns": []}}
    st.session_state[_ids_key(key)] = ids
    money_table(rows, money_cols, key=key, on_select="rerun", selection_mode="single-row", **table_kwargs)
    return chosen


def chart_pick(key: str) -> str | None:
    """The id (customdata) of a point newly clicked in the chart `key` since the last run, else None."""
    state = st.session_state.get(key)
    points = state.get("selection", {}).get("points", []) if state else []
    picked = points[0].get("customdata") if points else None
    picked = picked[0] if isinstance(picked, list) and picked else picked
    remembered = f"_{key}.picked"
    if picked == st.session_state.get(remembered):
        return None  # the same selection as before: not a new click
    st.session_state[remembered] = picked
    return picked


def choose(ids: list[str], *, table: str, picker: str, param: str) -> str | None:
    """The id chosen by a click in the pick_table `table` or in the selectbox `picker`, whichever changed
    last (on arrival: the URL's ?param=); None when nothing is chosen or the id is not among `ids`.

    Call it before rendering either widget: it sets the picker to the choice (pass the choice to
    pick_table for the table) and mirrors it in the URL, so a link reproduces the view.
    """
    remembered = f"_{picker}.chosen"
    last = st.session_state.get(remembered, NO_STATE)
    picked = st.session_state.get(picker, NO_STATE)
    click = clicked(table, NO_STATE)
    if picked is not NO_STATE and picked != last:
        chosen = picked
    elif click is not NO_STATE and click != last:
        chosen = click
    elif last is NO_STATE:
        chosen = st.query_params.get(param)
    else:
        chosen = last
    if chosen not in ids:
        chosen = None
    if (None if picked is NO_STATE else picked) != chosen:
        st.session_state[picker] = chosen
    st.session_state[remembered] = chosen
    if st.query_params.get(param) != chosen:
        if chosen is None:
            del st.query_params[param]
        else:
            st.query_params[param] = chosen
    return chosen


def csv_download(rows: Callable[[], list[dict]], table: str, filename: str, label: str) -> None:
    """A download of exactly what `python -m arcadia … --csv --table <table>` prints.

    `rows` is called only when the button is clicked (Streamlit's deferred download), so a page run
    does not build the CSV of thousands of rows that nobody downloads.
    """
    # on_click="ignore": downloading must not rerun the page (and move the other buttons under the cursor).
    st.download_button(label, lambda: report.to_csv(rows(), table), file_name=filename, mime="text/csv",
                       key=f"csv-{table}", on_click="ignore", icon=":material/download:")


def warnings(items) -> None:
    """Each warning of a figure in a yellow box, as plain text (it may quote names from the database)."""
    for warning in items:
        st.warning(literal_markdown(warning), icon=":material/warning:")


def margin_warnings(summary: MarginSummary | ByKind) -> None:
    """A P&L's warnings. The month in progress's comes first, as the one notice about it: a link to Live accrual
    (its month-to-date margin) and, in a range with complete months before it, a button ending the range there."""
    items = summary.warnings
    if summary.in_progress is not None:
        month, first = summary.in_progress, MonthRange.of(summary.period).first
        st.info(literal_markdown(items[0]), icon=":material/pending:")
        st.page_link("pages/accrual.py", label=f"Live accrual: {month.label} so far", icon=":material/schedule:")
        if month > first:
            st.button(f"End at {month.previous().label}", key="end-at-complete", on_click=_end_at,
                      args=(month.previous(),), icon=":material/event_available:",
                      help="The range ends at the last complete month; its margin is final.")
        items = items[1:]
    warnings(items)


def _end_at(month: Period) -> None:
    """Pick `month` as the (last) month: the month picker starts anew from it (see period_picker)."""
    st.session_state.pop(PERIOD_KEY, None)
    st.session_state[_CHOSEN] = _month_key(str(month))


def failure(exc: ArcadiaError, url: str) -> None:
    """A friendly page for a failure: which database, what failed, what to do. No traceback."""
    if isinstance(exc, DatabaseUnavailable):
        timeout = isinstance(exc, DatabaseTimeout)
        st.error("**The database took too long.**" if timeout else "**The database is unreachable.**",
                 icon=":material/hourglass_disabled:" if timeout else ":material/cloud_off:")
        st.text(str(exc))  # the server's own words may quote names: plain text
        st.caption("Another session may hold a lock, or the database is overloaded or stalled: the page stopped "
                   "waiting instead of hanging." if timeout else
                   "Check that the database is running and that ARCADIA_DATABASE_URL is right.")
        st.text(f"Database: {describe(url)}")
        st.button("Retry", icon=":material/refresh:", key="failure-retry", type="primary")  # a click reruns the page
        return
    # The message may quote the input or the database's text: plain text, never markdown.
    st.error("**Invalid input.**" if isinstance(exc, InputError) else "**The figures could not be computed.**",
             icon=":material/error:")
    st.text(str(exc))
    if isinstance(exc, DataError):
        st.caption("Only the figures that need these rows are affected: other pages and months still work. "
                   "The Data health page lists every problem in the data.")
    if not isinstance(exc, InputError):
        st.text(f"Database: {describe(url)}")


def attempt(figure: Callable[[], T], what: str) -> T | None:
    """The figure, or None after showing why when rows in the database break it (the rest of the page goes on)."""
    try:
        return figure()
    except DataError as exc:
        st.error(f"**{what} could not be computed from the data.**", icon=":material/error:")
        st.text(str(exc))
        st.caption("The Data health page lists every problem in the data; other months are not affected.")
        return None


def file_stamp(months: Period | MonthRange) -> str:
    """A download's name part: '2026-04', or '2026-04_2026-06' for a range."""
    months = MonthRange.of(months)
    return f"{months.first.start:%Y-%m}" + (f"_{months.last.start:%Y-%m}" if months.months > 1 else "")


def empty_month(period: Period | MonthRange) -> None:
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


def change(now_cents: int, before_cents: int) -> str:
    """A metric delta in money and percent: '+$12.00 (+4.2 %)'; the percent left out when `before` is 0."""
    pct = pct_change(now_cents, before_cents)
    return delta(now_cents, before_cents) + ("" if pct is None else f" ({pct:+.1f} %)")


def pct_of(part_cents: int, whole_cents: int) -> Decimal | None:
    """part / whole × 100, half-up to one decimal; None when the whole is 0."""
    return margin_pct(part_cents, whole_cents)


def pct_change(now_cents: int, before_cents: int) -> Decimal | None:
    """(now − before) / |before| × 100, half-up to one decimal; None when `before` is 0."""
    return margin_pct(now_cents - before_cents, abs(before_cents)) if before_cents else None


def run_page(render: Callable[[str], None], own_month: bool = False, ranges: bool = False) -> None:
    """A page's whole run: the access gate (see `require`), then `render(url)`, with any failure shown as
    a friendly message. app.py also catches failures, but Streamlit can run a page file on its own.
    `own_month`: the page is about a month of its own (no month picker); `ranges`: it can sum several months."""
    through_app = access.is_admitted()  # app.py has shown the sidebar's pickers already
    url = require(picker=not own_month)
    if not ranges:
        st.session_state[RANGE_CHOSEN] = None
    elif not through_app:
        st.session_state[RANGE_CHOSEN] = range_picker(url, selected_period())
    try:
        render(url)
    except ArcadiaError as exc:
        failure(exc, url)


def require(picker: bool = True) -> str:
    """First line of every page: the database URL, once this run has passed the access gate.

    Through app.py the gate has already run. Streamlit can also run a file under
    pages/ on its own (a fresh process serves a page URL before any run has
    called st.navigation): then the same gate and period picker run here.
    """
    url = data.current_url()
    if not access.is_admitted():
        if not access.gate(url):
            st.stop()
        if picker:
            period_picker(url)
    data.stale_notice_slot(st.empty())  # filled when cached figures are shown while the database is down
    return url
