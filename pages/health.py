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


ui.run_page(render)
