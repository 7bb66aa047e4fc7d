"""By kind: revenue by billing kind and COGS by provider kind, side by side, never joined."""

import streamlit as st

from arcadia import charts, report
from arcadia.charts import COGS, REVENUE
from arcadia.errors import DataError
from arcadia.labels import kind_label, plural
from dashboard import data, ui


def render(url: str) -> None:
    months = ui.selected_months()  # a month, or a range of months ending with the picked month
    period = ui.selected_period()
    breakdown = data.by_kind(url, str(months))
    # The previous month only feeds the Δ column: when it cannot be computed, or is in another currency, the
    # column stays empty and the caption says so.
    try:
        # No Δ from partial data: the month in progress is not set against a complete month
        before = (None if months != period or breakdown.in_progress is not None
                  else data.by_kind(url, str(period.previous())))
        if before is not None and before.currency != breakdown.currency:
            before = None
    except DataError:
        before = None

    st.title(f"By kind · {months.label}")
    st.caption("Billing kinds (what tenants pay for) and provider kinds (what DigitalOcean bills) do not map one to "
               "one, so each has its own chart, axis and table.")
    ui.margin_warnings(breakdown)  # the month in progress first, with a link to Live accrual
    if not breakdown.revenue and not breakdown.cogs:
        ui.empty_month(months)
        st.stop()

    left, right = st.columns(2)
    for column, side, kinds, title, color in (
        (left, "revenue", breakdown.revenue, "Revenue by billing kind (ex-GST)", REVENUE),
        (right, "cogs", breakdown.cogs, "COGS by provider kind", COGS),
    ):
        with column:
            st.plotly_chart(charts.kinds_bar(kinds, title, color, currency=breakdown.currency), width="stretch",
                            key=f"chart-{side}")
            previous = None if before is None else {k.kind: k.amount_cents for k in getattr(before, side)}
            ui.money_table(kind_rows(kinds, previous), ["amount", f"Δ vs {period.previous().start:%b}"],
                           pct_cols=("share %",), key=f"table-{side}",
                           column_config={"kind id": None})
            ui.csv_download(lambda side=side: report.by_kind_table(breakdown, side), side,
                            f"arcadia-{side}-by-kind-{ui.file_stamp(months)}.csv",
                            f"Download {'revenue' if side == 'revenue' else 'COGS'} by kind CSV")
    st.caption((f"Sums over {plural(months.months, 'month')}; no Δ for a range" if months != period else
                f"No Δ: {period.label} is in progress (its COGS so far)" if breakdown.in_progress is not None else
                f"Δ: change against {period.previous().label}" +
                ("" if before is not None else " (not available: that month could not be compared)")) +
               ". Share: of the total of the column.")


def kind_rows(kinds, previous: dict[str, int] | None) -> list[dict]:
    """One row per kind (friendly label, amount, Δ vs the previous month, share of the total), then a total row."""
    total = sum(k.amount_cents for k in kinds)
    delta = f"Δ vs {ui.selected_period().previous().start:%b}"
    rows = [{"kind": kind_label(k.kind), "kind id": k.kind, "amount": k.amount_cents,
             delta: None if previous is None else k.amount_cents - previous.get(k.kind, 0),
             "share %": ui.pct_of(k.amount_cents, total)} for k in kinds]
    if previous is not None:  # kinds that had amounts last month and none now
        rows += [{"kind": kind_label(kind), "kind id": kind, "amount": 0, delta: -cents, "share %": ui.pct_of(0, total)}
                 for kind, cents in sorted(previous.items()) if kind not in {k.kind for k in kinds}]
    rows.append({"kind": "Total", "kind id": "", "amount": total,
                 delta: None if previous is None else total - sum(previous.values()),
                 "share %": ui.pct_of(total, total)})
    return rows

ui.run_page(render, ranges=True)
