"""Streamlit alone, for the reference rows of the page-speed test (tests/test_browser.py).

Served as the app.py of a folder of its own, with the dashboard's .streamlit/config.toml: a title, and with
`?with=table` a 20-row table, with `?with=table,chart` also a Plotly bar chart. Nothing of the dashboard runs,
so its settle times are what Streamlit, Plotly and Chromium take on the machine, before any work of ours.
"""

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

st.set_page_config(page_title="Streamlit alone", layout="wide")
parts = st.query_params.get("with", "").split(",")
st.title("Streamlit alone")
names = [f"Tenant {i}" for i in range(20)]
if "table" in parts:
    st.dataframe(pd.DataFrame({"tenant": names, "margin": range(20)}), hide_index=True, width="stretch")
if "chart" in parts:
    st.plotly_chart(go.Figure(go.Bar(x=names, y=list(range(20)))), width="stretch")
