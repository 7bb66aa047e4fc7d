"""Live accrual: this month's not-yet-invoiced revenue so far, per subscription, refreshed every minute."""

import streamlit as st

from arcadia import charts, report
from arcadia.errors import InputError
from arcadia.money import display
from arcadia.period import parse_instant
from dashboard import data, ui

url = ui.require()
# ?as_of=ISO-8601 pins the instant (a reproducible link); without it the page follows the clock.
pinned = st.query_params.get("as_of")
st.title("Live accrual")
try:
    as_of = parse_instant(pinned).isoformat() if pinned else None
except InputError as exc:
    st.error(f"{exc}. Remove `as_of` from the address to follow the clock.", icon=":material/error:")
    st.stop()
st.caption("Every subscription active this month, priced by the quote engine on its metered usage so far. "
           "Projected month-end scales metered amounts by the run rate and prorates flat items to the month's end.")

if st.button("Refresh now", icon=":material/refresh:"):
    data.accrual.clear()


@st.fragment(run_every=None if pinned else "60s")
def live() -> None:
    accrual = data.accrual(url, as_of)
    names = data.tenant_names(url)
    st.markdown(f"As of **{accrual.as_of:%Y-%m-%d %H:%M:%S} UTC** · {accrual.period.label} · {accrual.currency}")
    ui.warnings(accrual.warnings)
    subtotal, tax, total, projected = st.columns(4)
    subtotal.metric("Accrued subtotal (ex-GST)", display(accrual.subtotal_cents), border=True)
    tax.metric("GST", display(accrual.tax_cents), border=True)
    total.metric("Total", display(accrual.total_cents), border=True)
    projected.metric("Projected month-end subtotal", display(accrual.projected_subtotal_cents), border=True)
    if not accrual.quotes:
        st.info("No subscription is active this month.", icon=":material/info:")
        return
    st.plotly_chart(charts.accrual_by_tenant(accrual, names), width="stretch", key="accrual-chart")

    st.subheader("Subscriptions")
    rows = report.accrual_table(accrual, "subscriptions")
    ui.money_table([{"tenant": names.get(q.subscription.tenant_id, q.subscription.tenant_id),
                     "subscription_id": q.subscription.id, "subtotal": ui.money(q.subtotal_cents),
                     "GST": ui.money(q.tax_cents), "total": ui.money(q.total_cents),
                     "projected": ui.money(q.projected_subtotal_cents)} for q in accrual.quotes],
                   ["subtotal", "GST", "total", "projected"], key="accrual-subs")
    ui.csv_download(rows, "subscriptions", f"arcadia-accrual-{accrual.period.start:%Y-%m}.csv")
    ui.csv_download(report.accrual_table(accrual, "lines"), "lines",
                    f"arcadia-accrual-lines-{accrual.period.start:%Y-%m}.csv", "Download lines CSV")
    for q in accrual.quotes:
        name = names.get(q.subscription.tenant_id, q.subscription.tenant_id)
        with st.expander(f"{name} · {q.subscription.id[:8]} · {display(q.subtotal_cents)}"):
            ui.money_table([{"sku": line.sku, "billing kind": line.billing_kind, "quantity": str(line.quantity.normalize()),
                             "amount": ui.money(line.amount_cents), "projected": ui.money(line.projected_cents)}
                            for line in q.lines], ["amount", "projected"], key=f"lines-{q.subscription.id}")


live()
