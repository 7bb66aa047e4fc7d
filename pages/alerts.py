"""Alerts: the rules in force, what holds now and since when, what was sent when and where (read-only).

`python -m arcadia alerts run` (cron) evaluates and sends; this page reads its config ($ARCADIA_ALERTS_CONFIG)
and its record (alert_state). Send test only where the write URL is configured, as on the Import page.
"""

import os
from datetime import datetime

import pandas as pd
import streamlit as st

from arcadia import alert_run
from arcadia.errors import InputError
from arcadia.period import UTC, iso
from dashboard import data, ui


def render(url: str) -> None:
    st.title("Alerts")
    st.caption("`python -m arcadia alerts run` sends what is new to each channel once, and a short *resolved* when it "
               "no longer holds (run it from cron; README, Alerts). This page reads its config and its record.")
    try:
        config = alert_run.load(None)
    except InputError as exc:
        st.info(f"**No alerts config in force.** Set `${alert_run.CONFIG_ENV}` to a TOML file "
                "(`alerts.toml.example` is one) and restart the dashboard.", icon=":material/notifications_off:")
        st.text(str(exc))  # may quote the file: plain text
        config = None
    past = data.alert_history(url)
    if config is not None:
        st.subheader("Rules in force", anchor=False)
        st.dataframe(pd.DataFrame(alert_run.rules_rows(config), dtype=object), hide_index=True, width="stretch",
                     key="alert-rules")
        st.text("Channels: " + (", ".join(c.shown for c in config.channels) or "none"))
        st.subheader("What holds now", anchor=False)
        findings, failed = data.alert_findings(url, config)
        if findings:
            st.dataframe(pd.DataFrame(alert_run.holding_rows(findings, past), dtype=object), hide_index=True,
                         width="stretch", key="alert-holding")
        else:
            st.caption("Nothing holds now.")
        for failure in failed:
            st.warning("A rule could not be evaluated.", icon=":material/warning:")
            st.text(failure)
        if os.environ.get("ARCADIA_WRITE_DATABASE_URL", "").strip() and config.channels:
            if st.button("Send test", icon=":material/send:", key="alert-test",
                         help="A test message to every channel (nothing is recorded)."):
                st.text("\n".join(alert_run.send_test(config)))
    st.subheader("Sent", anchor=False)
    if past:
        st.dataframe(pd.DataFrame([{"sent": iso(r["sent_at"]), "channel": r["channel"], "rule": r["rule"],
                                    "subject": r["subject"], "month": r["month"][:7], "alert": r["title"],
                                    "resolved": iso(r["resolved_at"]) or ""} for r in past], dtype=object),
                     hide_index=True, width="stretch", key="alert-history")
    else:
        st.caption("Nothing sent yet.")


ui.run_page(render, own_month=True)
