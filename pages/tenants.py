"""By tenant: P&L per tenant worst first, revenue vs COGS chart, drill-down into deployments and cost lines."""

import streamlit as st

from arcadia import charts, report
from arcadia.money import display
from dashboard import data, ui

url = ui.require()
period = ui.selected_period()
summary = data.margin(url, str(period))

st.title(f"By tenant · {period.label}")
ui.warnings(summary.warnings)
if not summary.tenants:
    ui.empty_month(period)
    st.stop()

MONEY = ["revenue", "cogs", "margin"]
rows = report.margin_table(summary, "tenants")
shown = [{"tenant": r["tenant_name"], "tenant_id": r["tenant_id"], "internal": r["internal"] == "yes",
          "revenue": ui.money(t.revenue_cents), "cogs": ui.money(t.cogs_cents), "margin": ui.money(t.margin_cents),
          "margin %": t.margin_pct} for r, t in zip(rows, summary.tenants)]
st.caption(f"{len(shown)} tenants with revenue or COGS, worst margin first. Unattributed COGS "
           f"({display(summary.unattributed_cogs_cents)}) is not a tenant: see the Unattributed COGS page.")
ui.money_table(shown, MONEY, pct_cols=("margin %",), highlight=("margin",), key="tenants-table",
               column_config={"internal": st.column_config.CheckboxColumn("internal", help="Internal tenant")})
ui.csv_download(rows, "tenants", f"arcadia-tenants-{period.start:%Y-%m}.csv")

top = st.slider("Tenants in the chart", 3, 25, 10, key="top_n")
st.plotly_chart(charts.tenants_bar(summary.tenants, top), width="stretch", key="tenants-chart")

st.subheader("Drill down")
names = {t.tenant_id: t.tenant_name for t in summary.tenants}
tenant_id = st.selectbox("Tenant", list(names), format_func=lambda t: f"{names[t]} ({t})", key="drill_tenant")
tenant = next(t for t in summary.tenants if t.tenant_id == tenant_id)
r, c, m = st.columns(3)
r.metric("Revenue", display(tenant.revenue_cents))
c.metric("COGS", display(tenant.cogs_cents))
m.metric("Margin", display(tenant.margin_cents), None if tenant.margin_pct is None else f"{tenant.margin_pct:.1f} %")

deployments = [d for d in summary.deployments if d.tenant_id == tenant_id]
dep_rows = [r for r in report.margin_table(summary, "deployments") if r["tenant_id"] == tenant_id]
st.markdown("**Deployments**")
ui.money_table([{"deployment": d.deployment_name, "deployment_id": d.deployment_id, "revenue": ui.money(d.revenue_cents),
                 "cogs": ui.money(d.cogs_cents), "margin": ui.money(d.margin_cents), "margin %": d.margin_pct}
                for d in deployments], MONEY, pct_cols=("margin %",), highlight=("margin",), key="drill-deployments")
ui.csv_download(dep_rows, "deployments", f"arcadia-deployments-{tenant_id}-{period.start:%Y-%m}.csv")

st.markdown("**Resources and cost lines behind its COGS**")
lines = data.tenant_cost_lines(url, tenant_id, str(period))
ui.money_table([{"resource": l["resource_name"], "kind": l["kind"], "size": l["size_slug"] or "",
                 "deployment": l["deployment_name"], "resource tenant tag": l["resource_tenant_id"] or "", "status": l["resource_status"],
                 "description": l["description"], "quantity": l["quantity"], "unit": l["unit"],
                 "amount": ui.money(l["amount_cents"])} for l in lines], ["amount"], highlight=("amount",),
               key="drill-lines")
ui.csv_download(report.cost_lines_table(lines, period, "tenant_lines"), "tenant_lines",
                f"arcadia-cost-lines-{tenant_id}-{period.start:%Y-%m}.csv")
