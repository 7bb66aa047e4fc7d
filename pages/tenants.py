"""By tenant: P&L per tenant worst first, revenue vs COGS chart, drill-down into deployments and cost lines."""

import streamlit as st

from arcadia import charts, report
from arcadia.money import display
from dashboard import data, ui

MONEY = ["revenue", "cogs", "margin"]
TABLE, PICKER = "tenants-table", "drill_tenant"


def render(url: str) -> None:
    period = ui.selected_period()
    summary = data.margin(url, str(period))

    st.title(f"By tenant · {period.label}")
    ui.warnings(summary.warnings)
    if not summary.tenants:
        ui.empty_month(period)
        st.stop()

    names = {t.tenant_id: t.tenant_name for t in summary.tenants}
    # The drill-down tenant: a click on a row of the table or the picker below, whichever came last
    # (?tenant= in the URL).
    tenant_id = ui.choose(list(names), table=TABLE, picker=PICKER, param="tenant")

    st.caption(f"{len(names):,} tenants with revenue or COGS, worst margin first. Select a row to drill down. "
               f"Unattributed COGS ({display(summary.unattributed_cogs_cents)}) is not a tenant: see the Unattributed "
               "COGS page.")
    ui.pick_table([{"tenant": t.tenant_name, "tenant_id": t.tenant_id, "internal": t.internal,
                    "revenue": t.revenue_cents, "cogs": t.cogs_cents, "margin": t.margin_cents,
                    "margin %": t.margin_pct} for t in summary.tenants],
                  "tenant_id", MONEY, key=TABLE, chosen=tenant_id, pct_cols=("margin %",), loss_col="margin",
                  column_config={"internal": st.column_config.CheckboxColumn("internal", help="Internal tenant")})
    ui.csv_download(lambda: report.margin_table(summary, "tenants"), "tenants",
                    f"arcadia-tenants-{period.start:%Y-%m}.csv")

    top = st.slider("Tenants in the chart", 3, 25, 10, key="top_n")
    st.plotly_chart(charts.tenants_bar(summary.tenants, top), width="stretch", key="tenants-chart")

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
    c.metric("COGS", display(tenant.cogs_cents))
    m.metric("Margin", display(tenant.margin_cents),
             None if tenant.margin_pct is None else f"{tenant.margin_pct:.1f} %")

    st.markdown("**Deployments**")
    ui.money_table([{"deployment": d.deployment_name, "deployment_id": d.deployment_id, "revenue": d.revenue_cents,
                     "cogs": d.cogs_cents, "margin": d.margin_cents, "margin %": d.margin_pct}
                    for d in summary.deployments if d.tenant_id == tenant_id],
                   MONEY, pct_cols=("margin %",), loss_col="margin", key="drill-deployments")
    ui.csv_download(lambda: [row for row in report.margin_table(summary, "deployments") if row["tenant_id"] == tenant_id],
                    "deployments", f"arcadia-deployments-{tenant_id}-{period.start:%Y-%m}.csv")

    st.markdown("**Resources and cost lines behind its COGS**")
    lines = data.tenant_cost_lines(url, tenant_id, str(period))
    ui.money_table([{"resource": l["resource_name"], "kind": l["kind"], "size": l["size_slug"] or "",
                     "deployment": l["deployment_name"], "resource tenant tag": l["resource_tenant_id"] or "",
                     "status": l["resource_status"], "description": l["description"], "quantity": l["quantity"],
                     "unit": l["unit"], "amount": int(l["amount_cents"])} for l in lines], ["amount"], key="drill-lines")
    ui.csv_download(lambda: report.cost_lines_table(lines, period, "tenant_lines"), "tenant_lines",
                    f"arcadia-cost-lines-{tenant_id}-{period.start:%Y-%m}.csv")


ui.run_page(render)
