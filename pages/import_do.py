"""Import DO invoice: upload a DigitalOcean invoice, preview its lines and their matches, confirm to write them.

The only page that writes, and only with $ARCADIA_WRITE_DATABASE_URL (a role that may write cost lines) naming
the database the dashboard shows. Parsing, matching and writing are `python -m arcadia import-do`'s own code.
"""

import os
from datetime import datetime

import streamlit as st

from arcadia import do_import, do_invoice
from arcadia.db import database_url, describe, engine_for
from arcadia.embedded import get_engine
from arcadia.money import display
from arcadia.period import UTC, Period
from dashboard import data, ui

WRITE_URL_ENV = "ARCADIA_WRITE_DATABASE_URL"
MONTHS_OFFERED = 24


def render(url: str) -> None:
    st.title("Import a DigitalOcean invoice")
    st.caption("Each item of the invoice becomes a cost line (COGS) of its month, matched to the inventory by resource "
               "id, or by kind and name for a CSV. Importing an invoice again replaces its lines. Taxes are not COGS and "
               "are skipped unless you include them. Each DigitalOcean account's month holds one invoice: an import replaces "
               "what that account's month held. The same as `python -m arcadia import-do` in a shell.")
    write_url = os.environ.get(WRITE_URL_ENV, "").strip() or None
    if write_url is None:
        st.info(f"**Imports are off.** The dashboard's own connection is read-only. To enable them, set "
                f"`{WRITE_URL_ENV}` to a URL of this database with a role that may write `cloud_cost_lines` (the "
                "README gives the SQL) and restart the dashboard. You can still preview an invoice here.",
                icon=":material/lock:")
    elif not do_import.same_database(url, write_url):
        st.error(f"**Imports are off:** `{WRITE_URL_ENV}` names another database than the one this dashboard shows.",
                 icon=":material/error:")
        st.text(f"Shown: {describe(url)}\n{WRITE_URL_ENV}: {describe(database_url(write_url))}")
        write_url = None

    this_month = Period.parse(datetime.now(UTC))
    months = [this_month.minus(back) for back in range(MONTHS_OFFERED)]
    month = st.selectbox("Invoice month", months, index=1, format_func=lambda p: p.label, key="import-month",
                         help="The month the invoice bills (every item must start in it); default: last month.")
    files = st.file_uploader("Invoice: the CSV export (Billing → the invoice → Download CSV), or the API's JSON pages",
                             type=["csv", "json"], accept_multiple_files=True, key="import-files")
    invoice_id = st.text_input(
        "Invoice id (optional)", key="import-invoice", max_chars=200,
        help="The id the lines are stored under; importing again under the same id replaces them. Default: a CSV's "
             "month and a digest of the file, the JSON pages' invoice UUID. Give the DigitalOcean invoice UUID to "
             "have a CSV and an API import of one invoice replace each other.")
    account = st.text_input(
        "DigitalOcean account", value=do_import.DEFAULT_ACCOUNT, key="import-account", max_chars=100,
        help="Each account (DigitalOcean team) holds one invoice per month: importing replaces what this account's "
             "month holds (an earlier export or preview), never another account's.")
    include_tax = st.checkbox("Include taxes (as kind other)", key="import-tax")
    if not files:
        return

    invoices = _parsed(files, month, invoice_id.strip() or None)
    preview = do_import.preview(get_engine(url), invoices, month, include_tax, account)
    n_matched, matched_cents = preview.matched
    lines, total, matched, unmatched = st.columns(4)
    lines.metric("Lines", f"{len(preview.lines):,}")
    total.metric("Total", display(preview.total_cents))
    matched.metric(f"Matched ({n_matched:,} lines)", display(matched_cents))
    unmatched.metric(f"Unattributed ({len(preview.lines) - n_matched:,} lines)",
                     display(preview.total_cents - matched_cents))
    # Invoice ids and file names are the uploader's text: plain text, never markdown.
    st.text(f"Account {preview.account}, {month.label}: in place now: "
            f"{preview.before.words if preview.before else 'nothing'}\n" + "\n".join(
        f"{i.invoice.invoice_id}: {len(i.lines):,} lines"
        + (f"; replaces {i.replaced_lines:,} lines ({display(i.replaced_cents)}) imported before" if i.replaced_lines
           else "; not imported before")
        for i in preview.invoices)
        + (f"\nTaxes skipped: {len(preview.taxes):,} ({display(sum(t.amount_cents for t in preview.taxes))})"
           if preview.taxes else ""))
    ui.warnings(preview.warnings)
    st.subheader("Lines and their resources", anchor=False)
    ui.money_table(do_import.preview_rows(preview), ["amount"], key="import-lines", empty="The invoice has no lines.")
    st.subheader("By kind", anchor=False)
    ui.money_table([{"kind": kind, "lines": n, "amount": cents} for kind, n, cents in preview.by_kind], ["amount"],
                   key="import-kinds", empty="")

    if st.button(f"Import {len(preview.lines):,} lines into {month.label}", type="primary", key="import-confirm",
                 disabled=write_url is None, icon=":material/upload_file:"):
        result = do_import.import_invoices(engine_for(database_url(write_url)), invoices, month, include_tax, account)
        data.clear_figures()  # every page shows the new cost lines at once
        st.cache_data.clear()
        st.success(f"Imported {len(result.lines):,} lines into {month.label}.", icon=":material/check_circle:")
        st.text(do_import.summary_text(result))


def _parsed(files, month: Period, invoice_id: str | None):
    """The uploads parsed once per content (their digests), month and id: a checkbox does not parse them again."""
    uploads = [(f.name, f.getvalue()) for f in files]
    do_invoice.check_sizes(uploads)
    key = (tuple((name, do_invoice.digest(data)) for name, data in uploads), str(month), invoice_id)
    cached = st.session_state.get("_import_parsed")
    if cached is None or cached[0] != key:
        cached = (key, do_invoice.read_uploads(uploads, month, invoice_id))
        st.session_state["_import_parsed"] = cached
    return cached[1]


ui.run_page(render, own_month=True)
