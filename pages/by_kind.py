"""By kind: revenue by billing kind and COGS by provider kind, side by side, never joined."""

import streamlit as st

from arcadia import charts, report
from arcadia.charts import COGS, REVENUE
from dashboard import data, ui


def render(url: str) -> None:
    period = ui.selected_period()
    breakdown = data.by_kind(url, str(period))

    st.title(f"By kind · {period.label}")
    st.caption("Billing kinds (what tenants pay for) and provider kinds (what DigitalOcean bills) do not map one to "
               "one, so each has its own chart, axis and table.")
    ui.warnings(breakdown.warnings)
    if not breakdown.revenue and not breakdown.cogs:
        ui.empty_month(period)
        st.stop()

    left, right = st.columns(2)
    for column, side, kinds, title, color in (
        (left, "revenue", breakdown.revenue, "Revenue by billing kind (ex-GST)", REVENUE),
        (right, "cogs", breakdown.cogs, "COGS by provider kind", COGS),
    ):
        with column:
            st.plotly_chart(charts.kinds_bar(kinds, title, color), width="stretch", key=f"chart-{side}")
            ui.money_table([{"kind": k.kind, "amount": k.amount_cents} for k in kinds], ["amount"], key=f"table-{side}")
            ui.csv_download(lambda side=side: report.by_kind_table(breakdown, side), side,
                            f"arcadia-{side}-by-kind-{period.start:%Y-%m}.csv")


ui.run_page(render)
