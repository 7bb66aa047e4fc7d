"""AppTest smoke tests of every page: no exception, the analytics figures, access control."""

from __future__ import annotations

import json
import time
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
import streamlit as st
from streamlit.testing.v1 import AppTest

from arcadia import analytics, db, money
from arcadia.money import display
from arcadia.period import Period, parse_instant
from tests.conftest import fresh_engine, load_sql

APP = str(Path(__file__).resolve().parent.parent / "app.py")
PAGES = ["pages/pnl.py", "pages/tenants.py", "pages/by_kind.py", "pages/accrual.py", "pages/unattributed.py",
         "pages/health.py"]
AUTH = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "s" * 32, "client_id": "arcadia",
        "client_secret": "secret", "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration"}
ADMIN = {"is_logged_in": True, "email": "ops@arcadia.test", "roles": ["platform_admin"]}
TENANT_USER = {"is_logged_in": True, "email": "user@acme.test", "roles": ["tenant_admin"], "tenant_id": "platform-admin"}
MARCH = Period.parse("2026-03-01")


def app_test(url: str | None, monkeypatch, *, user=None, auth=True, page=None, **params) -> AppTest:
    st.cache_data.clear()
    st.cache_resource.clear()
    if url is None:
        monkeypatch.delenv(db.URL_ENV, raising=False)
    else:
        monkeypatch.setenv(db.URL_ENV, url)
    at = AppTest.from_file(APP, default_timeout=60)
    if auth:
        at.secrets["auth"] = AUTH
    if user is not None:
        at.user = user
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    if page:
        at.switch_page(page)
        for key, value in params.items():  # a page switch starts from a clean URL, as a link to the page would not
            at.query_params[key] = value
        at.run()
    return at


def figures_shown(at: AppTest) -> bool:
    return bool(at.metric) or bool(at.dataframe) or bool(at.get("plotly_chart"))


@pytest.fixture
def url(small):
    return small.url.render_as_string(hide_password=False)


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_for_an_admin(url, monkeypatch, page):
    at = app_test(url, monkeypatch, user=ADMIN, page=page, period="2026-03", as_of="2026-05-21T12:00:00Z")
    assert not at.exception
    assert at.title and ("March 2026" in at.title[0].value or page == "pages/accrual.py")
    assert not at.error


def test_pnl_shows_the_analytics_figures(url, small, monkeypatch):
    at = app_test(url, monkeypatch, user=ADMIN, period="2026-03")
    s = analytics.margin_summary(small, MARCH)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Revenue"] == display(s.overall.revenue_cents) == "$26.00"
    assert metrics["COGS"] == "$29.00" and metrics["Margin"] == "-$3.00" and metrics["Margin %"] == "-11.5 %"
    assert metrics["Attributed COGS"] == "$25.50" and metrics["Unattributed COGS"] == "$3.50"
    assert at.title[0].value == "P&L · March 2026"


def test_period_comes_from_the_url_any_day_of_the_month(url, monkeypatch):
    at = app_test(url, monkeypatch, user=ADMIN, period="2026-03-17")
    assert at.sidebar.selectbox(key="period").value == "2026-03"
    assert at.title[0].value == "P&L · March 2026"


@pytest.mark.parametrize("bad, why", [
    ("2026-13", "is not a month"), ("'; DROP TABLE tenants; --", "is not a month"),
    ("x" * 5000, "is not a month"), ("2030-01", "has no invoices, cost lines or usage"),
    ("2001-02-03", "has no invoices, cost lines or usage"),
])
def test_an_unavailable_url_period_is_named_and_the_shown_month_put_in_the_url(url, monkeypatch, bad, why):
    at = app_test(url, monkeypatch, user=ADMIN, period=bad)
    assert not at.exception and at.sidebar.selectbox(key="period").value == "2026-06"  # latest complete month with data
    notice = next(w.value.replace("\\", "") for w in at.warning if "The link asks for period" in w.value)
    assert why in notice and "June 2026 instead" in notice
    assert at.query_params["period"] == "2026-06"  # the URL now says what is shown


def test_the_url_keeps_the_month_from_the_first_load_and_through_changes(url, monkeypatch):
    at = app_test(url, monkeypatch, user=ADMIN, period="2026-03")
    assert at.query_params["period"] == "2026-03" and not any("link asks" in w.value for w in at.warning)
    at.sidebar.selectbox(key="period").set_value("2026-04").run()
    assert at.query_params["period"] == "2026-04" and at.title[0].value.startswith("P&L · April 2026")
    fresh = app_test(url, monkeypatch, user=ADMIN)  # no ?period=: the default month is written into the URL
    assert fresh.query_params["period"] == fresh.sidebar.selectbox(key="period").value


def test_the_month_in_progress_is_marked_and_points_to_the_live_accrual(url, monkeypatch):
    from dashboard import data

    monkeypatch.setattr(data, "now", lambda: parse_instant("2026-07-15T12:00:00Z"))  # July: nothing in it yet
    at = app_test(url, monkeypatch, user=ADMIN, period="2026-07")
    picker = at.sidebar.selectbox(key="period")
    assert picker.value == "2026-07" and "2026-07 (in progress)" in picker.options
    assert at.title[0].value == "P&L · July 2026 (in progress)"
    # One notice (not also "no invoices or cost lines"), and the link to Live accrual.
    assert len(at.info) == 1 and at.info[0].value.replace("\\", "").startswith("July 2026 is in progress")
    assert [link.proto.label for link in at.get("page_link")] == ["Live accrual: July 2026 so far"]


def test_the_live_accrual_says_its_month_in_the_sidebar_and_compares_with_the_last_invoiced_month(url, monkeypatch):
    at = app_test(url, monkeypatch, user=ADMIN, page="pages/accrual.py", as_of="2026-04-21T12:00:00Z")
    assert not at.exception
    assert any(t.value.startswith("Month: April 2026") for t in at.sidebar.text)
    assert any("March 2026 was invoiced at $26.00" in c.value for c in at.caption)


def test_tenants_table_is_the_analytics_rows_worst_first(url, small, monkeypatch):
    at = app_test(url, monkeypatch, user=ADMIN, page="pages/tenants.py", period="2026-03")
    frame = at.dataframe[0].value
    s = analytics.margin_summary(small, MARCH)
    assert list(frame["tenant_id"]) == [t.tenant_id for t in s.tenants]
    assert [str(v) for v in frame["margin"]] == ["-3.00", "-2.00", "5.50"]
    assert list(frame["internal"]) == [True, False, False]


def test_tenant_drill_down_by_the_picker(url, monkeypatch):
    at = app_test(url, monkeypatch, user=ADMIN, page="pages/tenants.py", period="2026-03")
    assert len(at.dataframe) == 1 and at.info  # no tenant chosen yet: a hint, no drill-down tables
    at.selectbox(key="drill_tenant").set_value("acme").run()
    deployments, lines = at.dataframe[1].value, at.dataframe[2].value
    assert list(deployments["deployment"]) == ["acme-studio"]
    assert sorted(str(v) for v in lines["amount"]) == ["-0.50", "10.00", "5.00"]
    # The table follows the picker (acme is the last row, worst margin first), and so does the URL.
    assert at.session_state["tenants-table"]["selection"]["rows"] == [2]
    assert at.query_params["tenant"] == "acme"


def test_tenant_drill_down_by_selecting_a_row(url, small, monkeypatch):
    at = app_test(url, monkeypatch, user=ADMIN, page="pages/tenants.py", period="2026-03")
    uuid_tenant = analytics.margin_summary(small, MARCH).tenants[1].tenant_id
    at.session_state["tenants-table"] = {"selection": {"rows": [1], "columns": []}}  # a click on the 2nd row
    at.run()
    assert at.selectbox(key="drill_tenant").value == uuid_tenant
    deployments, lines = at.dataframe[1].value, at.dataframe[2].value
    assert list(deployments["deployment"]) == ["uuid-notebook"]
    assert [str(v) for v in deployments["margin"]] == ["-2.00"] and list(deployments["flag"][0]) == ["loss"]
    assert sorted(str(v) for v in lines["amount"]) == ["1.00", "7.00"]
    # A later pick in the picker wins over the earlier click; unselecting the row clears the drill-down.
    at.selectbox(key="drill_tenant").set_value("acme").run()
    assert list(at.dataframe[1].value["deployment"]) == ["acme-studio"]
    at.session_state["tenants-table"] = {"selection": {"rows": [], "columns": []}}
    at.run()
    assert len(at.dataframe) == 1 and at.selectbox(key="drill_tenant").value is None


def test_tenant_from_the_url(url, monkeypatch):
    at = app_test(url, monkeypatch, user=ADMIN, page="pages/tenants.py", period="2026-03", tenant="acme")
    assert at.selectbox(key="drill_tenant").value == "acme"
    assert list(at.dataframe[1].value["deployment"]) == ["acme-studio"]
    at = app_test(url, monkeypatch, user=ADMIN, page="pages/tenants.py", period="2026-03", tenant="nobody")
    assert at.selectbox(key="drill_tenant").value is None and len(at.dataframe) == 1


def test_money_columns_are_exact_decimals_formatted_by_the_grid(url, monkeypatch):
    at = app_test(url, monkeypatch, user=ADMIN, page="pages/tenants.py", period="2026-03")
    table = at.dataframe[0]
    frame = table.value
    assert all(isinstance(v, Decimal) for v in frame["revenue"]) and str(frame["revenue"][2]) == "20.00"
    assert [None if pd.isna(v) else str(v) for v in frame["margin %"]] == [None, "-33.3", "27.5"]
    assert [list(flag) for flag in frame["flag"]] == [["loss"], ["loss"], []]
    config = {c["key"] if "key" in c else name: c for name, c in json.loads(table.proto.columns).items()}
    assert config["revenue"]["type_config"]["format"] == "dollar"
    assert config["margin %"]["type_config"]["format"] == "%.1f %%"


def test_tenants_under_the_margin_alert_are_flagged_and_counted(url, monkeypatch):
    monkeypatch.setenv("ARCADIA_MARGIN_ALERT_PCT", "30")
    at = app_test(url, monkeypatch, user=ADMIN, page="pages/tenants.py", period="2026-03")
    assert [list(flag) for flag in at.dataframe[0].value["flag"]] == [["loss"], ["loss"], ["below 30 %"]]
    pnl = app_test(url, monkeypatch, user=ADMIN, period="2026-03")
    assert any(w.value.startswith("3 tenants below the 30 % margin alert") for w in pnl.warning)
    monkeypatch.setenv("ARCADIA_MARGIN_ALERT_PCT", "0")
    pnl = app_test(url, monkeypatch, user=ADMIN, period="2026-03")
    assert any(w.value.startswith("2 tenants below the 0 % margin alert") for w in pnl.warning)


def test_tenant_groups_filter_the_table_and_subtotal_each_group(url, monkeypatch):
    at = app_test(url, monkeypatch, user=ADMIN, page="pages/tenants.py", period="2026-03")
    subtotals = at.table[0].value
    assert list(subtotals.index) == ["All", "Customers", "Internal"]
    assert list(subtotals["revenue"]) == ["$26.00", "$26.00", "$0.00"]
    assert list(subtotals["margin"]) == ["$0.50", "$3.50", "-$3.00"]  # 5.50 - 2.00 customers, -3.00 internal
    at.segmented_control(key="tenant_group").set_value("Internal").run()
    assert list(at.dataframe[0].value["tenant_id"]) == ["platform-admin"]
    at.segmented_control(key="tenant_group").set_value("Customers").run()
    assert "platform-admin" not in list(at.dataframe[0].value["tenant_id"])


def test_by_kind_tables(url, monkeypatch):
    at = app_test(url, monkeypatch, user=ADMIN, page="pages/by_kind.py", period="2026-03")
    revenue, cogs = at.dataframe[0].value, at.dataframe[1].value
    assert list(revenue["kind id"]) == ["compute", "storage", "platform", ""]
    assert list(revenue["kind"]) == ["Compute", "Storage", "Platform", "Total"]
    assert list(cogs["kind id"]) == ["droplet", "bandwidth", "volume", "other", ""]
    assert [str(v) for v in cogs["amount"]] == ["27.00", "1.50", "1.00", "-0.50", "29.00"]
    assert [str(v) for v in cogs["share %"]] == ["93.1", "5.2", "3.4", "-1.7", "100.0"]
    april = app_test(url, monkeypatch, user=ADMIN, page="pages/by_kind.py", period="2026-04")
    cogs = april.dataframe[1].value  # April: one droplet line of 9.99; against March, per kind
    assert list(cogs["kind id"]) == ["droplet", "bandwidth", "other", "volume", ""]
    assert [str(v) for v in cogs["Δ vs Mar"]] == ["-17.01", "-1.50", "0.50", "-1.00", "-19.01"]


def test_accrual_page_pinned_to_an_instant(url, small, monkeypatch):
    at = app_test(url, monkeypatch, user=ADMIN, page="pages/accrual.py", as_of="2026-05-21T12:00:00Z")
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Accrued subtotal (ex-GST)"] == "$26.31" and metrics["GST"] == "$2.63"
    assert metrics["Total"] == "$28.94" and metrics["Projected month-end subtotal"] == "$50.55"
    accrual = analytics.live_accrual(small, parse_instant("2026-05-21T12:00:00Z"))
    table = at.dataframe(key="accrual-subs").value
    by_id = {q.subscription.id: q for q in accrual.quotes}
    assert sorted(table["subscription_id"]) == sorted(by_id)
    assert list(table["subscription_id"]) == ["50000000-0000-4000-8000-000000000001",
                                              "50000000-0000-4000-8000-000000000002"]  # largest subtotal first
    for row in table.itertuples():
        q = by_id[row.subscription_id]
        assert (row.subtotal, row.GST, row.total, row.projected) == tuple(
            money.to_decimal(c) for c in (q.subtotal_cents, q.tax_cents, q.total_cents, q.projected_subtotal_cents))
    assert list(table["tenant"]) == ["Acme Corp", "b3f1c6de-0f6a-4c1e-9a57-0123456789ab"]  # no tenants row: its id
    # The estimate's tenants and the subscriptions; no lines until a row is selected
    assert len(at.expander) == 0 and len(at.dataframe) == 2 and at.info


def test_accrual_selecting_a_row_shows_its_lines(url, small, monkeypatch):
    at = app_test(url, monkeypatch, user=ADMIN, page="pages/accrual.py", as_of="2026-05-21T12:00:00Z")
    at.session_state["accrual-subs"] = {"selection": {"rows": [0], "columns": []}}
    at.run()
    quote = next(q for q in analytics.live_accrual(small, parse_instant("2026-05-21T12:00:00Z")).quotes
                 if q.subscription.id == "50000000-0000-4000-8000-000000000001")
    lines = at.dataframe[2].value  # a display-only table has no key in AppTest: the one after the subscriptions
    assert list(lines["sku"]) == [line.sku for line in quote.lines]
    assert list(lines["amount"]) == [money.to_decimal(line.amount_cents) for line in quote.lines]
    assert sum(lines["amount"]) == money.to_decimal(quote.subtotal_cents)
    # The second subscription has nothing billable: it says so.
    at.session_state["accrual-subs"] = {"selection": {"rows": [1], "columns": []}}
    at.run()
    assert len(at.dataframe) == 2  # the estimate's tenants and the subscriptions: no lines
    assert "Nothing billable yet this month." in [c.value for c in at.caption]


def test_accrual_search_filters_and_keeps_the_selection_on_its_subscription(url, monkeypatch):
    at = app_test(url, monkeypatch, user=ADMIN, page="pages/accrual.py", as_of="2026-05-21T12:00:00Z")
    at.session_state["accrual-subs"] = {"selection": {"rows": [1], "columns": []}}  # the uuid tenant's
    at.run()
    at.text_input(key="accrual_search").input("B3F1C6DE").run()  # case-insensitive, part of the tenant id
    table = at.dataframe(key="accrual-subs").value
    assert list(table["subscription_id"]) == ["50000000-0000-4000-8000-000000000002"]
    assert at.session_state["accrual-subs"]["selection"]["rows"] == [0]  # the selection followed its row
    at.text_input(key="accrual_search").input("acme corp").run()
    assert list(at.dataframe(key="accrual-subs").value["tenant"]) == ["Acme Corp"]
    assert at.session_state["accrual-subs"]["selection"]["rows"] == []  # its subscription is filtered out
    at.text_input(key="accrual_search").input(".*").run()  # literal text, not a pattern
    assert [d.key for d in at.dataframe] == [None]  # only the estimate's tenants: no subscriptions table
    assert "No subscription matches the search." in [c.value for c in at.caption]


def test_table_frame_keeps_money_exact():
    from dashboard import ui

    rows = [{"amount": 9_223_372_036_854_775_807, "margin %": Decimal("-175.2")},  # the largest bigint of cents
            {"amount": -1, "margin %": None}, {"amount": None, "margin %": Decimal("0.0")}]
    frame = ui.table_frame(rows, ["amount"], ["margin %"], loss_col="amount")
    assert [None if pd.isna(v) else str(v) for v in frame["amount"]] == ["92233720368547758.07", "-0.01", None]
    assert [None if pd.isna(v) else str(v) for v in frame["margin %"]] == ["-175.2", None, "0.0"]
    assert [list(flag) for flag in frame["flag"]] == [[], ["loss"], []]
    assert list(frame.columns) == ["amount", "margin %", "flag"]  # the flag after the margin and its %


HOSTILE = "[click](https://evil.example) <b>x</b>"
UUID_TENANT = "b3f1c6de-0f6a-4c1e-9a57-0123456789ab"


def markdown_shown(at: AppTest) -> list[str]:
    """Every text the page renders as markdown: these must never carry the database's text."""
    texts = [e.value for kind in ("title", "header", "subheader", "markdown", "caption", "info", "warning", "error",
                                  "success") for e in getattr(at, kind)]
    texts += [m.label for m in at.metric] + [m.value for m in at.metric] + [e.label for e in at.expander]
    return texts + [w.label for kind in ("selectbox", "text_input", "slider", "button") for w in getattr(at, kind)]


def test_a_hostile_tenant_name_is_shown_literally(url, small, monkeypatch):
    with small.begin() as conn:
        conn.exec_driver_sql(f"INSERT INTO tenants (id, name, kind) VALUES ('{UUID_TENANT}', '{HOSTILE}', 'customer')")
    at = app_test(url, monkeypatch, user=ADMIN, page="pages/tenants.py", period="2026-03", tenant=UUID_TENANT)
    assert HOSTILE in list(at.dataframe[0].value["tenant"])
    assert f"{HOSTILE} ({UUID_TENANT})" in at.selectbox(key="drill_tenant").options
    assert at.selectbox(key="drill_tenant").value == UUID_TENANT and len(at.dataframe) == 3  # drilled into it
    assert not any("evil" in text for text in markdown_shown(at))

    at = app_test(url, monkeypatch, user=ADMIN, page="pages/accrual.py", as_of="2026-05-21T12:00:00Z")
    table = at.dataframe(key="accrual-subs").value
    assert list(table["tenant"]) == ["Acme Corp", HOSTILE]
    at.session_state["accrual-subs"] = {"selection": {"rows": [1], "columns": []}}
    at.run()
    assert f"{HOSTILE} · subscription 50000000-0000-4000-8000-000000000002" in [t.value for t in at.text]
    assert not any("evil" in text for text in markdown_shown(at))


def test_unattributed_page_lists_the_lines(url, monkeypatch):
    at = app_test(url, monkeypatch, user=ADMIN, page="pages/unattributed.py", period="2026-03")
    frame = at.dataframe[0].value  # per resource, largest first
    assert list(frame["reason"]) == ["resource has no tenant and no deployment", "no matching resource"]
    assert [str(v) for v in frame["amount"]] == ["2.00", "1.50"] and list(frame["lines"]) == [1, 1]
    assert at.metric[0].value == "$3.50" and len(at.dataframe) == 1
    at.session_state["unattributed-resources"] = {"selection": {"rows": [1], "columns": []}}
    at.run()
    lines = at.dataframe[1].value  # the selected resource's lines, amount first
    assert list(lines.columns)[0] == "amount" and list(lines["description"]) == ["Outbound transfer"]


def test_empty_month_explains_itself(url, monkeypatch):
    at = app_test(url, monkeypatch, user=ADMIN, period="2026-05")  # usage only: no invoice, no cost line
    assert not at.exception and any("No invoices or provider cost lines" in i.value for i in at.info)


@pytest.mark.parametrize("page", [*PAGES, "pages/import_do.py", "pages/alerts.py"])
def test_non_admin_sees_no_access_and_no_figures(url, monkeypatch, page):
    at = app_test(url, monkeypatch, user=TENANT_USER, page=None, period="2026-03")
    assert at.title[0].value == "No access" and not figures_shown(at)
    assert [b.label for b in at.button] == ["Log out"]
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page(page)  # not in this session's navigation: not reachable


@pytest.mark.parametrize("page", PAGES)
def test_a_page_run_on_its_own_applies_the_same_gate(url, monkeypatch, page):
    """Streamlit may run a pages/ file without app.py (fresh process): the page gates itself."""
    st.cache_data.clear()
    st.cache_resource.clear()
    monkeypatch.setenv(db.URL_ENV, url)
    for user, shown in ((TENANT_USER, False), ({"is_logged_in": False}, False), (ADMIN, True)):
        at = AppTest.from_file(str(Path(APP).parent / page), default_timeout=60)
        at.secrets["auth"] = AUTH
        at.user = user
        at.query_params["period"] = "2026-03"
        at.query_params["as_of"] = "2026-05-21T12:00:00Z"
        at.run()
        assert not at.exception and figures_shown(at) is shown, user


@pytest.mark.parametrize("page", PAGES)
def test_logged_out_sees_only_the_login(url, monkeypatch, page):
    at = app_test(url, monkeypatch, user={"is_logged_in": False}, period="2026-03")
    assert [b.label for b in at.button] == ["Log in"] and not figures_shown(at)


def test_admin_by_email(url, monkeypatch):
    monkeypatch.setenv("ARCADIA_ADMIN_EMAILS", "boss@arcadia.test, other@x")
    at = app_test(url, monkeypatch, user={"is_logged_in": True, "email": "Boss@Arcadia.test", "email_verified": True},
                  period="2026-03")
    assert at.title[0].value == "P&L · March 2026"
    unverified = app_test(url, monkeypatch, user={"is_logged_in": True, "email": "Boss@Arcadia.test",
                                                  "email_verified": False}, period="2026-03")
    assert not unverified.title or unverified.title[0].value != "P&L · March 2026"


def test_no_auth_and_a_real_database_shows_nothing(url, monkeypatch):
    at = app_test(url, monkeypatch, auth=False, period="2026-03")
    assert "No login is configured" in at.error[0].value and not figures_shown(at)
    # An anonymous visitor learns nothing about where the data lives.
    shown = " ".join(e.value for e in [*at.markdown, *at.error, *at.caption])
    assert "PostgreSQL" not in shown and "SQLite" not in shown and "5432" not in shown and "arcadia.sqlite" not in shown


def test_no_auth_on_the_demo_shows_the_demo_with_a_banner(demo_sqlite_url, monkeypatch):
    monkeypatch.setattr(db, "DEMO_URL", demo_sqlite_url)
    at = app_test(None, monkeypatch, auth=False, period="2026-04")
    assert "Demo data — no login" in at.info[0].value
    assert {m.label: m.value for m in at.metric}["Revenue"] == "$71.12"


def test_database_down_is_a_friendly_page(monkeypatch):
    at = app_test("postgresql+psycopg://postgres@127.0.0.1:5999/nowhere", monkeypatch, user=ADMIN)
    assert not at.exception
    assert "database is unreachable" in at.error[0].value
    assert "127.0.0.1:5999" in " ".join(t.value for t in at.text)  # the cause, as plain text


def test_database_text_in_the_pnl_is_shown_literally(small, monkeypatch):
    hostile = "[x](https://evil.example) ![i](https://evil.example/p.png)"
    with small.begin() as conn:
        for table in ("tenant_invoices", "cloud_cost_lines"):
            conn.execute(sa.text(f"UPDATE {table} SET currency = :c"), {"c": hostile})
    at = app_test(small.url.render_as_string(hide_password=False), monkeypatch, user=ADMIN, period="2026-03")
    assert not at.exception
    assert f"Currency: {hostile}" in [t.value for t in at.text]
    rendered = [e.value for e in [*at.markdown, *at.caption, *at.error, *at.warning, *at.info]]
    assert not any("evil.example" in value for value in rendered)


@pytest.mark.parametrize("bad", ["yesterday", "2026-02-30T00:00:00Z", "'; DROP TABLE usage_records; --"])
def test_bad_pinned_instant_is_a_clear_error(url, monkeypatch, bad):
    at = app_test(url, monkeypatch, user=ADMIN, page="pages/accrual.py", as_of=bad)
    assert not at.exception and "as_of" in at.error[0].value and not at.metric
    assert at.text[0].value.startswith("invalid instant")


@pytest.fixture
def many(tmp_path):
    """3,000 tenants, 4,000 deployments and 3,000 subscriptions, written with plain SQL (SQLite)."""
    engine = fresh_engine("sqlite", tmp_path, None)
    load_sql(engine, "many_tenants.sqlite.sql")
    return engine


def timed_run(at: AppTest) -> float:
    started = time.perf_counter()
    at.run()
    return time.perf_counter() - started


def test_pages_over_thousands_of_tenants_and_subscriptions(many, monkeypatch):
    """Correct figures and selections at a few thousand rows; the render times are printed, never asserted."""
    url = many.url.render_as_string(hide_password=False)
    instant = parse_instant("2026-05-21T12:00:00Z")
    started = time.perf_counter()
    at = app_test(url, monkeypatch, user=ADMIN, page="pages/accrual.py", as_of="2026-05-21T12:00:00Z")
    cold = time.perf_counter() - started
    accrual = analytics.live_accrual(many, instant)
    ranked = sorted(accrual.quotes, key=lambda q: (-q.subtotal_cents, q.subscription.tenant_id, q.subscription.id))
    table = at.dataframe(key="accrual-subs").value
    assert len(table) == len(accrual.quotes) == 3000
    assert list(table["subscription_id"]) == [q.subscription.id for q in ranked]
    assert list(table["subtotal"]) == [money.to_decimal(q.subtotal_cents) for q in ranked]
    assert sum(table["total"]) == money.to_decimal(accrual.total_cents)
    assert {m.label: m.value for m in at.metric}["Total"] == display(accrual.total_cents)
    at.session_state["accrual-subs"] = {"selection": {"rows": [1234], "columns": []}}
    select = timed_run(at)
    lines = at.dataframe[2].value  # after the estimate's tenants and the subscriptions
    assert list(lines["amount"]) == [money.to_decimal(line.amount_cents) for line in ranked[1234].lines]
    print(f"\nLive accrual, 3,000 subscriptions (AppTest, SQLite): first render {cold:.2f} s, "
          f"select a row {select:.2f} s")

    started = time.perf_counter()
    at = app_test(url, monkeypatch, user=ADMIN, page="pages/tenants.py", period="2026-03")
    cold = time.perf_counter() - started
    summary = analytics.margin_summary(many, MARCH)
    frame = at.dataframe[0].value
    assert list(frame["tenant_id"]) == [t.tenant_id for t in summary.tenants] and len(frame) == 3000
    assert list(frame["margin"]) == [money.to_decimal(t.margin_cents) for t in summary.tenants]
    third = next(i for i, t in enumerate(summary.tenants) if int(t.tenant_id[1:]) % 3 == 0)  # two deployments
    at.session_state["tenants-table"] = {"selection": {"rows": [third], "columns": []}}
    select = timed_run(at)
    chosen = summary.tenants[third].tenant_id
    deployments = at.dataframe[1].value
    expected = [d for d in summary.deployments if d.tenant_id == chosen]
    assert sorted(deployments["deployment_id"]) == sorted(d.deployment_id for d in expected) and len(expected) == 2
    assert sum(at.dataframe[2].value["amount"]) == money.to_decimal(summary.tenants[third].cogs_cents)
    print(f"By tenant, 3,000 tenants and 4,000 deployments (AppTest, SQLite): first render {cold:.2f} s, "
          f"select a row {select:.2f} s")


def test_a_range_of_months_sums_the_pages_and_is_kept_in_the_url(url, small, monkeypatch):
    from arcadia.period import parse_range

    at = app_test(url, monkeypatch, user=ADMIN, period="2026-04")
    at.sidebar.toggle(key="range").set_value(True).run()
    at.sidebar.selectbox(key="range_preset").set_value("Custom").run()
    at.sidebar.selectbox(key="range_from").set_value("2026-03").run()
    summary = analytics.margin_summary(small, parse_range("2026-03", "2026-04"))
    assert at.title[0].value == "P&L · March–April 2026"
    assert {m.label: m.value for m in at.metric}["COGS"] == display(summary.overall.cogs_cents) == "$38.99"
    assert at.query_params["from"] == "2026-03" and at.query_params["to"] == "2026-04"
    linked = app_test(url, monkeypatch, user=ADMIN, page="pages/tenants.py", period="2026-04", **{"from": "2026-03",
                                                                                                     "to": "2026-04"})
    assert linked.title[0].value == "By tenant · March–April 2026"
    assert list(linked.dataframe[0].value["tenant_id"]) == [t.tenant_id for t in summary.tenants]
    kinds = app_test(url, monkeypatch, user=ADMIN, page="pages/by_kind.py", period="2026-04",
                     **{"from": "2026-03", "to": "2026-04"})
    assert [str(v) for v in kinds.dataframe[1].value["amount"]][-1] == "38.99"  # the total row of the range


@pytest.mark.parametrize("preset, first", [("Last 3 months", "2026-04"), ("Quarter to date", "2026-04"),
                                           ("Year to date", "2026-01"), ("Last 12 months", "2025-07")])
def test_range_presets_end_with_the_picked_month(preset, first):
    from dashboard.ui import preset_start

    assert str(preset_start(preset, Period.parse("2026-06")))[:7] == first


def test_the_tenants_table_has_the_change_and_the_monthly_margins(url, monkeypatch):
    at = app_test(url, monkeypatch, user=ADMIN, page="pages/tenants.py", period="2026-04")
    frame = at.dataframe[0].value
    acme = frame[frame["tenant_id"] == "acme"].iloc[0]
    assert str(acme["margin"]) == "-9.99" and str(acme["Δ margin"]) == "-15.49"  # April -9.99 against March 5.50
    assert str(acme["Δ %"]) == "-281.6"
    assert list(acme["12-month margin"])[-2:] == [6, -10]  # whole dollars, half-up


def chart_titles(at: AppTest) -> list[str]:
    return [json.loads(c.proto.spec)["layout"]["title"]["text"] for c in at.get("plotly_chart")]


def test_by_tenant_draws_only_the_open_tab_s_chart_and_the_url_holds_the_tab(url, monkeypatch):
    # The margin chart by default; the revenue-and-COGS chart when its tab is open (?chart=… in a link), and
    # then only that one: a page waits for each chart it draws.
    at = app_test(url, monkeypatch, user=ADMIN, page="pages/tenants.py", period="2026-03")
    assert [t.split(" (")[0] for t in chart_titles(at)] == ["Margin by tenant"]
    at = app_test(url, monkeypatch, user=ADMIN, page="pages/tenants.py", period="2026-03", chart="Revenue and COGS")
    titles = chart_titles(at)
    assert len(titles) == 1 and "Margin by tenant" not in titles[0] and "COGS" in titles[0]
    assert at.query_params["chart"] == "Revenue and COGS"


def test_a_click_on_a_bar_of_the_margin_chart_drills_into_that_tenant(url, monkeypatch):
    at = app_test(url, monkeypatch, user=ADMIN, page="pages/tenants.py", period="2026-03")
    fig = next(c for c in at.get("plotly_chart") if "Margin by tenant" in c.proto.spec)
    assert '"customdata"' in fig.proto.spec and '"acme"' in fig.proto.spec  # each bar carries its tenant id
    # What Streamlit stores for a click on acme's bar (a selection event with the bar's customdata).
    at.session_state["margins-chart"] = {"selection": {"points": [{"customdata": "acme", "point_index": 2}],
                                                       "point_indices": [2], "box": [], "lasso": []}}
    at.run()
    assert at.query_params["tenant"] == "acme"
    assert list(at.dataframe[1].value["deployment"]) == ["acme-studio"]  # the drill-down opened
