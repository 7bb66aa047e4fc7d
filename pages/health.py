"""Data health: the rows the month's figures skip or cannot add up, so an operator can fix them at the source."""

import pandas as pd
import streamlit as st

from arcadia.health import ERROR
from dashboard import health_data, ui


def render(url: str) -> None:
    period = ui.selected_period()
    report = health_data.report(url, str(period))

    st.title(f"Data health · {period.label}")
    st.caption("Checks of this month's invoices, cost lines and usage, and of what is wrong whatever the month (usage "
               "stamped in the future, the catalog, resource tags). Errors make figures wrong or fail; warnings are "
               "rows the figures treat in a way you may not expect. `python -m arcadia check` runs the same checks.")
    errors, warnings = st.columns(2)
    errors.metric("Errors", report.errors)
    warnings.metric("Warnings", report.warnings)
    _provider_record(report)
    if not report.problems:
        st.success("No problems found.", icon=":material/check_circle:")
        st.stop()
    for problem in report.problems:
        # Titles and hints are the checks' own text; the database's text only ever reaches the table below.
        icon = ":material/error:" if problem.level == ERROR else ":material/warning:"
        st.subheader(f"{icon} {problem.title}", anchor=False)
        st.caption(f"{problem.level} · {problem.count:,} · `{problem.code}`")
        st.markdown(problem.hint)
        st.dataframe(pd.DataFrame(list(problem.examples), dtype=object), hide_index=True, width="stretch",
                     key=f"health-{problem.code}")


def _provider_record(report) -> None:
    """What each DigitalOcean account's month holds (one source each) and each account's last sync."""
    if report.in_place:
        st.subheader("DigitalOcean invoices in place", anchor=False)
        st.caption("Per account and month one source: the final invoice, else the newest daily preview, or a file "
                   "export. `python -m arcadia sync-do` keeps them current.")
        ui.money_table(health_data.in_place_rows(report), ["amount"], key="health-in-place", empty="")
    if report.syncs:
        st.subheader("Last DigitalOcean sync", anchor=False)
        st.dataframe(pd.DataFrame(health_data.sync_rows(report), dtype=object), hide_index=True, width="stretch",
                     key="health-syncs")


ui.run_page(render)
