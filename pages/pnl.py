"""P&L: revenue, COGS and margin of the month with deltas, attributed vs unattributed COGS, 12-month trend."""

import streamlit as st

from arcadia import charts, report
from arcadia.money import display
from dashboard import data, ui

url = ui.require()
period = ui.selected_period()
summary = data.margin(url, str(period))
previous = data.margin(url, str(period.previous()))

st.title(f"P&L · {period.label}")
st.caption("Revenue is invoiced subtotals ex-GST (void invoices excluded); COGS is every DigitalOcean cost line "
           "of the month.")
st.text(f"Currency: {summary.currency}")  # database text: shown literally, never as markdown
ui.warnings(summary.warnings)

if not summary.has_data:
    ui.empty_month(period)
else:
    o, p = summary.overall, previous.overall
    delta = ui.delta if previous.has_data else (lambda now, before: None)
    revenue, cogs, margin, pct = st.columns(4)
    revenue.metric("Revenue", display(o.revenue_cents), delta(o.revenue_cents, p.revenue_cents), border=True)
    cogs.metric("COGS", display(o.cogs_cents), delta(o.cogs_cents, p.cogs_cents), delta_color="inverse", border=True)
    margin.metric("Margin", display(o.margin_cents), delta(o.margin_cents, p.margin_cents), border=True)
    pct_delta = (f"{o.margin_pct - p.margin_pct:+.1f} pp"
                 if previous.has_data and o.margin_pct is not None and p.margin_pct is not None else None)
    pct.metric("Margin %", "—" if o.margin_pct is None else f"{o.margin_pct:.1f} %", pct_delta, border=True)

    attributed, unattributed, counts = st.columns(3)
    attributed.metric("Attributed COGS", display(summary.attributed_cogs_cents),
                      help="Cost lines whose resource bills to a tenant (its deployment's tenant, else its own).")
    unattributed.metric("Unattributed COGS", display(summary.unattributed_cogs_cents),
                        help="Cost lines with no tenant: internal infrastructure and lines matching no resource.")
    counts.metric("Invoices · cost lines", f"{summary.invoice_count} · {summary.cost_line_count}")
    st.caption("Deltas compare with " + period.previous().label + ".")

history = data.trend(url, str(period))
first = next((i for i, month in enumerate(history) if month.has_data), len(history))
if history[first:]:
    st.plotly_chart(charts.trend(history[first:], summary.currency), width="stretch", key="trend")

ui.csv_download(lambda: report.margin_table(summary, "overall"), "overall", f"arcadia-pnl-{period.start:%Y-%m}.csv",
                "Download P&L CSV")
