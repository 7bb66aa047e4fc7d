"""Arcadia margin dashboard: data layer, quote engine and analytics (no Streamlit here)."""
