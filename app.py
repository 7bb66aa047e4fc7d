"""Router entrypoint: page config, access check, period picker, navigation.

`streamlit run app.py` serves the dashboard and, through the module-level
`app` (st.App), the JSON API on the same port.
"""

import streamlit as st

PAGES = {
    "Margin": [
        ("pages/pnl.py", "P&L", ":material/account_balance:", "pnl"),
        ("pages/tenants.py", "By tenant", ":material/groups:", "tenants"),
        ("pages/by_kind.py", "By kind", ":material/category:", "by-kind"),
    ],
    "Revenue": [("pages/accrual.py", "Live accrual", ":material/schedule:", "accrual")],
    "Data quality": [("pages/unattributed.py", "Unattributed COGS", ":material/help:", "unattributed"),
                     ("pages/health.py", "Data health", ":material/health_and_safety:", "health")],
    "Data": [("pages/import_do.py", "Import DO invoice", ":material/upload_file:", "import"),
             ("pages/alerts.py", "Alerts", ":material/notifications:", "alerts")],
}


# Pages about a month of their own (the live accrual's; the invoice's, picked on the Import page): no month picker.
OWN_MONTH = {"accrual", "import", "alerts"}
# Pages that can sum a range of months ending with the picked month (see ui.range_picker).
RANGES = {"pnl", "tenants", "by-kind"}


def dashboard() -> None:
    from pathlib import Path

    from arcadia.errors import ArcadiaError
    from dashboard import access, data, ui

    # A file of our own: a :material/…: favicon is fetched by the browser from Google's font host.
    st.set_page_config(page_title="Arcadia margin", page_icon=Path(__file__).with_name("dashboard") / "icon.png",
                       layout="wide")
    url = data.current_url()
    if not access.gate(url):
        # Navigation without the dashboard pages: none of them is reachable from this session.
        st.navigation([st.Page(lambda: None, title="Sign in", url_path="signin")], position="hidden")
        st.stop()
    try:
        navigation = st.navigation({
            section: [st.Page(path, title=title, icon=icon, url_path=slug, default=slug == "pnl")
                      for path, title, icon, slug in pages]
            for section, pages in PAGES.items()
        })
        slug = navigation.url_path or "pnl"  # the default page's url_path is ""
        if slug not in OWN_MONTH:
            month = ui.period_picker(url)
            if slug in RANGES:
                st.session_state[ui.RANGE_CHOSEN] = ui.range_picker(url, month)
        ui.footer(url)
        with access.admitted():
            navigation.run()
    except ArcadiaError as exc:
        ui.failure(exc, url)


if __name__ == "__main__":
    dashboard()
else:
    # Imported once by the server (`streamlit run` or uvicorn), before any session runs.
    from streamlit.runtime.pages_manager import PagesManager

    # Plotly and pandas load at start-up, not in the first visitor's run. (dashboard.* is not
    # imported here: its st.cache_data functions belong to the runtime, which does not exist yet.)
    import pandas  # noqa: F401
    import arcadia.charts  # noqa: F401
    from arcadia.api import routes

    # Streamlit treats a pages/ folder as legacy multipage navigation until some run
    # calls st.navigation: a fresh server would serve /tenants straight from
    # pages/tenants.py, around this script's access check. Navigation here is always
    # st.navigation, so say so before the first session (pages also gate themselves).
    PagesManager.uses_pages_directory = False
    from starlette.middleware import Middleware

    from arcadia.headers import SecurityHeaders

    # The JSON API rides on the dashboard's port. Security headers on every response (arcadia/headers.py);
    # `middleware=`, not a wrapper around st.App: `streamlit run` finds the app by reading this line.
    app = st.App("app.py", routes=routes(), middleware=[Middleware(SecurityHeaders)])
