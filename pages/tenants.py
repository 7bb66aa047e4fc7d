"""By tenant: P&L per tenant worst first, revenue vs COGS chart, drill-down into deployments and cost lines."""

import pandas as pd
import streamlit as st

from arcadia import charts, report
from arcadia.alerts import alert_pct, below
from arcadia.analytics import PnL
from arcadia.labels import plural
from arcadia.money import display
from dashboard import data, ui

MONEY = ["revenue", "cogs", "margin"]
COGS_SO_FAR = {"cogs": st.column_config.NumberColumn("COGS so far", format="dollar")}  # the month in progress's
TABLE, PICKER, CHART = "tenants-table", "drill_tenant", "margins-chart"


def render(url: str) -> None:
    months = ui.selected_months()  # a month, or a range of months ending with the picked month
    period = ui.selected_period()  # the (last) month
    summary = data.margin(url, str(months))
    history = data.tenant_history(url, str(period))

    st.title(f"By tenant · {months.label}")
    ui.margin_warnings(summary)
    # The month in progress (alone or in a range) has COGS so far and no revenue yet: no margin, Δ or flag.
    partial = summary.in_progress is not None
    if not summary.tenants:
        if not partial:  # the month in progress's notice has said it
            ui.empty_month(months)
        st.stop()

    threshold = alert_pct()
    group = st.segmented_control("Show", list(GROUPS), default="All", key="tenant_group",
                                 help="Customers, internal tenants (the platform's own), or all of them.") or "All"
    tenants = [t for t in summary.tenants if GROUPS[group](t)]
    subtotals(summary.tenants, partial)
    names = {t.tenant_id: t.tenant_name for t in tenants}
    # The drill-down tenant: a click on a row of the table, on a bar of the margin chart, or the picker below,
    # whichever came last (?tenant= in the URL). A bar click is handed to the picker.
    bar = ui.chart_pick(CHART)
    if bar in names:
        st.session_state[PICKER] = bar
    tenant_id = ui.choose(list(names), table=TABLE, picker=PICKER, param="tenant")

    show_ids = st.toggle("Show ids", key="tenant_ids", help="Tenant ids, deployment ids and provider resource ids")
    unattributed = (f"Unattributed COGS ({display(summary.unattributed_cogs_cents)}) is not a tenant: see the "
                    "Unattributed COGS page.")
    if partial:
        st.caption(f"{plural(len(names), 'tenant')} with revenue or COGS so far; no margin or flag until "
                   f"{summary.in_progress.label} is invoiced. Select a row to drill down. {unattributed}")
    else:
        st.caption(f"{plural(len(names), 'tenant')} with revenue or COGS, worst margin first; flagged: a loss, or a "
                   f"margin under the {threshold:g} % alert. Select a row to drill down. {unattributed}")
    # Name, margin and margin % first: on a phone they are what fits without scrolling sideways.
    single = months == period and not partial  # Δ against the previous month only for a single complete month
    current = data.in_progress()
    rows = [{"tenant": t.tenant_name, **({} if partial else {"margin": t.margin_cents, "margin %": t.margin_pct}),
             **(change_columns(t, history.get(t.tenant_id)) if single else {}),
             "12-month margin": charts.sparkline_values(history.get(t.tenant_id, ()), current),
             "revenue": t.revenue_cents, "cogs": t.cogs_cents, "internal": t.internal, "tenant_id": t.tenant_id,
             # A loss is flagged as such; the alert flags the others under the threshold.
             "alert": t.margin_cents >= 0 and below(t, threshold)} for t in tenants]
    if partial:  # COGS so far against revenue not invoiced yet is not a margin: neither shown nor flagged
        table = {"money_cols": ["revenue", "cogs"]}
    else:
        table = {"money_cols": MONEY + (["Δ margin"] if single else []), "loss_col": "margin",
                 "pct_cols": ("margin %", "Δ %") if single else ("margin %",),
                 "alert": (f"below {threshold:g} %", lambda row: row["alert"])}
    ui.pick_table(rows, "tenant_id", key=TABLE, chosen=tenant_id, **table,
                  empty="No tenant in this group has revenue or COGS this month.",
                  column_config={"tenant": st.column_config.TextColumn("tenant", pinned=True),
                                 **(COGS_SO_FAR if partial else {}),
                                 "12-month margin": st.column_config.LineChartColumn(
                                     "12-month margin", help=f"Margin per month, the 12 months to {period.label}"),
                                 "Δ margin": st.column_config.NumberColumn(
                                     "Δ margin", format="dollar", help=f"Against {period.previous().label}"),
                                 "internal": st.column_config.CheckboxColumn("internal", help="Internal tenant"),
                                 "alert": None, **({} if show_ids else {"tenant_id": None})})
    ui.csv_download(lambda: report.margin_table(summary, "tenants"), "tenants",
                    f"arcadia-tenants-{ui.file_stamp(months)}.csv", "Download tenants CSV (all groups)")

    if partial:  # both charts compare margins (losses red): the month in progress has none yet
        st.caption(f"No tenant charts while {summary.in_progress.label} is in progress: they compare margins.")
    else:
        top = st.slider("Tenants in the charts", 4, 40, 20, key="top_n")
        # Margin first, worst first like the table: every loss-maker is drawn while it fits. One chart at a time
        # (?chart= in the URL): only the open tab's chart is drawn, so the page does not wait for the other.
        margin_tab, split_tab = st.tabs(["Margin", "Revenue and COGS"], key="chart", bind="query-params")
        if margin_tab.open:
            margin_tab.plotly_chart(charts.tenant_margins(tenants, top=top, currency=summary.currency),
                                    width="stretch", key=CHART, on_select="rerun", selection_mode="points")
        if split_tab.open:
            split_tab.plotly_chart(charts.tenants_bar(tenants, top, currency=summary.currency), width="stretch",
                                   key="tenants-chart")

    st.subheader("Drill down")
    st.selectbox("Tenant", list(names), index=None, format_func=lambda t: f"{names[t]} ({t})", key=PICKER,
                 filter_mode="contains", placeholder="Type a tenant name or id, or select a row of the table")
    if tenant_id is None:
        st.info("Select a tenant (a row of the table above, or search here) to see its deployments and the cost "
                "lines behind its COGS.", icon=":material/touch_app:")
        st.stop()

    tenant = next(t for t in summary.tenants if t.tenant_id == tenant_id)
    r, c, m = st.columns(3)
    r.metric("Revenue", display(tenant.revenue_cents))
    c.metric("COGS so far" if partial else "COGS", display(tenant.cogs_cents))
    if partial:
        m.metric("Margin", "—", help=f"Not over yet: {summary.in_progress.label} is invoiced after it ends.")
    else:
        m.metric("Margin", display(tenant.margin_cents),
                 None if tenant.margin_pct is None else f"{tenant.margin_pct:.1f} %")

    if history.get(tenant_id):  # the month in progress drawn apart (hatched, "so far")
        st.plotly_chart(charts.trend(history[tenant_id], summary.currency, in_progress=current), width="stretch",
                        key="drill-trend")
    st.markdown("**Deployments**")
    ui.money_table([{"deployment": d.deployment_name, "deployment_id": d.deployment_id, "revenue": d.revenue_cents,
                     "cogs": d.cogs_cents, **({} if partial else {"margin": d.margin_cents, "margin %": d.margin_pct})}
                    for d in summary.deployments if d.tenant_id == tenant_id],
                   ["revenue", "cogs"] if partial else MONEY, pct_cols=() if partial else ("margin %",),
                   loss_col=None if partial else "margin", key="drill-deployments",
                   column_config={**(COGS_SO_FAR if partial else {}), **({} if show_ids else {"deployment_id": None})})
    ui.csv_download(lambda: [row for row in report.margin_table(summary, "deployments") if row["tenant_id"] == tenant_id],
                    "deployments", f"arcadia-deployments-{tenant_id}-{ui.file_stamp(months)}.csv",
                    "Download this tenant's deployments CSV")

    st.markdown("**Resources and the cost lines behind its COGS**, largest first")
    lines = data.tenant_cost_lines(url, tenant_id, str(months))
    ui.money_table([{"amount": int(l["amount_cents"]), "resource": l["resource_name"], "kind": l["kind"],
                     "description": l["description"], "quantity": l["quantity"], "unit": l["unit"],
                     "size": l["size_slug"] or "", "deployment": l["deployment_name"],
                     "resource tenant tag": l["resource_tenant_id"] or "", "status": l["resource_status"],
                     "cost line id": l["cost_line_id"]}
                    for l in sorted(lines, key=lambda l: -int(l["amount_cents"]))], ["amount"], key="drill-lines",
                   column_config={} if show_ids else {"cost line id": None})
    ui.csv_download(lambda: report.cost_lines_table(lines, months, "tenant_lines"), "tenant_lines",
                    f"arcadia-cost-lines-{tenant_id}-{ui.file_stamp(months)}.csv", "Download this tenant's cost lines CSV")


def change_columns(tenant, months) -> dict:
    """Δ margin against the previous month, in money and %, from the tenant's monthly history."""
    if not months or len(months) < 2:
        return {"Δ margin": None, "Δ %": None}
    before = months[-2]
    if before.note:  # another currency last month: nothing to compare with
        return {"Δ margin": None, "Δ %": None}
    return {"Δ margin": tenant.margin_cents - before.margin_cents,
            "Δ %": ui.pct_change(tenant.margin_cents, before.margin_cents)}


# The tenant groups of the filter: customers, internal tenants (tenants.kind = 'internal'), or all.
GROUPS = {"All": lambda t: True, "Customers": lambda t: not t.internal, "Internal": lambda t: t.internal}


def subtotals(tenants, partial: bool) -> None:
    """Revenue, COGS, margin and margin % of each group of tenants (customers, internal, all); `partial` (the
    month in progress): COGS so far, and no margin."""
    rows = []
    for group, member in GROUPS.items():
        chosen = [t for t in tenants if member(t)]
        pnl = PnL(sum(t.revenue_cents for t in chosen), sum(t.cogs_cents for t in chosen))
        rows.append({"group": group, "tenants": f"{len(chosen):,}", "revenue": display(pnl.revenue_cents),
                     "COGS so far" if partial else "COGS": display(pnl.cogs_cents),
                     "margin": "—" if partial else display(pnl.margin_cents),
                     "margin %": "—" if partial or pnl.margin_pct is None else f"{pnl.margin_pct:.1f} %"})
    st.table(pd.DataFrame(rows).set_index("group"), border="horizontal")


ui.run_page(render, ranges=True)
