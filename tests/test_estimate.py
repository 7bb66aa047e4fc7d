"""The live COGS estimate and live margin (arcadia/estimate.py), on both backends, against hand-computed cents.

tests/fixtures/estimate.sql holds the case and its arithmetic: May 2026 as of 2026-05-11T00:00Z.
"""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
import sqlalchemy as sa
from starlette.testclient import TestClient

from arcadia import accuracy, analytics, api, billing, estimate, report
from arcadia.cli import main
from arcadia.db import connect, engine_for
from arcadia.money import fmt, half_up_div
from arcadia.period import Period, parse_instant
from tests.conftest import load_sql

MAY = Period.parse("2026-05")
AS_OF = parse_instant("2026-05-11T00:00:00Z")
OCTOBER = Period.parse("2026-10")


@pytest.fixture
def case(engine):
    load_sql(engine, "estimate.sql")
    return engine


def _url(engine: sa.Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


# Resources without a recent full month of cost lines, listed: (basis, estimated, projected cents, tenant).
UNRATED = {
    "worker": (estimate.PARTIAL_MONTH, 214, 642, "acme"),  # April (month 1): 321 × 240 h / 360 h alive in April
    "sprout": (estimate.PARTIAL_MONTH, 600, 1860, "beta"),  # March (month 2): 390 × 240 h / 156 h alive in March
    "fresh": (estimate.LIST_PRICE, 174, 987, "beta"),
    "mystery": (estimate.NO_RATE, 0, 0, "gamma"),
    "legacy": (estimate.NO_RATE, 0, 0, "beta"),
}
# Rated resources (priced in SQL, summed per tenant): tenant: (estimated, projected cents).
RATED = {
    "acme": (1000, 3000),  # web: April 3000 × 10/30; projected 3000 × 31/30, capped at 3000
    "beta": (163, 163),  # old-db: April 1500 × 78 h / 720 h = 162.5, half-up; deleted, so projected the same
    None: (1000, 2800),  # ci-runner: February 2800 × 240 h / 672 h; projected capped at 2800
}


@pytest.mark.parametrize("name", sorted(UNRATED))
def test_each_unrated_resource_by_hand(case, name):
    est = analytics.live_accrual(case, AS_OF).estimate
    r = {r.name: r for r in est.resources}[name]
    assert (r.basis, r.estimated_cents, r.projected_cents, r.tenant_id) == UNRATED[name]


@pytest.mark.parametrize("tenant_id", list(RATED))
def test_the_rated_resources_of_each_tenant_by_hand(case, tenant_id):
    est = analytics.live_accrual(case, AS_OF).estimate
    if tenant_id is None:
        estimated, projected = est.unattributed_estimated_cogs_cents, est.unattributed_projected_cogs_cents
    else:
        tenant = next(t for t in est.tenants if t.tenant_id == tenant_id)
        estimated, projected = tenant.estimated_cogs_cents, tenant.projected_cogs_cents
    listed = [r for r in est.resources if r.tenant_id == tenant_id]
    assert (estimated - sum(r.estimated_cents for r in listed),
            projected - sum(r.projected_cents for r in listed)) == RATED[tenant_id]


def test_only_resources_alive_in_the_window_are_estimated(case):
    est = analytics.live_accrual(case, AS_OF).estimate
    # web, old-db and ci-runner are rated by a full month (summed per tenant, not listed); vanished (last seen
    # before May, never deleted), retired (deleted in April) and later (first seen after as_of) are not alive: had
    # they been, their list prices would be listed here and in acme's sums
    assert sorted(r.name for r in est.resources) == sorted(UNRATED)
    assert [r.name for r in est.without_rate] == ["legacy", "mystery"]  # by tenant id, then name


def test_rates_say_what_they_are(case):
    by_name = {r.name: r for r in analytics.live_accrual(case, AS_OF).estimate.resources}
    assert by_name["worker"].rate == "April 2026 cost lines 3.21 over 360 h alive (of 720 h)"
    assert by_name["sprout"].rate == "March 2026 cost lines 3.90 over 156 h alive (of 744 h)"
    assert by_name["fresh"].rate == "attrs price_monthly 12" and by_name["mystery"].rate == ""


# A resource created within a look-back month, with no other lines: (first seen, the month of its line, the line
# in cents, expected (estimated, projected) cents in May 2026 as of 2026-05-11, or None: no rate), by hand:
# amount × min(ms alive in May so far, that month) ÷ ms alive in that month.
PARTIAL = [
    # April 30 d: alive 2026-04-21 → 240 h; 800 × 240/240 = 800; projected 800 × min(744, 720)/240 = 2400 (capped)
    ("2026-04-21 00:00:00", "2026-04-01", 800, (800, 2400)),
    # 180 h: 800 × 240/180 = 1066.67 -> 1067; projected 800 × 720/180 = 3200
    ("2026-04-23 12:00:00", "2026-04-01", 800, (1067, 3200)),
    # a credit prorates the same way: -100 × 240/180 = -133.33 -> -133; projected -400
    ("2026-04-23 12:00:00", "2026-04-01", -100, (-133, -400)),
    # March 31 d, alive from 2026-03-30 00:00 → 48 h: 100 × 240/48 = 500; projected 100 × 744/48 = 1550 (= cap)
    ("2026-03-30 00:00:00", "2026-03-01", 100, (500, 1550)),
    # February 28 d, alive from 2026-02-27 → 48 h: 10 × 240/48 = 50; projected 10 × min(744, 672)/48 = 140 (capped)
    ("2026-02-27 00:00:00", "2026-02-01", 10, (50, 140)),
    # lines in a month it was not alive in (seen only later by the inventory): no partial month -> no rate
    ("2026-04-01 00:00:00", "2026-03-01", 100, None),
]


@pytest.mark.parametrize("first_seen, period, amount, expected", PARTIAL)
def test_a_partial_month_rates_a_new_resource_by_hand(engine, first_seen, period, amount, expected):
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO cloud_resources (id, provider, provider_id, kind, name, region, status, tenant_id, attrs,"
            " first_seen_at, last_seen_at) VALUES ('a0000000-0000-4000-8000-0000000000f1', 'digitalocean', '9001',"
            f" 'droplet', 'probe', 'syd1', 'active', 'acme', '{{}}', '{first_seen}+00:00', '2026-05-10 23:00:00+00:00')")
        conn.exec_driver_sql(
            "INSERT INTO cloud_cost_lines (id, provider, provider_invoice_id, period, provider_resource_id, resource_id,"
            " kind, product, description, amount_cents, currency) VALUES ('c0000000-0000-4000-8000-0000000000f1',"
            f" 'digitalocean', 'do-probe', '{period}', '9001', 'a0000000-0000-4000-8000-0000000000f1', 'droplet',"
            f" 'Droplets', 'probe', {amount}, 'USD')")
    est = analytics.live_accrual(engine, AS_OF).estimate
    (probe,) = est.resources
    if expected is None:
        assert probe.basis == estimate.NO_RATE and est.estimated_cogs_cents == 0
        return
    assert probe.basis == estimate.PARTIAL_MONTH
    assert (probe.estimated_cents, probe.projected_cents) == expected
    assert (est.estimated_cogs_cents, est.projected_cogs_cents) == expected  # its tenant's sum, rounded once


def test_a_full_month_of_cost_lines_comes_before_a_partial_one(case):
    # sprout's March is partial and April (month 1), a full month for it, has no line: give April a line and
    # April rates it, on month 1's per-tenant path
    with case.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO cloud_cost_lines (id, provider, provider_invoice_id, period, provider_resource_id, resource_id,"
            " kind, product, description, amount_cents, currency) VALUES ('c0000000-0000-4000-8000-0000000000f2',"
            " 'digitalocean', 'do-2026-04', '2026-04-01', '2011', 'a0000000-0000-4000-8000-000000000011', 'volume',"
            " 'Volumes', 'sprout', 720, 'USD')")
    est = analytics.live_accrual(case, AS_OF).estimate
    assert "sprout" not in {r.name for r in est.resources}  # month 1's lines, summed per tenant
    beta = next(t for t in est.tenants if t.tenant_id == "beta")
    # 162.5 + 174.19 + 720 × 240/720 = 240 -> 576.69 -> 577; projected 162.5 + 987.10 + 720 = 1869.60 -> 1870
    assert (beta.estimated_cogs_cents, beta.projected_cogs_cents) == (577, 1870)


# tenant: (accrued revenue, estimated COGS, estimated margin, margin %, projected revenue, COGS, margin, margin %)
TENANTS = [
    ("acme", "Acme Corp", 1000, 1214, -214, Decimal("-21.4"), 3100, 3642, -542, Decimal("-17.5")),
    ("gamma", "gamma", 0, 0, 0, None, 0, 0, 0, None),
    ("beta", "Beta Ltd", 2000, 937, 1063, Decimal("53.2"), 6200, 3010, 3190, Decimal("51.5")),
]


def test_tenants_worst_estimated_margin_first_by_hand(case):
    est = analytics.live_accrual(case, AS_OF).estimate
    assert [(t.tenant_id, t.tenant_name, t.accrued_revenue_cents, t.estimated_cogs_cents, t.estimated_margin_cents,
             t.estimated_margin_pct, t.projected_revenue_cents, t.projected_cogs_cents, t.projected_margin_cents,
             t.projected_margin_pct) for t in est.tenants] == TENANTS


def test_overall_by_hand_and_the_identities(case):
    accrual = analytics.live_accrual(case, AS_OF)
    est = accrual.estimate
    assert (est.estimated_cogs_cents, est.unattributed_estimated_cogs_cents, est.estimated_margin_cents,
            est.estimated_margin_pct) == (3151, 1000, -151, Decimal("-5.0"))
    assert (est.projected_cogs_cents, est.unattributed_projected_cogs_cents, est.projected_margin_cents,
            est.projected_margin_pct) == (9452, 2800, -152, Decimal("-1.6"))
    # Σ tenants + unattributed = overall, so far and projected; revenue is the accrual's
    assert sum(t.estimated_cogs_cents for t in est.tenants) + est.unattributed_estimated_cogs_cents == est.estimated_cogs_cents
    assert sum(t.projected_cogs_cents for t in est.tenants) + est.unattributed_projected_cogs_cents == est.projected_cogs_cents
    assert sum(t.accrued_revenue_cents for t in est.tenants) == est.accrued_revenue_cents == accrual.subtotal_cents
    assert sum(t.projected_revenue_cents for t in est.tenants) == accrual.projected_subtotal_cents
    assert len(est.without_rate) == 2


def test_estimates_never_change_the_invoiced_or_accrued_figures(case):
    accrual = analytics.live_accrual(case, AS_OF)
    with connect(case) as conn:
        quotes = billing.quote_month(conn, MAY, AS_OF)
    assert (accrual.subtotal_cents, accrual.projected_subtotal_cents) == (3000, 9300)
    assert accrual.subtotal_cents == sum(q.subtotal_cents for q in quotes)
    doc = report.accrual_json(accrual)
    assert doc["totals"] == {"subtotal": "30.00", "tax": "3.00", "total": "33.00", "projected_subtotal": "93.00"}
    # The P&L of May holds May's own cost lines only (none here), never an estimate.
    assert analytics.margin_summary(case, MAY).overall.cogs_cents == 0


def test_at_the_months_end_the_estimate_is_the_projection(case):
    est = analytics.live_accrual(case, MAY.end_at).estimate
    assert est.period == MAY and all(r.estimated_cents == r.projected_cents for r in est.resources)
    assert all(t.estimated_cogs_cents == t.projected_cogs_cents for t in est.tenants)
    # 'later' (first seen 2026-05-20, list price 6.00 a month) is alive by then: 600 × 12 days / 31 = 232.26
    assert {r.name: r.estimated_cents for r in est.resources}["later"] == 232
    assert est.estimated_cogs_cents == est.projected_cogs_cents == 9452 + 232


def test_a_cost_line_in_another_currency_leaves_the_estimate_out_with_a_warning(case):
    with case.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO cloud_cost_lines (id, provider, provider_invoice_id, period, provider_resource_id, resource_id,"
            " kind, product, description, amount_cents, currency) VALUES ('c0000000-0000-4000-8000-0000000000ee',"
            " 'digitalocean', 'do-2026-04-eur', '2026-04-01', '2004', 'a0000000-0000-4000-8000-000000000004',"
            " 'database', 'Databases', 'old-db in EUR', 100, 'EUR')")
    accrual = analytics.live_accrual(case, AS_OF)
    assert accrual.estimate is None and accrual.subtotal_cents == 3000
    assert any("no live COGS estimate" in w and "EUR, USD" in w for w in accrual.warnings)
    assert "estimate" not in report.accrual_json(accrual)


MS_PER_HOUR = 3_600_000


@pytest.mark.parametrize("sums, expected", [
    ({720 * MS_PER_HOUR: [1500 * 78 * MS_PER_HOUR]}, 163),  # 162.5: half-up
    ({720 * MS_PER_HOUR: [-1500 * 78 * MS_PER_HOUR]}, -163),  # a credit: half-up away from zero
    ({720: [1], 3: [1]}, 0),  # 1/720 + 1/3 = 0.3347: exact until the end, then rounded once
    ({2: [1], 6: [1]}, 1),  # 0.5 + 0.1667: two halves would round to 1 each, the sum rounds to 1
    ({4: [1], 8: [2]}, 1),  # 0.25 + 0.25 = 0.5: per part 0 + 0, per tenant 1
    ({}, 0),
])
def test_a_tenants_exact_costs_are_rounded_once(sums, expected):
    assert estimate._rounded({d: [n, 0] for d, (n,) in sums.items()}, 0) == expected


HOUR = 3_600_000  # milliseconds
MAY_MS = MAY.seconds * 1000


@pytest.mark.parametrize("attrs, alive_ms, expected_cents", [
    ('{"price_hourly": 0.00893, "price_monthly": 6.0}', 240 * HOUR, 214),
    ('{"price_hourly": 0.00893, "price_monthly": 6.0}', 744 * HOUR, 600),  # capped at the monthly price
    ('{"price_hourly": 0.00893}', 744 * HOUR, 664),  # no cap without a monthly price
    ('{"price_monthly": 12}', 108 * HOUR, 174),  # prorated by this month's seconds
    ('{"price_monthly_cents": 1200}', 108 * HOUR, 174),
    ('{"price_monthly": "12.00"}', MAY_MS, 1200),  # numeric text is a number
    ('{"price_monthly": 6, "price_hourly": null}', MAY_MS, 600),  # a null price is no price
    ('{"price_hourly": 0.00893, "price_monthly": 6.0}', 0, 0),  # not alive yet
    ('{"price_hourly": 0.1, "price_monthly": 1e400}', HOUR, 10),  # exact decimals, never float
])
def test_list_prices(attrs, alive_ms, expected_cents):
    assert half_up_div(*estimate._list_price(attrs, MAY_MS).exact(alive_ms)) == expected_cents


@pytest.mark.parametrize("attrs", ['{}', '{"price_hourly": true}', '{"price_monthly": -3}', '{"price_hourly": null}',
                                   '{"price_monthly": "six"}', '[1, 2]', 'not json', '{"price_hourly": NaN}', None])
def test_what_is_not_a_list_price(attrs):
    assert estimate._list_price(attrs, MAY_MS) is None


MAY_LINE = ("INSERT INTO cloud_cost_lines (id, provider, provider_invoice_id, period, provider_resource_id, resource_id, "
            "kind, product, description, quantity, unit, amount_cents, currency) VALUES ('c0000000-0000-4000-8000-"
            "000000000012', 'digitalocean', 'do-2026-05', '2026-05-01', '2001', 'a0000000-0000-4000-8000-000000000001', "
            "'droplet', 'Droplets', 'web', 672, 'hour', 4242, 'USD')")


def test_versus_actual_on_the_case(case):
    with case.begin() as conn:  # May's invoice: one line of 4242 on web
        conn.exec_driver_sql(MAY_LINE)
    accrual = analytics.live_accrual(case, AS_OF, known_cost=False)  # the model alone, against the invoice
    rows, unattributed, total = estimate.versus_actual(accrual.estimate, analytics.margin_summary(case, MAY))
    assert [(v.tenant_id, v.estimated_cents, v.actual_cents, v.difference_cents) for v in rows] == [
        ("acme", 1214, 4242, -3028), ("beta", 937, 0, 937)]  # gamma: neither estimated nor actual COGS
    assert (unattributed.estimated_cents, unattributed.actual_cents) == (1000, 0)
    assert (total.estimated_cents, total.actual_cents, total.difference_pct) == (3151, 4242, Decimal("-25.7"))


# --- the demo: October 2026 estimated as of its end, against October's imported invoice ----------------------

def test_demo_october_estimate_against_its_actual_cogs(demo_sqlite_url):
    """How good the estimate is, on a month whose provider invoice is known (the demo's October).

    The demo bills a resource its list price for a full month, and monthly × hours / 672 for a partial one (capped
    at 672 hours), and keeps prices constant: a resource with a full month in July–September is estimated to the
    cent, unless it was created or deleted within October (prorated by seconds of the month here, by hours of 672
    there). A resource created in September (Granite Bank, Saltmarsh Studio) is rated by its partial September:
    monthly ÷ 672 an hour, capped at September's full-month equivalent (720 hours' worth), so a resource alive all
    October is estimated at monthly × 720/672: at most 7.1 % high (720/672 − 1), never low. So the estimate misses
    exactly (1) the resources with no cost lines in the look-back (tenants onboarded in October: "no rate",
    listed), (2) the cost lines that match no resource (bandwidth), (3) the partial-month resources' 720/672, and
    (4) the proration of resources deleted or created within October. The test checks that decomposition to within
    1 % of October's actual COGS, every tenant whose resources are all rated by a full month to within 5 % of its
    actual COGS, and every tenant rated by partial months at or above its actual by at most 48/672.
    Before partial months were used (rates from full months only), the estimate was 1082.50 against 1659.26
    (-34.8 %): Granite Bank and Saltmarsh Studio had no rate as well.
    """
    engine = engine_for(demo_sqlite_url)
    with connect(engine) as conn:  # October is invoiced: the model alone, as of its end
        est = accuracy.model_estimate(conn, OCTOBER, parse_instant("2026-11-01T00:00:00Z"))
    actual = analytics.margin_summary(engine, OCTOBER)
    assert est.period == OCTOBER and est.estimated_cogs_cents == est.projected_cogs_cents
    rows, unattributed, total = estimate.versus_actual(est, actual)
    partial = [r for r in est.resources if r.basis == estimate.PARTIAL_MONTH]
    print(f"\nOctober 2026: estimated COGS as of 2026-11-01 vs the actual (demo); {len(partial)} resources alive in "
          f"it are rated by a partial month, {len(est.without_rate)} have no rate")
    print(f"{'tenant':24} {'estimated':>10} {'actual':>10} {'difference':>11} {'%':>7}")
    for v in (*rows, unattributed, total):
        print(f"{v.tenant_name[:24]:24} {fmt(v.estimated_cents):>10} {fmt(v.actual_cents):>10} "
              f"{fmt(v.difference_cents):>11} {'' if v.difference_pct is None else v.difference_pct:>7}")

    no_rate = {r.resource_id for r in est.without_rate}
    with engine.connect() as conn:
        lines = conn.execute(sa.text("SELECT resource_id, amount_cents FROM cloud_cost_lines WHERE period = :p"),
                             {"p": "2026-10-01"}).all()
        first_seen = dict(conn.execute(sa.text("SELECT id, first_seen_at FROM cloud_resources")).all())
    october = {}
    for rid, amount in lines:
        october[rid] = october.get(rid, 0) + amount
    missed_no_rate = sum(october.get(rid, 0) for rid in no_rate)
    unmatched = october.get(None, 0)
    partial_over = sum(r.estimated_cents - october.get(r.resource_id, 0) for r in partial)
    residual = total.actual_cents - total.estimated_cents - missed_no_rate - unmatched + partial_over
    print(f"missed: no-rate resources {fmt(missed_no_rate)}, unmatched lines {fmt(unmatched)}; partial-month "
          f"resources over by {fmt(partial_over)}; proration {fmt(residual)}")
    assert partial and missed_no_rate > 0 and unmatched > 0 and partial_over >= 0
    # the resources still without a rate were all created within October: no look-back month has their lines
    assert all(str(first_seen[rid]) >= "2026-10-01" for rid in no_rate)
    assert abs(residual) * 100 <= total.actual_cents  # within 1 % once the listed misses are accounted for
    assert abs(total.difference_cents) * 5 <= total.actual_cents  # -19.9 % (was -34.8 %)

    without_rate_tenants = {r.tenant_id for r in est.without_rate}
    partial_tenants = {r.tenant_id for r in partial} - without_rate_tenants
    full_tenants = {t.tenant_id for t in est.tenants} - without_rate_tenants - partial_tenants
    checked = [v for v in rows if v.tenant_id in full_tenants and v.actual_cents]
    assert len(checked) >= 10
    for v in checked:
        assert abs(v.difference_cents) * 20 <= v.actual_cents, v  # within 5 %
    over = [v for v in rows if v.tenant_id in partial_tenants]
    assert len(over) == 2
    for v in over:
        assert 0 <= v.difference_cents and v.difference_cents * 672 <= v.actual_cents * 48, v  # 720/672 at most


# --- the surfaces: JSON (report, API, CLI), OpenAPI, CSV, page ---------------------------------------------

OVERALL_KEYS = ["estimated_cogs", "estimated_margin", "estimated_margin_pct", "projected_cogs", "projected_margin",
                "projected_margin_pct"]
TENANT_KEYS = ["tenant_id", "tenant_name", "accrued_revenue", "estimated_cogs", "estimated_margin",
               "estimated_margin_pct", "projected_revenue", "projected_cogs", "projected_margin", "projected_margin_pct"]


def test_the_estimate_json_by_hand(case):
    doc = report.accrual_json(analytics.live_accrual(case, AS_OF))
    assert list(doc) == ["as_of", "period", "currency", "totals", "subscriptions", "estimate", "metered_through",
                                    "as_of_basis"]
    est = doc["estimate"]
    assert list(est) == ["cogs_method", "resources_without_rate", "overall", "unattributed", "tenants"]
    assert est["unattributed"] == {"estimated_cogs": "10.00", "projected_cogs": "28.00"}  # no May lines: no actual
    assert est["resources_without_rate"] == 2 and isinstance(est["cogs_method"], str)
    assert est["overall"] == {"estimated_cogs": "31.51", "estimated_margin": "-1.51", "estimated_margin_pct": -5.0,
                              "projected_cogs": "94.52", "projected_margin": "-1.52", "projected_margin_pct": -1.6}
    assert [list(t) for t in est["tenants"]] == [TENANT_KEYS] * 3
    assert est["tenants"][0] == {
        "tenant_id": "acme", "tenant_name": "Acme Corp", "accrued_revenue": "10.00", "estimated_cogs": "12.14",
        "estimated_margin": "-2.14", "estimated_margin_pct": -21.4, "projected_revenue": "31.00",
        "projected_cogs": "36.42", "projected_margin": "-5.42", "projected_margin_pct": -17.5}
    assert est["tenants"][1]["estimated_margin_pct"] is None  # gamma: no revenue


def test_api_and_cli_carry_the_estimate(case, capsys):
    from tests.test_api import ENV, admin

    url = _url(case)
    response = TestClient(api.create_api(url, ENV)).get("/api/v1/dashboard/accrual", params={"as_of": "2026-05-11T00:00:00Z"},
                                                       headers={"Authorization": admin()})
    assert response.status_code == 200, response.text
    code = main(["--database-url", url, "accrual", "--as-of", "2026-05-11T00:00:00Z", "--json"])
    cli = json.loads(capsys.readouterr().out)
    assert code == 0 and response.json() == cli
    assert list(cli["estimate"]["overall"]) == OVERALL_KEYS and cli["estimate"]["overall"]["estimated_cogs"] == "31.51"
    assert cli["totals"]["subtotal"] == "30.00"
    # The plain text names the estimate as one, with the figures of the JSON
    assert main(["--database-url", url, "accrual", "--as-of", "2026-05-11T00:00:00Z"]) == 0
    text = capsys.readouterr().out
    assert "  estimate: COGS so far $31.51, margin -$1.51 (-5.0%);" in text
    assert "; 2 resources without a rate" in text


def test_the_estimate_matches_the_openapi_schema(case):
    jsonschema = pytest.importorskip("jsonschema")
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    from arcadia.openapi import openapi_document

    registry = Registry().with_resource("urn:arcadia-api", Resource(openapi_document(), DRAFT202012))
    validator = jsonschema.Draft202012Validator({"$ref": "urn:arcadia-api#/components/schemas/Accrual"},
                                                registry=registry)
    doc = report.accrual_json(analytics.live_accrual(case, AS_OF))
    validator.validate(doc)
    doc["estimate"]["overall"]["guess"] = "1.00"  # the schema is closed: a key outside the contract fails
    with pytest.raises(jsonschema.ValidationError):
        validator.validate(doc)


def test_the_per_resource_csv(case):
    accrual = analytics.live_accrual(case, AS_OF)
    text = report.to_csv(report.accrual_table(accrual, "estimate"), "estimate")
    lines = text.splitlines()
    assert lines[0] == "as_of,resource_id,provider_id,name,kind,tenant_id,basis,rate,estimated,projected"
    assert len(lines) == 1 + len(UNRATED)  # the resources without a recent full month of cost lines
    assert ("2026-05-11T00:00:00Z,a0000000-0000-4000-8000-000000000002,2002,worker,droplet,acme,partial month,"
            "April 2026 cost lines 3.21 over 360 h alive (of 720 h),2.14,6.42") in text
    assert ("2026-05-11T00:00:00Z,a0000000-0000-4000-8000-000000000003,2003,fresh,droplet,beta,list price,"
            "attrs price_monthly 12,1.74,9.87") in text


def _table(at, column: str):
    """The page's table with `column` (a read-only table has no key to find it by)."""
    return next(frame.value for frame in at.dataframe if column in frame.value.columns)


def test_the_page_shows_the_estimate_and_its_check_against_the_actual(case, monkeypatch):
    from tests.test_pages import ADMIN, app_test

    at = app_test(_url(case), monkeypatch, user=ADMIN, page="pages/accrual.py", as_of="2026-05-11T00:00:00Z")
    assert not at.exception and not at.error
    assert any(s.value == "Estimated COGS and margin (estimate)" for s in at.subheader)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Estimated COGS to now"] == "$31.51" and metrics["Estimated margin so far"] == "-$1.51"
    assert metrics["Actual cost so far"] == "$0.00"  # May has no cost line of its own
    assert metrics["Estimated margin % so far"] == "-5.0 %" and metrics["Projected month-end COGS"] == "$94.52"
    assert metrics["Projected month-end margin"] == "-$1.52" and metrics["Projected month-end margin %"] == "-1.6 %"
    assert metrics["Accrued subtotal (ex-GST)"] == "$30.00"  # the accrual's own cards are unchanged
    tenants = _table(at, "estimated margin")
    assert list(tenants["tenant_id"]) == ["acme", "gamma", "beta", ""]  # then the unattributed row
    assert [str(v) for v in tenants["estimated margin"]] == ["-2.14", "0.00", "10.63", "-10.00"]
    assert sum(tenants["estimated COGS"]) == Decimal("31.51")  # the rows add up to the card
    assert list(tenants["resources without rate"]) == [0, 1, 1, 0]  # gamma's mystery, beta's legacy
    assert [list(flag)[:1] for flag in tenants["flag"]] == [["loss"], ["no rate"], ["no rate"], ["loss"]]
    assert list(_table(at, "provider_id")["resource"]) == ["legacy", "mystery"]  # without a rate
    # The page's caption counts every listed resource with a rate as 'priced from their list price', so today it
    # counts the partial-month ones (worker, sprout) there too (3, not 1): pages/accrual.py has to count by basis
    caption = next(c.value for c in at.caption if c.value.startswith("Resources alive this month: "))
    assert "2 without a rate" in caption
    # The table's tab is open: the chart is not drawn until its tab is (?estimate=Margin chart in a link)
    assert not any("Estimated margin by tenant" in c.proto.spec for c in at.get("plotly_chart"))
    charted = app_test(_url(case), monkeypatch, user=ADMIN, page="pages/accrual.py", as_of="2026-05-11T00:00:00Z",
                       estimate="Margin chart")
    chart = next(c for c in charted.get("plotly_chart") if "Estimated margin by tenant" in c.proto.spec)
    assert "Estimated COGS: $12.14" in chart.proto.spec
    assert not any("flag" in frame.value.columns for frame in charted.dataframe)  # and the table is not drawn
    # May is in progress: no final invoice to compare the estimate with
    assert not any("difference" in frame.value.columns for frame in at.dataframe)
    assert not any(s.value == "Estimate vs actual" for s in at.subheader)


# --- actual cost so far: May's own lines (a daily preview running to 2026-05-06) and the modelled rest -----------

PREVIEW_LINES = [
    # web (acme): 15.00 billed up to 2026-05-06; a line matching no resource: 2.00, unattributed
    "INSERT INTO cloud_cost_lines (id, provider, provider_invoice_id, period, provider_resource_id, resource_id, kind, "
    "product, description, quantity, unit, start_at, end_at, amount_cents, currency) VALUES ('c1000000-0000-4000-8000-"
    "000000000001', 'digitalocean', 'preview-2026-05', '2026-05-01', '2001', 'a0000000-0000-4000-8000-000000000001', "
    "'droplet', 'Droplets', 'web', 120, 'hour', '2026-05-01 00:00:00+00:00', '2026-05-06 00:00:00+00:00', 1500, 'USD')",
    "INSERT INTO cloud_cost_lines (id, provider, provider_invoice_id, period, provider_resource_id, resource_id, kind, "
    "product, description, quantity, unit, start_at, end_at, amount_cents, currency) VALUES ('c1000000-0000-4000-8000-"
    "000000000002', 'digitalocean', 'preview-2026-05', '2026-05-01', NULL, NULL, 'bandwidth', 'Bandwidth', 'overage', "
    "NULL, NULL, '2026-05-01 00:00:00+00:00', '2026-05-06 00:00:00+00:00', 200, 'USD')",
]


def test_actual_cost_so_far_and_the_modelled_rest_by_hand(case):
    """Known cost is never modelled again: from 2026-05-06 (where the preview's lines stop) to as_of and to the end.

    acme: actual 1500 + web 3000 × 5 d / 30 d = 500 + worker 321 × 120 h / 360 h = 107 → 2107; projected
    1500 + 3000 × 26/30 = 2600 + 321 × 624/360 = 556.4 → 4656.4 → 4656.
    beta: old-db deleted 2026-05-04 (before the lines stop): 0; fresh (first seen 2026-05-06T12:00, after) as
    before 174.19 / 987.10; sprout 390 × 120/156 = 300 / 390 × 624/156 = 1560 → 474.19 → 474 / 2547.10 → 2547.
    unattributed: actual 200 + ci-runner 2800 × 120/672 = 500 → 700; projected 200 + 2800 × 624/672 = 2600 → 2800.
    """
    with case.begin() as conn:
        for statement in PREVIEW_LINES:
            conn.exec_driver_sql(statement)
    est = analytics.live_accrual(case, AS_OF).estimate
    by_tenant = {t.tenant_id: (t.actual_cogs_cents, t.estimated_cogs_cents, t.projected_cogs_cents) for t in est.tenants}
    assert by_tenant["acme"] == (1500, 2107, 4656)
    assert by_tenant["beta"] == (0, 474, 2547)
    assert (est.unattributed_actual_cogs_cents, est.unattributed_estimated_cogs_cents,
            est.unattributed_projected_cogs_cents) == (200, 700, 2800)
    assert est.actual.through == parse_instant("2026-05-06T00:00:00Z") and est.actual_cogs_cents == 1700
    assert "old-db" not in {r.name for r in est.resources}  # its time is all in the lines
    # Tenants + unattributed = the overall figures; the actual is May's P&L COGS
    assert sum(t.estimated_cogs_cents for t in est.tenants) + est.unattributed_estimated_cogs_cents == 2107 + 474 + 700
    assert est.estimated_cogs_cents == 3281 and est.projected_cogs_cents == 4656 + 2547 + 2800
    assert est.actual_cogs_cents == analytics.margin_summary(case, MAY).overall.cogs_cents
    doc = report.accrual_json(analytics.live_accrual(case, AS_OF))["estimate"]
    assert doc["actual_through"] == "2026-05-06T00:00:00Z" and doc["overall"]["actual_cogs"] == "17.00"
    assert doc["unattributed"] == {"actual_cogs": "2.00", "estimated_cogs": "7.00", "projected_cogs": "28.00"}
    assert {t["tenant_id"]: t["actual_cogs"] for t in doc["tenants"]} == {"acme": "15.00", "beta": "0.00",
                                                                           "gamma": "0.00"}
    # At the month's end with the lines covering all of it, nothing is modelled twice: a final invoice is the COGS.


def test_known_cost_is_never_counted_twice(case):
    """With lines covering the whole month (a final invoice), the estimate is exactly the month's COGS."""
    with case.begin() as conn:
        for statement in PREVIEW_LINES:
            conn.exec_driver_sql(statement.replace("2026-05-06 00:00:00+00:00", "2026-06-01 00:00:00+00:00"))
    est = analytics.live_accrual(case, AS_OF).estimate
    assert est.estimated_cogs_cents == est.projected_cogs_cents == 1700 == est.actual_cogs_cents
    assert est.resources == ()


def test_a_month_of_lines_that_stop_early_is_a_partial_month_rate(case):
    """web's only lines are April's, and run to 2026-04-05 (a preview, no final invoice): 500 over 4 days is its
    rate, not 500 a month (it was alive all April: before, the lines' end was not looked at)."""
    with case.begin() as conn:
        conn.exec_driver_sql("DELETE FROM cloud_cost_lines WHERE resource_id = 'a0000000-0000-4000-8000-000000000001'")
        conn.exec_driver_sql(
            "INSERT INTO cloud_cost_lines (id, provider, provider_invoice_id, period, provider_resource_id, resource_id, "
            "kind, product, description, amount_cents, currency, start_at, end_at) VALUES ('c2000000-0000-4000-8000-"
            "000000000001', 'digitalocean', 'preview-2026-04', '2026-04-01', '2001', "
            "'a0000000-0000-4000-8000-000000000001', 'droplet', 'Droplets', 'web', 500, 'USD', "
            "'2026-04-01 00:00:00+00:00', '2026-04-05 00:00:00+00:00')")
    est = analytics.live_accrual(case, AS_OF).estimate
    web = {r.name: r for r in est.resources}["web"]
    # 500 × 10 d / 4 d = 1250 so far; to the end 500 × min(31 d, 30 d) / 4 d = 3750 (April's full-month equivalent)
    assert (web.basis, web.estimated_cents, web.projected_cents) == (estimate.PARTIAL_MONTH, 1250, 3750)


def test_a_preview_whose_items_say_they_end_with_the_month_runs_to_when_it_was_written(case):
    """Items ending 2026-06-01, written 2026-05-06: the actual cost runs to the writing, the rest is modelled."""
    with case.begin() as conn:
        for statement in PREVIEW_LINES:
            conn.exec_driver_sql(statement.replace("2026-05-06 00:00:00+00:00", "2026-06-01 00:00:00+00:00")
                                 .replace("currency) VALUES", "currency, inserted_at) VALUES")
                                 .replace("'USD')", "'USD', '2026-05-06 00:00:00+00:00')"))
    est = analytics.live_accrual(case, AS_OF).estimate
    assert est.actual.through == parse_instant("2026-05-06T00:00:00Z")
    # the same figures as lines that say they end on 2026-05-06 (test_actual_cost_so_far_and_the_modelled_rest_by_hand)
    assert {t.tenant_id: t.projected_cogs_cents for t in est.tenants}["acme"] == 4656


def test_a_resource_only_this_months_lines_rate_is_rated_by_them(case):
    """legacy has no earlier month and no list price: May's preview line (1.00 over May 1-6) rates the rest.

    legacy: 100 × 5 d / 5 d = 100 to as_of, 100 × 26 d / 5 d = 520 to the end (listed: the modelled part);
    beta: actual 100 + legacy 100 + fresh 174.19 + sprout 390 × 120/156 = 300 → 674.19 → 674;
    projected 100 + 520 + 987.10 + 1560 = 3167.10 → 3167 (old-db, deleted 2026-05-04, is all in the lines' time).
    """
    with case.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO cloud_cost_lines (id, provider, provider_invoice_id, period, provider_resource_id, resource_id, "
            "kind, product, description, amount_cents, currency, start_at, end_at) VALUES ('c3000000-0000-4000-8000-"
            "000000000001', 'digitalocean', 'preview-2026-05', '2026-05-01', '2007', "
            "'a0000000-0000-4000-8000-000000000007', 'droplet', 'Droplets', 'legacy', 100, 'USD', "
            "'2026-05-01 00:00:00+00:00', '2026-05-06 00:00:00+00:00')")
    est = analytics.live_accrual(case, AS_OF).estimate
    legacy = {r.name: r for r in est.resources}["legacy"]
    assert (legacy.basis, legacy.estimated_cents, legacy.projected_cents) == (estimate.PARTIAL_MONTH, 100, 520)
    assert legacy.rate.startswith("May 2026 cost lines 1.00 over 120 h")
    beta = {t.tenant_id: t for t in est.tenants}["beta"]
    assert (beta.actual_cogs_cents, beta.estimated_cogs_cents, beta.projected_cogs_cents) == (100, 674, 3167)
