"""`?tenant=ID` on /margin and /accrual, `?lines=false` on /accrual, and the CLI's --tenant / --no-lines.

Identity tests on the hand-checked fixture (SQLite and PostgreSQL) and the demo: one tenant's document is
exactly that tenant's part of the whole one, to the cent; the tenants' documents add up to the whole;
lines=false is the whole document without lines. Then bad values (400 / exit 2, naming the value), an
unknown tenant (the empty document with a warning), and access (platform admins only, whatever the tenant).
"""

from __future__ import annotations

import json
import time
from decimal import Decimal

import jwt
import orjson
import pytest
from starlette.testclient import TestClient

from arcadia import analytics, api, jsondoc, report
from arcadia.cli import main
from arcadia.period import Period, parse_instant
from arcadia.demo import build_demo
from tests.conftest import DEMO_NOW, fresh_engine, load_sql

SECRET = "test-secret-for-the-arcadia-api-0123456789"
ENV = {"ARCADIA_API_JWT_SECRET": SECRET}
MARGIN = "/api/v1/dashboard/margin"
ACCRUAL = "/api/v1/dashboard/accrual"


def token(**claims) -> dict:
    # Made when the module is collected, used up to the end of the whole suite (25 minutes or more): a day.
    now = int(time.time())
    payload = {"sub": "someone", "iat": now, "exp": now + 86_400, **claims}
    return {"Authorization": "Bearer " + jwt.encode(payload, SECRET, algorithm="HS256")}


ADMIN = token(role="platform_admin")


def cents(money: str) -> int:
    return int(Decimal(money) * 100)


def get(client, path: str, **params) -> dict:
    response = client.get(path, params=params, headers=ADMIN)
    assert response.status_code == 200, response.text
    return response.json()


# (data, month of the P&L, the accrual's instant): the fixture's March and mid-May (not invoiced), and the
# demo's October and its month in progress (with a daily preview: actual cost so far); each on both databases.
DATA = {"fixture": ("2026-03", "2026-05-21T12:00:00Z"), "demo": ("2026-10", DEMO_NOW)}
CASES = [f"{data}-{backend}" for data in DATA for backend in ("sqlite", "postgresql")]


@pytest.fixture(params=CASES)
def case(request, tmp_path):
    """(API client, month, as-of) on the fixture or the demo, on SQLite or PostgreSQL."""
    data, backend = request.param.split("-")
    engine = fresh_engine(backend, tmp_path, request)
    url = engine.url.render_as_string(hide_password=False)
    if data == "fixture":
        load_sql(engine, "small.sql")
    else:
        build_demo(url, DEMO_NOW)
    return (TestClient(api.create_api(url, ENV)), *DATA[data])


def test_one_tenants_margin_is_its_part_of_the_whole(case):
    client, month, _ = case
    whole = get(client, MARGIN, period=month)
    tenants = {t["tenant_id"] for t in whole["tenants"]} | {d["tenant_id"] for d in whole["deployments"]}
    assert len(tenants) >= 2
    revenue = cogs = 0
    for tenant in sorted(tenants - {None}):
        part = get(client, MARGIN, period=month, tenant=tenant)
        rows = [t for t in whole["tenants"] if t["tenant_id"] == tenant]
        assert part["tenant"] == tenant
        assert part["tenants"] == rows
        assert part["deployments"] == [d for d in whole["deployments"] if d["tenant_id"] == tenant]
        row = rows[0] if rows else {"revenue": "0.00", "cogs": "0.00", "margin": "0.00", "margin_pct": None}
        assert part["overall"] == {"revenue": row["revenue"], "cogs": row["cogs"], "attributed_cogs": row["cogs"],
                                   "unattributed_cogs": "0.00", "margin": row["margin"],
                                   "margin_pct": row["margin_pct"]}
        assert {k: v for k, v in part.items() if k not in ("tenant", "overall", "tenants", "deployments")} == \
            {k: v for k, v in whole.items() if k not in ("overall", "tenants", "deployments")}
        revenue, cogs = revenue + cents(part["overall"]["revenue"]), cogs + cents(part["overall"]["cogs"])
    # Every tenant's own figures + the unattributed COGS = the whole month, to the cent.
    assert revenue == cents(whole["overall"]["revenue"])
    assert cogs + cents(whole["overall"]["unattributed_cogs"]) == cents(whole["overall"]["cogs"])


def test_one_tenants_accrual_is_its_part_of_the_whole(case):
    client, _, as_of = case
    whole = get(client, ACCRUAL, as_of=as_of)
    estimate = whole["estimate"]
    tenants = {s["tenant_id"] for s in whole["subscriptions"]} | {t["tenant_id"] for t in estimate["tenants"]}
    assert len(tenants) >= 2
    sums = {key: 0 for key in whole["totals"]}
    estimated = {key: 0 for key in estimate["overall"] if not key.endswith("pct")}
    for tenant in sorted(tenants):
        part = get(client, ACCRUAL, as_of=as_of, tenant=tenant)
        subscriptions = [s for s in whole["subscriptions"] if s["tenant_id"] == tenant]
        assert part["tenant"] == tenant and part["subscriptions"] == subscriptions
        assert part["totals"] == {key: report.fmt(sum(cents(s[key]) for s in subscriptions)) for key in sums}
        rows = [t for t in estimate["tenants"] if t["tenant_id"] == tenant]
        assert part["estimate"]["tenants"] == rows
        row = rows[0]
        assert part["estimate"]["overall"] == {key: row[key] for key in part["estimate"]["overall"]}
        assert set(cents(v) for v in part["estimate"]["unattributed"].values()) == {0}
        for key in ("as_of", "period", "currency", "metered_through", "as_of_basis"):
            assert part[key] == whole[key]
        for key in sums:
            sums[key] += cents(part["totals"][key])
        for key in estimated:
            estimated[key] += cents(part["estimate"]["overall"][key])
    assert sums == {key: cents(value) for key, value in whole["totals"].items()}
    # The tenants' estimates + the unattributed COGS = the whole estimate (its margins: revenue − all COGS).
    for key in estimated:
        unattributed = estimate["unattributed"].get(key.replace("margin", "cogs"), "0.00")
        sign = -1 if "margin" in key else 1
        assert estimated[key] + sign * cents(unattributed) == cents(estimate["overall"][key]), key


def test_lines_false_is_the_whole_accrual_without_lines(case):
    client, _, as_of = case
    whole = get(client, ACCRUAL, as_of=as_of)
    lean = get(client, ACCRUAL, as_of=as_of, lines="false")
    assert any(s["lines"] for s in whole["subscriptions"])
    for s in whole["subscriptions"]:
        del s["lines"]
    assert lean == whole
    assert get(client, ACCRUAL, as_of=as_of, lines="true") == get(client, ACCRUAL, as_of=as_of)
    tenant = lean["subscriptions"][0]["tenant_id"]
    both = get(client, ACCRUAL, as_of=as_of, tenant=tenant, lines="false")
    assert both["subscriptions"] == [s for s in lean["subscriptions"] if s["tenant_id"] == tenant]


def test_the_written_bytes_are_the_documents(demo_sqlite_url):
    """The API writes a document a chunk of rows at a time: the same JSON as the whole document at once."""
    from arcadia.embedded import get_engine

    engine = get_engine(demo_sqlite_url)
    accrual = analytics.live_accrual(engine, parse_instant(DEMO_NOW))
    summary = analytics.margin_summary(engine, Period.parse("2026-10"))
    for document, whole in [(report.accrual_document(accrual), report.accrual_json(accrual)),
                            (report.accrual_document(accrual, lines=False), report.accrual_json(accrual, False)),
                            (report.margin_document(summary), report.margin_json(summary))]:
        for chunk in (1, 2, 7, jsondoc.CHUNK_ROWS):
            jsondoc.CHUNK_ROWS, saved = chunk, jsondoc.CHUNK_ROWS
            try:
                assert jsondoc.dumps(document) == orjson.dumps(whole)
                pieces = list(jsondoc.stream(document, at_least=100))
                assert b"".join(pieces) == orjson.dumps(whole) and all(len(p) >= 100 for p in pieces[:-1])
            finally:
                jsondoc.CHUNK_ROWS = saved


def test_an_unknown_tenant_is_the_empty_document_with_a_warning_naming_it(demo_sqlite_url):
    client = TestClient(api.create_api(demo_sqlite_url, ENV))
    margin = get(client, MARGIN, period="2026-10", tenant="no-such-tenant")
    assert margin["tenants"] == [] and margin["deployments"] == []
    assert margin["overall"] == {"revenue": "0.00", "cogs": "0.00", "attributed_cogs": "0.00",
                                 "unattributed_cogs": "0.00", "margin": "0.00", "margin_pct": None}
    assert any("'no-such-tenant'" in w for w in margin["warnings"])
    accrual = get(client, ACCRUAL, as_of=DEMO_NOW, tenant="no-such-tenant")
    assert accrual["subscriptions"] == [] and accrual["estimate"]["tenants"] == []
    assert set(accrual["totals"].values()) == {"0.00"}
    assert any("'no-such-tenant'" in w for w in accrual["warnings"])


# (path, parameters, what the message names)
BAD = [
    (ACCRUAL, {"lines": "maybe"}, "lines 'maybe'"),
    (ACCRUAL, {"lines": "True"}, "lines 'True'"),
    (ACCRUAL, {"lines": "0"}, "lines '0'"),
    (ACCRUAL, {"lines": ""}, "lines ''"),
    (ACCRUAL, {"tenant": ""}, "tenant ''"),
    (ACCRUAL, {"tenant": "   "}, "tenant '   '"),
    (ACCRUAL, {"tenant": "x" * 201}, "tenant 'xxxxx"),
    (ACCRUAL, {"tenant": "acme\x1b[31m"}, "'tenant' contains control characters"),
    (MARGIN, {"period": "2026-10", "tenant": ""}, "tenant ''"),
    (MARGIN, {"period": "2026-10", "tenant": "y" * 5000}, "tenant 'yyyyy"),
    (MARGIN, {"from": "2026-09", "to": "2026-10", "tenant": " "}, "tenant ' '"),
]


@pytest.mark.parametrize("path, params, names", BAD, ids=lambda v: str(v)[:30])
def test_bad_tenant_or_lines_is_400_naming_the_value(demo_sqlite_url, path, params, names):
    client = TestClient(api.create_api(demo_sqlite_url, ENV))
    response = client.get(path, params=params, headers=ADMIN)
    assert response.status_code == 400, response.text
    assert set(response.json()) == {"error", "message"} and response.json()["error"] == "bad_request"
    assert names in response.json()["message"] and len(response.json()["message"]) < 200


@pytest.mark.parametrize("query", ["tenant=a&tenant=b", "lines=false&lines=true"])
def test_a_parameter_given_twice_is_400(demo_sqlite_url, query):
    client = TestClient(api.create_api(demo_sqlite_url, ENV))
    response = client.get(f"{ACCRUAL}?{query}", headers=ADMIN)
    assert response.status_code == 400 and "give it once" in response.json()["message"]


def test_bad_values_are_400_even_when_the_database_is_down():
    client = TestClient(api.create_api("postgresql+psycopg://postgres@127.0.0.1:5999/nope", ENV))
    assert client.get(ACCRUAL, params={"lines": "maybe"}, headers=ADMIN).status_code == 400
    assert client.get(ACCRUAL, params={"tenant": "acme"}, headers=ADMIN).status_code == 503


# Who may ask for one tenant's figures: platform admins only, as for the whole figures; a tenant's own token
# asking for its own tenant is refused the same.
ACCESS = {
    "no token": ({}, 401),
    "tenant user asking for its own tenant": (token(tenant_id="acme", role="tenant_admin"), 403),
    "tenant user with a roles list": (token(tenant_id="acme", roles=["tenant_admin"]), 403),
    "platform admin": (ADMIN, 200),
}


@pytest.mark.parametrize("case", ACCESS)
@pytest.mark.parametrize("path, params", [(MARGIN, {"period": "2026-10", "tenant": "acme"}),
                                          (ACCRUAL, {"as_of": DEMO_NOW, "tenant": "acme", "lines": "false"})])
def test_access_is_unchanged(demo_sqlite_url, path, params, case):
    headers, status = ACCESS[case]
    response = TestClient(api.create_api(demo_sqlite_url, ENV)).get(path, params=params, headers=headers)
    assert response.status_code == status, response.text
    if status != 200:
        assert set(response.json()) == {"error", "message"} and "subscriptions" not in response.text


# --- the CLI: the same documents ---------------------------------------------------------------------------

def run_cli(capsys, *args) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("cli, path, params", [
    (["margin", "--period", "2026-10", "--tenant", "{tenant}"], MARGIN, {"period": "2026-10"}),
    (["accrual", "--as-of", DEMO_NOW, "--tenant", "{tenant}"], ACCRUAL, {"as_of": DEMO_NOW}),
    (["accrual", "--as-of", DEMO_NOW, "--tenant", "{tenant}", "--no-lines"], ACCRUAL,
     {"as_of": DEMO_NOW, "lines": "false"}),
    (["accrual", "--as-of", DEMO_NOW, "--no-lines"], ACCRUAL, {"as_of": DEMO_NOW, "lines": "false"}),
])
def test_cli_json_equals_the_api(capsys, demo_sqlite_url, cli, path, params):
    client = TestClient(api.create_api(demo_sqlite_url, ENV))
    tenant = get(client, ACCRUAL, as_of=DEMO_NOW)["subscriptions"][0]["tenant_id"]
    args = [arg.format(tenant=tenant) for arg in cli]
    code, out, _ = run_cli(capsys, "--database-url", demo_sqlite_url, *args, "--json")
    assert code == 0
    assert json.loads(out) == get(client, path, **params, **({"tenant": tenant} if "--tenant" in cli else {}))


def test_cli_tenant_csv_and_table_are_the_tenants_rows(capsys, demo_sqlite_url):
    code, out, _ = run_cli(capsys, "--database-url", demo_sqlite_url, "margin", "--period", "2026-04",
                           "--tenant", "dashboard-pilot", "--csv", "--table", "deployments")
    assert code == 0 and out.splitlines()[1:] and all(",dashboard-pilot," in line for line in out.splitlines()[1:])
    code, out, _ = run_cli(capsys, "--database-url", demo_sqlite_url, "margin", "--period", "2026-04",
                           "--tenant", "dashboard-pilot")
    assert code == 0 and "tenant dashboard-pilot only" in out.splitlines()[0]


@pytest.mark.parametrize("args, says", [
    (["margin", "--period", "2026-10", "--tenant", ""], "invalid tenant ''"),
    (["accrual", "--tenant", " "], "invalid tenant ' '"),
    (["accrual", "--no-lines"], "--no-lines goes with --json"),
    (["accrual", "--no-lines", "--csv"], "--no-lines goes with --json"),
])
def test_cli_bad_values_exit_2_with_one_line(capsys, demo_sqlite_url, args, says):
    code, out, err = run_cli(capsys, "--database-url", demo_sqlite_url, *args)
    assert code == 2 and out == "" and says in err and len(err.strip().splitlines()) == 1
