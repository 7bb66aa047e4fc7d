"""P&L: revenue, COGS and margin of the month with deltas, attributed vs unattributed COGS, 12-month trend."""

from datetime import datetime

import streamlit as st

from arcadia import charts, report
from arcadia.alerts import alert_pct, below
from arcadia.errors import DataError
from arcadia.labels import plural
from arcadia.money import display
from arcadia.period import UTC, Period
from dashboard import data, ui


def render(url: str) -> None:
    months = ui.selected_months()  # a month, or a range of months ending with the picked month
    period = ui.selected_period()  # the (last) month
    several = months != period

    in_progress = period == Period.parse(datetime.now(UTC))
    st.title(f"P&L · {months.label}" + (" (in progress)" if in_progress else ""))
    st.caption("Revenue is invoiced subtotals ex-GST (void invoices excluded); COGS is every DigitalOcean cost line "
               "of the month.")
    if in_progress:
        st.info(f"{period.label} is not over: it is invoiced after it ends, so its P&L is not complete. Its revenue "
                "so far, priced from usage, is on Live accrual.", icon=":material/pending:")
        st.page_link("pages/accrual.py", label=f"Live accrual: {period.label} so far", icon=":material/schedule:")
    summary = ui.attempt(lambda: data.margin(url, str(months)), f"The P&L of {months.label}")
    # The previous month only feeds the deltas: when its rows break it, or it is in another currency, the
    # cards go without deltas and say why; this month's figures stand. A range has no deltas.
    try:
        previous = None if several else data.margin(url, str(period.previous()))
        compare = ("" if summary is None or previous is None or previous.currency == summary.currency
                   else "it is in another currency")
    except DataError as exc:
        previous, compare = None, f"its figures could not be computed ({exc})"

    if summary is not None:
        st.text(f"Currency: {summary.currency}")  # database text: shown literally, never as markdown
        ui.warnings(summary.warnings)

    if summary is not None and not summary.has_data:
        ui.empty_month(months)
    elif summary is not None:
        o = summary.overall
        p = previous.overall if previous is not None else None
        delta = ui.change if p is not None and previous.has_data and not compare else (lambda now, before: None)
        revenue, cogs, margin, pct = st.columns(4)
        revenue.metric("Revenue", display(o.revenue_cents), delta(o.revenue_cents, p and p.revenue_cents), border=True)
        cogs.metric("COGS", display(o.cogs_cents), delta(o.cogs_cents, p and p.cogs_cents), delta_color="inverse",
                    border=True)
        margin.metric("Margin", display(o.margin_cents), delta(o.margin_cents, p and p.margin_cents), border=True)
        pct_delta = (f"{o.margin_pct - p.margin_pct:+.1f} pp" if delta is ui.change and o.margin_pct is not None
                     and p.margin_pct is not None else None)
        pct.metric("Margin %", "—" if o.margin_pct is None else f"{o.margin_pct:.1f} %", pct_delta, border=True)

        attributed, unattributed, counts = st.columns(3)
        attributed.metric("Attributed COGS", display(summary.attributed_cogs_cents),
                          help="Cost lines whose resource bills to a tenant (its deployment's tenant, else its own).")
        unattributed.metric("Unattributed COGS", display(summary.unattributed_cogs_cents),
                            help="Cost lines with no tenant: internal infrastructure and lines matching no resource.")
        counts.metric("Invoices · cost lines", f"{summary.invoice_count:,} · {summary.cost_line_count:,}")
        threshold = alert_pct()
        flagged = [t for t in summary.tenants if below(t, threshold)]
        if flagged:
            st.warning(f"{plural(len(flagged), 'tenant')} below the {threshold:g} % margin alert "
                       f"{'over these months' if several else 'this month'}: they are flagged on By tenant.",
                       icon=":material/trending_down:")
        if several:
            st.caption(f"Sums over {plural(months.months, 'month')}. Deltas compare single months: switch off "
                       "'Several months' to see them.")
        elif compare:
            st.caption(f"No deltas: {period.previous().label} is not comparable.")
            st.text(f"{period.previous().label}: {compare}")  # may quote database text
        else:
            st.caption("Deltas compare with " + period.previous().label + ".")

    history = data.trend(url, str(period), summary.currency if summary is not None else None)
    # The month in progress is drawn apart (hatched, "so far"), never as a finished month.
    first = next((i for i, month in enumerate(history) if month.has_data or month.note), len(history))
    currency = next((m.currency for m in history if m.has_data), summary.currency if summary is not None else "USD")
    if history[first:]:
        current = Period.parse(datetime.now(UTC))
        st.plotly_chart(charts.trend(history[first:], currency, in_progress=current if period == current else None),
                        width="stretch", key="trend")

    if summary is not None:
        ui.csv_download(lambda: report.margin_table(summary, "overall"), "overall",
                        f"arcadia-pnl-{ui.file_stamp(months)}.csv", "Download P&L CSV")


ui.run_page(render, ranges=True)
