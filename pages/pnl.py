"""P&L: revenue, COGS and margin of the month with deltas, attributed vs unattributed COGS, 12-month trend."""

import streamlit as st

from arcadia import charts, report
from arcadia.alerts import alert_pct, below
from arcadia.errors import DataError
from arcadia.labels import plural
from arcadia.money import display
from dashboard import data, ui


def render(url: str) -> None:
    months = ui.selected_months()  # a month, or a range of months ending with the picked month
    period = ui.selected_period()  # the (last) month
    several = months != period

    current = data.in_progress()
    st.title(f"P&L · {months.label}" + (" (in progress)" if period == current else ""))
    st.caption("Revenue is invoiced subtotals ex-GST (void invoices excluded); COGS is every DigitalOcean cost line "
               "of the month.")
    summary = ui.attempt(lambda: data.margin(url, str(months)), f"The P&L of {months.label}")
    # The month in progress (alone or in a range) has COGS so far and no revenue yet: no margin, delta or alert.
    partial = summary is not None and summary.in_progress is not None
    # The previous month only feeds the deltas: when its rows break it, or it is in another currency, the
    # cards go without deltas and say why; this month's figures stand. A range has no deltas.
    try:
        previous = None if several or partial else data.margin(url, str(period.previous()))
        compare = ("" if summary is None or previous is None or previous.currency == summary.currency
                   else "it is in another currency")
    except DataError as exc:
        previous, compare = None, f"its figures could not be computed ({exc})"

    if summary is not None:
        st.text(f"Currency: {summary.currency}")  # database text: shown literally, never as markdown
        ui.margin_warnings(summary)

    if summary is not None and not summary.has_data:
        if not partial:  # the month in progress's notice has said it
            ui.empty_month(months)
    elif summary is not None:
        o = summary.overall
        p = previous.overall if previous is not None else None
        delta = ui.change if p is not None and previous.has_data and not compare else (lambda now, before: None)
        so_far = " so far" if partial else ""
        revenue, cogs, margin, pct = st.columns(4)
        revenue.metric("Revenue", display(o.revenue_cents), delta(o.revenue_cents, p and p.revenue_cents), border=True)
        cogs.metric(f"COGS{so_far}", display(o.cogs_cents), delta(o.cogs_cents, p and p.cogs_cents),
                    delta_color="inverse", border=True)
        if partial:
            not_over = (f"Not over yet: {summary.in_progress.label} is invoiced after it ends. Its month-to-date "
                        "margin is on Live accrual.")
            margin.metric("Margin", "—", border=True, help=not_over)
            pct.metric("Margin %", "—", border=True, help=not_over)
        else:
            margin.metric("Margin", display(o.margin_cents), delta(o.margin_cents, p and p.margin_cents), border=True)
            pct_delta = (f"{o.margin_pct - p.margin_pct:+.1f} pp" if delta is ui.change and o.margin_pct is not None
                         and p.margin_pct is not None else None)
            pct.metric("Margin %", "—" if o.margin_pct is None else f"{o.margin_pct:.1f} %", pct_delta, border=True)

        attributed, unattributed, counts = st.columns(3)
        attributed.metric(f"Attributed COGS{so_far}", display(summary.attributed_cogs_cents),
                          help="Cost lines whose resource bills to a tenant (its deployment's tenant, else its own).")
        unattributed.metric(f"Unattributed COGS{so_far}", display(summary.unattributed_cogs_cents),
                            help="Cost lines with no tenant: internal infrastructure and lines matching no resource.")
        counts.metric("Invoices · cost lines", f"{summary.invoice_count:,} · {summary.cost_line_count:,}")
        threshold = alert_pct()
        flagged = [] if partial else [t for t in summary.tenants if below(t, threshold)]
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
        elif not partial:  # the month in progress has no deltas: its notice says why
            st.caption("Deltas compare with " + period.previous().label + ".")

    history = data.trend(url, str(period), summary.currency if summary is not None else None)
    # The month in progress is drawn apart (hatched, "so far"), never as a finished month.
    first = next((i for i, month in enumerate(history) if month.has_data or month.note), len(history))
    currency = next((m.currency for m in history if m.has_data), summary.currency if summary is not None else "USD")
    if history[first:]:
        st.plotly_chart(charts.trend(history[first:], currency, in_progress=current if period == current else None),
                        width="stretch", key="trend")

    if summary is not None:
        ui.csv_download(lambda: report.margin_table(summary, "overall"), "overall",
                        f"arcadia-pnl-{ui.file_stamp(months)}.csv", "Download P&L CSV")


ui.run_page(render, ranges=True)
