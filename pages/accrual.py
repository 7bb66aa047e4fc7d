"""Live accrual: this month's not-yet-invoiced revenue so far, per subscription, refreshed every minute."""

from collections import Counter
from datetime import datetime

import streamlit as st

from arcadia import accuracy, charts, report
from arcadia.errors import ArcadiaError, InputError
from arcadia.estimate import LIST_PRICE, NO_RATE, PARTIAL_MONTH
from arcadia.labels import plural
from arcadia.money import display
from arcadia.period import UTC, accrual_period, parse_instant
from dashboard import data, ui

MONEY = ["subtotal", "GST", "total", "projected"]
ESTIMATE_MONEY = ["estimated margin", "accrued revenue", "actual COGS", "estimated COGS", "projected revenue",
                  "projected COGS", "projected margin"]
ESTIMATE_PCT = ("estimated margin %", "projected margin %")


def _pct(value) -> str:
    return "—" if value is None else f"{value:.1f} %"


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
        st.caption(report.as_of_words(accrual, datetime.now(UTC)))
        ui.warnings(accrual.warnings)
        if accrual.invoiced:
            st.info(f"{accrual.period.label} is invoiced: its revenue, COGS and margin are on the P&L. The live "
                    "accrual covers a month not invoiced yet.", icon=":material/receipt_long:")
            st.page_link("pages/pnl.py", label=f"P&L of {accrual.period.label}", icon=":material/query_stats:",
                         query_params={"period": f"{accrual.period.start:%Y-%m}"})
            return
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
        if accrual.quotes:
            top = st.slider("Tenants in the chart", 3, 25, 10, key="accrual_top_n")
            st.plotly_chart(charts.accrual_by_tenant(accrual, names, top), width="stretch", key="accrual-chart")
        estimate_section(accrual)  # also without subscriptions: resources may run, and cost
        if not accrual.quotes:
            st.info("No subscription is active this month.", icon=":material/info:")
            return

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


    def estimate_section(accrual) -> None:
        # Estimates only: never added to the invoiced figures or the accrual's totals above.
        st.subheader("Estimated COGS and margin (estimate)")
        est = accrual.estimate
        if est is None:
            st.caption("No COGS estimate for this month: the warning above says why.")
            return
        st.caption("An estimate, not invoiced figures. Actual cost so far is the month's own DigitalOcean cost "
                   "lines (the daily preview); only the time they do not cover yet is modelled: each resource alive "
                   "costs its last full month of cost lines (of the three before), prorated by the time, capped at "
                   "that month's amount; else its cost per hour in its newest partial month, else its inventory list "
                   "price, else it has no rate. Margin = accrued revenue (ex-GST) − estimated COGS.")
        if est.actual is not None:
            st.caption(report.actual_words(est, datetime.now(UTC)))
        parts = st.columns(3)
        parts[0].metric("Actual cost so far", display(est.actual_cogs_cents, est.currency), border=True,
                        help="The month's cost lines in place (DigitalOcean's daily preview), attributed as in the P&L.")
        parts[1].metric("Estimated COGS to now", display(est.estimated_cogs_cents, est.currency), border=True,
                        help="Actual cost so far + the modelled cost from where its lines stop to the as-of instant.")
        parts[2].metric("Projected month-end COGS", display(est.projected_cogs_cents, est.currency), border=True,
                        help="Actual cost so far + the modelled cost from where its lines stop to the month's end.")
        margins = st.columns(4)
        margins[0].metric("Estimated margin so far", display(est.estimated_margin_cents, est.currency), border=True)
        margins[1].metric("Estimated margin % so far", _pct(est.estimated_margin_pct), border=True)
        margins[2].metric("Projected month-end margin", display(est.projected_margin_cents, est.currency),
                          border=True, help="Projected month-end subtotal − projected month-end COGS")
        margins[3].metric("Projected month-end margin %", _pct(est.projected_margin_pct), border=True)
        bases = Counter(r.basis for r in est.resources)
        st.caption(f"Resources alive this month: {bases[PARTIAL_MONTH]:,} priced from a partial month of cost lines, "
                   f"{bases[LIST_PRICE]:,} from their list price, {bases[NO_RATE]:,} without a rate, the others from "
                   "their last full month of cost lines.")
        if est.without_rate:
            with st.expander(f"{plural(len(est.without_rate), 'resource')} without a rate (estimated at $0.00)"):
                st.caption("Alive this month, but with no cost lines in the three months before and no list price "
                           "in the inventory: the estimate leaves them out.")
                ui.money_table(report.estimate_without_rate(est), [], key="estimate-no-rate")
        # By tenant as a table, or as a chart (?estimate= in the URL): only the open tab is drawn.
        table_tab, chart_tab = st.tabs(["By tenant", "Margin chart"], key="estimate", bind="query-params")
        if table_tab.open:
            with table_tab:
                ui.money_table(report.estimate_tenants(est), ESTIMATE_MONEY, ESTIMATE_PCT, loss_col="estimated margin",
                               alert=("no rate", lambda row: row["resources without rate"] > 0),
                               key="estimate-tenants",
                               empty="No tenant has accrued revenue or a resource alive this month.")
        if chart_tab.open:
            with chart_tab:
                if est.tenants:
                    st.plotly_chart(charts.estimated_margins(est.tenants, currency=est.currency), width="stretch",
                                    key="estimate-chart")
                else:
                    st.info("No tenant has accrued revenue or a resource alive this month.", icon=":material/info:")
        if est.without_rate:
            st.caption("A tenant flagged 'no rate' has resources the estimate cannot price: its estimated COGS is "
                       "too low and its estimated margin too high.")
        ui.csv_download(lambda: report.accrual_table(accrual, "estimate"), "estimate",
                        f"arcadia-estimate-unrated-{accrual.period.start:%Y-%m}.csv",
                        "Download resources without a cost-line rate CSV")
        ui.csv_download(lambda: report.accrual_table(accrual, "estimate_tenants"), "estimate_tenants",
                        f"arcadia-estimate-tenants-{accrual.period.start:%Y-%m}.csv",
                        "Download the estimate by tenant CSV")
        if st.toggle("How good has the estimate been?", key="estimate-accuracy",
                      help="Its month-end projection on days 7, 14 and 21 of the last 6 months whose final invoice "
                           "is in, against their final COGS. `python -m arcadia estimate-accuracy` shows the same."):
            found = data.estimate_accuracy(url, str(accrual.period))
            if not found.months:
                st.caption("No complete month with a final invoice to measure the estimate against yet.")
            else:
                st.caption("Projected month-end COGS (the model alone, from the months before) against the final "
                           "COGS. Error = projected − final. Typical miss (Σ |error| ÷ Σ final): "
                           + ", ".join(f"day {day}: {_pct(pct)}" for day, pct in found.summary()) + ".")
                ui.money_table(accuracy.table_rows(found), ["projected COGS", "final COGS", "error"], ("error %",),
                               key="estimate-accuracy-table")


    live()


ui.run_page(render, own_month=True)
