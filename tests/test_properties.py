"""Hypothesis: the contract's identities hold on random datasets, on SQLite and PostgreSQL.

Each example writes a random dataset, then checks the analytics against an
independent Python computation of the same definitions.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import timedelta
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from arcadia import analytics, schema
from arcadia.billing import rollup
from arcadia.period import Period

MONTH = Period.parse("2026-06-01")
TENANTS = ["acme", "platform-admin", "skyai-internal", "3f2b6c1e-8d4a-4b7e-9c21-5a6f7e8d9c0b"]
SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


class _Ids:
    """Distinct uuids within one example (drawn ids could collide)."""

    def __init__(self):
        self.n = 0

    def __call__(self, _draw=None) -> str:
        self.n += 1
        return str(uuid.UUID(int=self.n, version=4))


@st.composite
def pnl_datasets(draw):
    _id = _Ids()
    deployments = [{"id": _id(draw), "tenant_id": draw(st.sampled_from(TENANTS)), "name": f"d{i}", "status": "active"}
                   for i in range(draw(st.integers(0, 3)))]
    resources = []
    for i in range(draw(st.integers(0, 6))):
        dep = draw(st.sampled_from([None] + deployments))
        resources.append({
            "id": _id(draw), "provider": "digitalocean", "provider_id": f"p{i}", "kind": "droplet", "name": f"r{i}",
            "status": "active", "tenant_id": draw(st.sampled_from([None] + TENANTS)),
            "deployment_id": dep["id"] if dep else None,
        })
    lines = []
    for i in range(draw(st.integers(0, 12))):
        res = draw(st.sampled_from([None] + resources))
        lines.append({
            "id": _id(draw), "provider": "digitalocean", "provider_invoice_id": "inv",
            "period": draw(st.sampled_from([MONTH.start, MONTH.previous().start, MONTH.next().start])),
            "resource_id": res["id"] if res else None, "kind": draw(st.sampled_from(["droplet", "volume", "other"])),
            "product": "x", "description": f"line {i}", "amount_cents": draw(st.integers(-5_000, 100_000)),
            "currency": "USD",
        })
    invoices, invoice_lines = [], []
    for tenant in draw(st.lists(st.sampled_from(TENANTS), unique=True, max_size=4)):
        for status in draw(st.lists(st.sampled_from(["issued", "void"]), min_size=1, max_size=2, unique=True)):
            inv_id = _id(draw)
            amounts = draw(st.lists(st.integers(0, 50_000), min_size=1, max_size=3))
            for amount in amounts:
                dep = draw(st.sampled_from([None] + deployments))
                invoice_lines.append({
                    "id": _id(draw), "invoice_id": inv_id, "deployment_id": dep["id"] if dep else None,
                    "billing_kind": draw(st.sampled_from(["compute", "storage"])), "description": "x",
                    "quantity": Decimal(1), "amount_cents": amount,
                })
            invoices.append({
                "id": inv_id, "tenant_id": tenant, "period": MONTH.start, "status": status, "currency": "USD",
                "subtotal_cents": sum(amounts), "tax_cents": 0, "total_cents": sum(amounts),
            })
    return {"cloud_deployments": deployments, "cloud_resources": resources, "cloud_cost_lines": lines,
            "tenant_invoices": invoices, "tenant_invoice_lines": invoice_lines}


def _write(engine, data):
    with engine.begin() as conn:
        for table in reversed(schema.metadata.sorted_tables):
            conn.execute(table.delete())
        for name in schema.metadata.tables:
            if data.get(name):
                conn.execute(schema.metadata.tables[name].insert(), data[name])


def _expected(data):
    deployments = {d["id"]: d for d in data["cloud_deployments"]}
    resources = {r["id"]: r for r in data["cloud_resources"]}
    cogs, dep_cogs, revenue = defaultdict(int), defaultdict(int), defaultdict(int)
    for line in data["cloud_cost_lines"]:
        if line["period"] != MONTH.start:
            continue
        res = resources.get(line["resource_id"])
        dep = deployments.get(res["deployment_id"]) if res and res["deployment_id"] else None
        cogs[(dep or {}).get("tenant_id") or (res or {}).get("tenant_id")] += line["amount_cents"]
        if dep:
            dep_cogs[dep["id"]] += line["amount_cents"]
    for inv in data["tenant_invoices"]:
        if inv["status"] != "void":
            revenue[inv["tenant_id"]] += inv["subtotal_cents"]
    return cogs, dep_cogs, revenue


@SETTINGS
@given(data=pnl_datasets())
def test_pnl_identities_on_random_data(engine, data):
    _write(engine, data)
    s = analytics.margin_summary(engine, MONTH)
    cogs, dep_cogs, revenue = _expected(data)
    assert s.unattributed_cogs_cents == cogs.get(None, 0)
    assert sum(t.cogs_cents for t in s.tenants) + s.unattributed_cogs_cents == s.overall.cogs_cents == sum(cogs.values())
    assert {t.tenant_id: t.cogs_cents for t in s.tenants} == {k: v for k, v in cogs.items() if k} | {
        t: cogs.get(t, 0) for t in revenue}
    assert {t.tenant_id: t.revenue_cents for t in s.tenants if t.revenue_cents or t.tenant_id in revenue} == dict(revenue)
    assert {d.deployment_id: d.cogs_cents for d in s.deployments if d.cogs_cents or d.deployment_id in dep_cogs} == dict(dep_cogs)
    assert [t.margin_cents for t in s.tenants] == sorted(t.margin_cents for t in s.tenants)
    kinds = analytics.by_kind(engine, MONTH)
    assert sum(k.amount_cents for k in kinds.cogs) == s.overall.cogs_cents
    assert sum(k.amount_cents for k in kinds.revenue) == s.overall.revenue_cents


@st.composite
def billing_datasets(draw):
    _id = _Ids()
    catalog = [
        {"id": _id(draw), "sku": "FLAT", "name": "Flat", "billing_kind": "platform", "unit": "month",
         "pricing_model": "flat", "unit_price_micros": draw(st.integers(0, 99_999_999)), "included_units": Decimal(0),
         "tiers": None, "currency": "USD", "active": True},
        {"id": _id(draw), "sku": "UNIT", "name": "Unit", "billing_kind": "compute", "unit": "h",
         "pricing_model": "per_unit", "unit_price_micros": draw(st.integers(1, 50_000)),
         "included_units": Decimal(draw(st.integers(0, 50))), "tiers": None, "currency": "USD", "active": True},
        {"id": _id(draw), "sku": "TIER", "name": "Tier", "billing_kind": "storage", "unit": "GB",
         "pricing_model": "tiered", "unit_price_micros": 1, "included_units": Decimal(draw(st.integers(0, 5))),
         "tiers": [{"up_to": 10, "unit_price_micros": draw(st.integers(1, 99_999))},
                   {"up_to": None, "unit_price_micros": draw(st.integers(1, 99_999))}],
         "currency": "USD", "active": True},
    ]
    subs, items, usage = [], [], []
    seconds = st.integers(-40 * 86400, 35 * 86400)
    for i in range(draw(st.integers(1, 4))):
        started = MONTH.start_at + timedelta(seconds=draw(seconds))
        ended = draw(st.sampled_from([None, started + timedelta(seconds=draw(st.integers(1, 60 * 86400)))]))
        sub = {"id": _id(draw), "tenant_id": draw(st.sampled_from(TENANTS[:2])), "deployment_id": None,
               "status": "active", "started_at": started, "ended_at": ended, "currency": "USD"}
        subs.append(sub)
        for cat in draw(st.lists(st.sampled_from(catalog), unique_by=lambda c: c["sku"], max_size=3)):
            override = draw(st.sampled_from([None, draw(st.integers(0, 30_000))]))
            items.append({"id": _id(draw), "subscription_id": sub["id"], "catalog_item_id": cat["id"],
                          "quantity": Decimal(draw(st.integers(1, 3))), "unit_price_micros": override})
            for _ in range(draw(st.integers(0, 4)) if cat["pricing_model"] != "flat" else 0):
                usage.append({"id": _id(draw), "subscription_id": sub["id"], "catalog_item_id": cat["id"],
                              "quantity": Decimal(draw(st.integers(0, 10**8))).scaleb(-6) * 100,
                              "recorded_at": MONTH.start_at + timedelta(seconds=draw(st.integers(-86400, MONTH.seconds + 86400)))})
    return {"catalog_items": catalog, "subscriptions": subs, "subscription_items": items, "usage_records": usage}


@SETTINGS
@given(data=billing_datasets())
def test_accrual_at_month_end_equals_rollup_on_random_data(engine, data):
    _write(engine, data)
    accrual = analytics.live_accrual(engine, MONTH.end_at)
    with engine.begin() as conn:
        rollup(conn, MONTH, MONTH.end_at + timedelta(days=1))
    with engine.connect() as conn:
        invoices = {r.tenant_id: r for r in conn.execute(schema.tenant_invoices.select())}
        line_sums = defaultdict(int)
        for line in conn.execute(schema.tenant_invoice_lines.select()):
            line_sums[str(line.invoice_id)] += line.amount_cents
    tenants = {q.subscription.tenant_id for q in accrual.quotes}
    assert set(invoices) == tenants
    for tenant, inv in invoices.items():
        quotes = [q for q in accrual.quotes if q.subscription.tenant_id == tenant]
        assert inv.subtotal_cents == sum(q.subtotal_cents for q in quotes) == line_sums.get(str(inv.id), 0)
        assert inv.tax_cents == sum(q.tax_cents for q in quotes)
        assert inv.total_cents == inv.subtotal_cents + inv.tax_cents
    for q in accrual.quotes:
        assert q.subtotal_cents == sum(line.amount_cents for line in q.lines)
        assert q.projected_subtotal_cents == q.subtotal_cents  # at the month's end nothing is left to project
