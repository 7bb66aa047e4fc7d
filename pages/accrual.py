"""Live accrual: this month's not-yet-invoiced revenue so far, per subscription, refreshed every minute."""

from datetime import datetime

import streamlit as st

from arcadia import charts, report
from arcadia.errors import ArcadiaError, InputError
from arcadia.labels import plural
from arcadia.money import display
from arcadia.period import UTC, accrual_period, parse_instant
from dashboard import data, ui

MONEY = ["subtotal", "GST", "total", "projected"]


def render(url: str) -> None:
    # ?as_of=ISO-8601 pins the instant (a reproducible link); without it the page follows the clock.
    pinned = st.query_params.get("as_of")
    st.title("Live accrual")
    try:
        as_of = parse_instant(pinned).isoformat() if pinned else None
    except InputError as exc:
        st.error("Invalid `as_of` in the address. Remove it to follow the clock.", icon=":material/error:")
        st.text(str(exc))  # it quotes the address: plain text, never markdown
        st.stop()
    st.caption("Every subscription active this month, priced by the quote engine on its metered usage so far. "
               "Projected month-end scales metered amounts by the run rate and prorates flat items to the month's end.")

    if st.button("Refresh now", icon=":material/refresh:"):
        data.clear_accrual()
    # The month this page is about (not the sidebar picker's: app.py does not show it here).
    ui.shown_period(accrual_period(parse_instant(as_of or datetime.now(UTC))),
                    "Live accrual: the month so far" + (f", as of {as_of}" if as_of else ""))


    @st.fragment(run_every=None if pinned else "60s")
    def live() -> None:
        # A fragment shows its own exceptions (around app.py's handler): its failures are rendered here.
        try:
            figures()
        except ArcadiaError as exc:
            ui.failure(exc, url)


    def figures() -> None:
        accrual = data.accrual(url, as_of)
        names = data.tenant_names(url)
        st.text(f"As of {accrual.as_of:%Y-%m-%d %H:%M:%S} UTC · {accrual.period.label} · {accrual.currency}")
        ui.warnings(accrual.warnings)
        subtotal, tax, total, projected = st.columns(4)
        subtotal.metric("Accrued subtotal (ex-GST)", display(accrual.subtotal_cents), border=True)
        tax.metric("GST", display(accrual.tax_cents), border=True)
        total.metric("Total", display(accrual.total_cents), border=True)
        last = data.margin(url, str(accrual.period.previous()))  # the previous month's invoiced revenue
        compare = last.has_data and last.invoice_count and last.currency == accrual.currency
        projected.metric("Projected month-end subtotal", display(accrual.projected_subtotal_cents),
                         ui.change(accrual.projected_subtotal_cents, last.overall.revenue_cents) if compare else None,
                         border=True, help=f"Δ against {accrual.period.previous().label}'s invoiced revenue (ex-GST)")
        if compare:
            st.caption(f"{accrual.period.previous().label} was invoiced at {display(last.overall.revenue_cents)} "
                       f"(ex-GST): the projection is {ui.change(accrual.projected_subtotal_cents, last.overall.revenue_cents)} "
                       "against it.")
        else:
            st.caption(f"{accrual.period.previous().label} has no invoices yet: no comparison.")
        if not accrual.quotes:
            st.info("No subscription is active this month.", icon=":material/info:")
            return
        top = st.slider("Tenants in the chart", 3, 25, 10, key="accrual_top_n")
        st.plotly_chart(charts.accrual_by_tenant(accrual, names, top), width="stretch", key="accrual-chart")

        st.subheader("Subscriptions")
        query = st.text_input("Search", key="accrual_search", placeholder="Tenant name, tenant id or subscription id",
                              help="Case-insensitive; the text is matched as typed.")
        rows = report.accrual_subscriptions(accrual, names, query)
        st.caption(f"{len(rows):,} of {plural(len(accrual.quotes), 'subscription')}, largest subtotal first. "
                   "Select a row to see its lines.")
        chosen = ui.pick_table(rows, "subscription_id", MONEY, key="accrual-subs",
                               empty="No subscription matches the search.")
        ui.csv_download(lambda: report.accrual_table(accrual, "subscriptions"), "subscriptions",
                        f"arcadia-accrual-{accrual.period.start:%Y-%m}.csv", "Download subscriptions CSV")
        ui.csv_download(lambda: report.accrual_table(accrual, "lines"), "lines",
                        f"arcadia-accrual-lines-{accrual.period.start:%Y-%m}.csv", "Download subscription lines CSV")

        st.subheader("Lines of the selected subscription")
        if chosen is None:
            st.info("Select a subscription in the table above to see its lines.", icon=":material/touch_app:")
            return
        quote = next(q for q in accrual.quotes if q.subscription.id == chosen)
        st.text(f"{names.get(quote.subscription.tenant_id, quote.subscription.tenant_id)} · subscription {chosen}")
        ui.money_table(report.quote_lines(quote), ["amount", "projected"], key="accrual-lines",
                       empty="Nothing billable yet this month.")


    live()


ui.run_page(render, own_month=True)
