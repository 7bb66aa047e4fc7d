"""AppTest smoke tests of every page: no exception, the analytics figures, access control."""

from __future__ import annotations

from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from arcadia import analytics, db
from arcadia.money import display
from arcadia.period import Period

APP = str(Path(__file__).resolve().parent.parent / "app.py")
PAGES = ["pages/pnl.py", "pages/tenants.py", "pages/by_kind.py", "pages/accrual.py", "pages/unattributed.py"]
AUTH = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "s" * 32, "client_id": "arcadia",
        "client_secret": "secret", "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration"}
ADMIN = {"is_logged_in": True, "email": "ops@arcadia.test", "roles": ["platform_admin"]}
TENANT_USER = {"is_logged_in": True, "email": "user@acme.test", "roles": ["tenant_admin"], "tenant_id": "platform-admin"}
MARCH = Period.parse("2026-03-01")


def app_test(url: str | None, monkeypatch, *, user=None, auth=True, page=None, **params) -> AppTest:
    st.cache_data.clear()
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


@pytest.mark.parametrize("bad", ["", "2026-13", "'; DROP TABLE tenants; --", "x" * 5000])
def test_bad_url_period_falls_back_to_the_latest_complete_month(url, monkeypatch, bad):
    at = app_test(url, monkeypatch, user=ADMIN, period=bad)
    assert not at.exception and at.sidebar.selectbox(key="period").value == "2026-06"  # latest complete month with data


def test_tenants_table_is_the_analytics_rows_worst_first(url, small, monkeypatch):
    at = app_test(url, monkeypatch, user=ADMIN, page="pages/tenants.py", period="2026-03")
    frame = at.dataframe[0].value
    s = analytics.margin_summary(small, MARCH)
    assert list(frame["tenant_id"]) == [t.tenant_id for t in s.tenants]
    assert [str(v) for v in frame["margin"]] == ["-3.00", "-2.00", "5.50"]
    assert list(frame["internal"]) == [True, False, False]


def test_tenant_drill_down_shows_deployments_and_cost_lines(url, monkeypatch):
    at = app_test(url, monkeypatch, user=ADMIN, page="pages/tenants.py", period="2026-03")
    at.selectbox(key="drill_tenant").set_value("acme").run()
    deployments, lines = at.dataframe[1].value, at.dataframe[2].value
    assert list(deployments["deployment"]) == ["acme-studio"]
    assert sorted(str(v) for v in lines["amount"]) == ["-0.50", "10.00", "5.00"]


def test_by_kind_tables(url, monkeypatch):
    at = app_test(url, monkeypatch, user=ADMIN, page="pages/by_kind.py", period="2026-03")
    revenue, cogs = at.dataframe[0].value, at.dataframe[1].value
    assert list(revenue["kind"]) == ["compute", "storage", "platform"]
    assert list(cogs["kind"]) == ["droplet", "bandwidth", "volume", "other"]
    assert [str(v) for v in cogs["amount"]] == ["27.00", "1.50", "1.00", "-0.50"]


def test_accrual_page_pinned_to_an_instant(url, monkeypatch):
    at = app_test(url, monkeypatch, user=ADMIN, page="pages/accrual.py", as_of="2026-05-21T12:00:00Z")
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Accrued subtotal (ex-GST)"] == "$26.31" and metrics["GST"] == "$2.63"
    assert metrics["Total"] == "$28.94" and metrics["Projected month-end subtotal"] == "$50.55"
    assert len(at.expander) == 2


def test_unattributed_page_lists_the_lines(url, monkeypatch):
    at = app_test(url, monkeypatch, user=ADMIN, page="pages/unattributed.py", period="2026-03")
    frame = at.dataframe[0].value
    assert sorted(frame["reason"]) == ["no matching resource", "resource has no tenant and no deployment"]
    assert at.metric[0].value == "$3.50"


def test_empty_month_explains_itself(url, monkeypatch):
    at = app_test(url, monkeypatch, user=ADMIN, period="2026-05")  # usage only: no invoice, no cost line
    assert not at.exception and any("No invoices or provider cost lines" in i.value for i in at.info)


@pytest.mark.parametrize("page", PAGES)
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
    at = app_test(url, monkeypatch, user={"is_logged_in": True, "email": "Boss@Arcadia.test"}, period="2026-03")
    assert at.title[0].value == "P&L · March 2026"


def test_no_auth_and_a_real_database_shows_nothing(url, monkeypatch):
    at = app_test(url, monkeypatch, auth=False, period="2026-03")
    assert "No login is configured" in at.error[0].value and not figures_shown(at)


def test_no_auth_on_the_demo_shows_the_demo_with_a_banner(demo_sqlite_url, monkeypatch):
    monkeypatch.setattr(db, "DEMO_URL", demo_sqlite_url)
    at = app_test(None, monkeypatch, auth=False, period="2026-04")
    assert "Demo data — no login" in at.info[0].value
    assert {m.label: m.value for m in at.metric}["Revenue"] == "$71.12"


def test_database_down_is_a_friendly_page(monkeypatch):
    at = app_test("postgresql+psycopg://postgres@127.0.0.1:5999/nowhere", monkeypatch, user=ADMIN)
    assert not at.exception
    assert "database is unreachable" in at.error[0].value and "127.0.0.1:5999" in at.error[0].value


@pytest.mark.parametrize("bad", ["yesterday", "2026-02-30T00:00:00Z", "'; DROP TABLE usage_records; --"])
def test_bad_pinned_instant_is_a_clear_error(url, monkeypatch, bad):
    at = app_test(url, monkeypatch, user=ADMIN, page="pages/accrual.py", as_of=bad)
    assert not at.exception and "invalid instant" in at.error[0].value and not at.metric
