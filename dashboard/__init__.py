"""Streamlit glue for the dashboard: cached data access, access control and shared widgets."""
