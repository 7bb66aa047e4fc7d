"""Unattributed COGS: the cost lines no tenant carries, so an operator can fix tagging."""

import streamlit as st

from arcadia import report
from arcadia.labels import plural
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
        return
    # One row per resource (or per provider resource id, for lines matching no resource), largest first;
    # select one to see its cost lines.
    resources = by_resource(lines)
    st.caption(f"{plural(len(resources), 'resource')} without a tenant, largest cost "
               "first. Select a row to see its cost lines.")
    chosen = ui.pick_table(resources, "key", ["amount"], key="unattributed-resources",
                           column_config={"key": None})
    ui.csv_download(lambda: report.cost_lines_table(lines, period, "unattributed"), "unattributed",
                    f"arcadia-unattributed-{period.start:%Y-%m}.csv", "Download unattributed cost lines CSV")
    if chosen is None:
        st.info("Select a resource above to see its cost lines.", icon=":material/touch_app:")
        return
    st.markdown("**Cost lines of the selected resource**, largest first")
    ui.money_table([{"amount": int(l["amount_cents"]), "kind": l["kind"], "description": l["description"],
                     "product": l["product"], "cost line id": l["cost_line_id"]}
                    for l in lines if _resource_key(l) == chosen], ["amount"], key="unattributed-lines")


def _resource_key(line: dict) -> str:
    return line["resource_id"] or line["provider_resource_id"] or "(no resource id)"


def by_resource(lines: list[dict]) -> list[dict]:
    """The unattributed lines summed per resource, largest amount first."""
    rows: dict[str, dict] = {}
    for l in lines:
        row = rows.setdefault(_resource_key(l), {
            "amount": 0, "resource": l["resource_name"] or "", "provider resource id": l["provider_resource_id"] or "",
            "reason": l["reason"], "kind": l["kind"], "lines": 0, "key": _resource_key(l)})
        row["amount"] += int(l["amount_cents"])
        row["lines"] += 1
    return sorted(rows.values(), key=lambda r: (-r["amount"], r["key"]))

ui.run_page(render)
