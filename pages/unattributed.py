"""Unattributed COGS: the cost lines no tenant carries, so an operator can fix tagging."""

import streamlit as st

from arcadia import report
from arcadia.money import display
from dashboard import data, ui


def render(url: str) -> None:
    period = ui.selected_period()
    summary = data.margin(url, str(period))
    lines = data.unattributed_cost_lines(url, str(period))

    st.title(f"Unattributed COGS · {period.label}")
    st.caption("A cost line bills to its resource's deployment's tenant, else the resource's own tenant. These lines "
               "have neither: tag the resource with a tenant or put it in a deployment, or match the line to inventory.")
    st.metric("Unattributed COGS", display(summary.unattributed_cogs_cents))
    if not lines:
        st.success("Every cost line of this month bills to a tenant.", icon=":material/check_circle:")
        st.stop()
    ui.money_table([{"reason": l["reason"], "kind": l["kind"], "description": l["description"],
                     "resource": l["resource_name"], "provider resource id": l["provider_resource_id"],
                     "amount": int(l["amount_cents"])} for l in lines], ["amount"], key="unattributed-lines")
    ui.csv_download(lambda: report.cost_lines_table(lines, period, "unattributed"), "unattributed",
                    f"arcadia-unattributed-{period.start:%Y-%m}.csv")


ui.run_page(render)
