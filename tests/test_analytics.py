"""Analytics on the hand-checked fixture (tests/fixtures/small.sql), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime

import pytest
import sqlalchemy as sa

from arcadia import analytics, report, schema
from arcadia.billing import rollup
from arcadia.errors import MixedCurrencyError
from arcadia.period import UTC, Period

MARCH = Period.parse("2026-03-17")
MAY = Period.parse("2026-05-01")
UUID_TENANT = "b3f1c6de-0f6a-4c1e-9a57-0123456789ab"


def test_margin_summary_matches_the_hand_checked_figures(small):
    doc = report.margin_json(analytics.margin_summary(small, MARCH))
    assert doc["period"] == "2026-03-01" and doc["currency"] == "USD"
    assert doc["overall"] == {
        "revenue": "26.00", "cogs": "29.00", "attributed_cogs": "25.50",
        "unattributed_cogs": "3.50", "margin": "-3.00", "margin_pct": -11.5,
    }
    assert [(t["tenant_id"], t["tenant_name"], t["revenue"], t["cogs"], t["margin"], t["margin_pct"])
            for t in doc["tenants"]] == [
        ("platform-admin", "Platform Admin", "0.00", "3.00", "-3.00", None),
        (UUID_TENANT, UUID_TENANT, "6.00", "8.00", "-2.00", -33.3),
        ("acme", "Acme Corp", "20.00", "14.50", "5.50", 27.5),
    ]
    assert [(d["deployment_name"], d["tenant_id"], d["revenue"], d["cogs"], d["margin"]) for d in doc["deployments"]] == [
        ("uuid-notebook", UUID_TENANT, "6.00", "8.00", "-2.00"),
        ("acme-studio", "acme", "20.00", "14.50", "5.50"),
    ]
    assert "warnings" not in doc


def test_tenant_cogs_plus_unattributed_is_overall(small):
    s = analytics.margin_summary(small, MARCH)
    assert sum(t.cogs_cents for t in s.tenants) + s.unattributed_cogs_cents == s.overall.cogs_cents
    assert sum(t.revenue_cents for t in s.tenants) == s.overall.revenue_cents


def test_deployment_tenant_wins_over_resource_tag(small):
    """acme-worker is tagged platform-admin but runs in acme's deployment: it bills to acme."""
    s = analytics.margin_summary(small, MARCH)
    by_id = {t.tenant_id: t for t in s.tenants}
    assert by_id["acme"].cogs_cents == 1450 and by_id["platform-admin"].cogs_cents == 300
    assert by_id["platform-admin"].internal and not by_id["acme"].internal


def test_by_kind_two_breakdowns_sorted_by_amount(small):
    doc = report.by_kind_json(analytics.by_kind(small, MARCH))
    assert doc["revenue"] == [{"kind": "compute", "amount": "15.00"}, {"kind": "storage", "amount": "6.00"},
                              {"kind": "platform", "amount": "5.00"}]
    assert doc["cogs"] == [{"kind": "droplet", "amount": "27.00"}, {"kind": "bandwidth", "amount": "1.50"},
                           {"kind": "volume", "amount": "1.00"}, {"kind": "other", "amount": "-0.50"}]


def test_empty_month_is_zero_not_an_error(small):
    s = analytics.margin_summary(small, Period.parse("2025-01-01"))
    assert not s.has_data and s.overall.margin_pct is None and s.tenants == () and s.currency == "USD"


def test_revenue_without_cost_lines_warns(small):
    with small.begin() as conn:
        conn.exec_driver_sql("DELETE FROM cloud_cost_lines WHERE period = '2026-03-01'")
    s = analytics.margin_summary(small, MARCH)
    assert s.overall.cogs_cents == 0 and any("COGS and margin are incomplete" in w for w in s.warnings)
    assert report.margin_json(s)["warnings"] == list(s.warnings)


def test_mixed_currencies_are_an_error_naming_them(small):
    with small.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO cloud_cost_lines (id, provider, provider_invoice_id, period, kind, product, description, "
            "amount_cents, currency) VALUES ('c0000000-0000-4000-8000-0000000000ee', 'digitalocean', 'x', "
            "'2026-03-01', 'other', 'x', 'euro line', 100, 'EUR')")
    with pytest.raises(MixedCurrencyError, match="EUR, USD"):
        analytics.margin_summary(small, MARCH)
    with pytest.raises(MixedCurrencyError, match="EUR, USD"):
        analytics.by_kind(small, MARCH)


AS_OF = datetime(2026, 5, 21, 12, tzinfo=UTC)


def test_live_accrual_hand_checked(small):
    doc = report.accrual_json(analytics.live_accrual(small, AS_OF))
    assert doc["as_of"] == "2026-05-21T12:00:00Z" and doc["period"] == "2026-05-01"
    assert doc["totals"] == {"subtotal": "26.31", "tax": "2.63", "total": "28.94", "projected_subtotal": "50.55"}
    acme, ended = sorted(doc["subscriptions"], key=lambda s: s["tenant_id"])
    assert acme["subscription_id"] == "50000000-0000-4000-8000-000000000001"
    assert acme["deployment_id"] == "11111111-1111-4111-8111-111111111111"
    assert [(l["sku"], l["quantity"], l["amount"]) for l in acme["lines"]] == [
        ("COMPUTE", "100.75", "0.91"), ("PLATFORM", "2", "20.00"), ("STORAGE", "60", "5.40"),
    ]
    assert ended["tenant_id"] == UUID_TENANT and ended["lines"] == [] and ended["total"] == "0.00"


def test_accrual_at_month_end_equals_rollup_invoice(small):
    month_end = MAY.end_at
    accrual = analytics.live_accrual(small, month_end)
    assert accrual.period == MAY
    with small.begin() as conn:
        rollup(conn, MAY, datetime(2026, 6, 2, tzinfo=UTC))
    invoices = _invoices(small, MAY)
    for tenant in {q.subscription.tenant_id for q in accrual.quotes}:
        quotes = [q for q in accrual.quotes if q.subscription.tenant_id == tenant]
        inv = invoices[tenant]
        assert (inv["subtotal_cents"], inv["tax_cents"], inv["total_cents"]) == (
            sum(q.subtotal_cents for q in quotes), sum(q.tax_cents for q in quotes), sum(q.total_cents for q in quotes))
        assert inv["lines_cents"] == inv["subtotal_cents"]
    assert invoices["acme"]["subtotal_cents"] == 4751  # 41.00 flat + 1.11 compute + 5.40 storage
    # Once invoiced, the month is not accrued again.
    after = analytics.live_accrual(small, month_end)
    assert after.quotes == () and after.warnings


def test_rollup_rerun_replaces_never_duplicates(small):
    now = datetime(2026, 6, 2, tzinfo=UTC)
    with small.begin() as conn:
        first = rollup(conn, MAY, now)
    with small.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO usage_records (id, subscription_id, catalog_item_id, quantity, recorded_at) VALUES "
            "('70000000-0000-4000-8000-0000000000aa', '50000000-0000-4000-8000-000000000001', "
            "'d0000000-0000-4000-8000-000000000002', 100, '2026-05-30 10:00:00+00:00')")
        second = rollup(conn, MAY, now)
    assert sorted(first) == sorted(second)
    invoices = _invoices(small, MAY)
    assert len(invoices) == 2 and invoices["acme"]["subtotal_cents"] == 4751 + 100
    assert invoices["acme"]["lines_cents"] == invoices["acme"]["subtotal_cents"]
    assert invoices["acme"]["line_count"] == 3


def test_rollup_refuses_an_incomplete_month(small):
    from arcadia.errors import InputError

    with small.begin() as conn, pytest.raises(InputError, match="not complete"):
        rollup(conn, MAY, datetime(2026, 5, 31, tzinfo=UTC))


def _invoices(engine, period):
    inv, lines = schema.tenant_invoices, schema.tenant_invoice_lines
    query = (
        sa.select(inv.c.tenant_id, inv.c.subtotal_cents, inv.c.tax_cents, inv.c.total_cents,
                  sa.func.coalesce(sa.func.sum(lines.c.amount_cents), 0).label("lines_cents"),
                  sa.func.count(lines.c.id).label("line_count"))
        .select_from(inv.outerjoin(lines, lines.c.invoice_id == inv.c.id))
        .where(inv.c.period == period.start, inv.c.status != "void")
        .group_by(inv.c.id, inv.c.tenant_id, inv.c.subtotal_cents, inv.c.tax_cents, inv.c.total_cents)
    )
    with engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(query)]
    assert len({r["tenant_id"] for r in rows}) == len(rows), "one live invoice per tenant"
    return {r["tenant_id"]: {k: int(v) if k != "tenant_id" else v for k, v in r.items()} for r in rows}


def test_plain_sql_rows_read_back_through_the_schema(small):
    """Defaults and text formats written by other programs come back typed."""
    with small.connect() as conn:
        res = conn.execute(sa.select(schema.cloud_resources).where(schema.cloud_resources.c.provider_id == "1004")).one()
        cat = conn.execute(sa.select(schema.catalog_items).where(schema.catalog_items.c.sku == "STORAGE")).one()
        usage = conn.execute(sa.select(schema.usage_records).where(schema.usage_records.c.idempotency_key == "k2")).one()
    assert res.tags == [] and res.attrs == {} and res.stale_strike_count == 0
    assert res.deleted_at == datetime(2026, 3, 15, tzinfo=UTC) and res.inserted_at.tzinfo is not None
    assert str(cat.included_units.normalize()) == "5" and cat.tiers[0]["up_to"] == 50 and cat.active is True
    assert usage.recorded_at == datetime(2026, 5, 20, 18, 30, tzinfo=UTC) and str(usage.quantity.normalize()) == "0.25"


def test_schema_init_is_idempotent(engine):
    schema.create_all(engine)
    schema.create_all(engine)
    assert set(sa.inspect(engine).get_table_names()) >= set(schema.metadata.tables)


def test_second_live_invoice_for_a_tenant_month_is_refused(small):
    with pytest.raises(sa.exc.IntegrityError):
        with small.begin() as conn:
            conn.exec_driver_sql(
                "INSERT INTO tenant_invoices (id, tenant_id, period, status, currency, subtotal_cents, tax_cents, "
                "total_cents) VALUES ('e0000000-0000-4000-8000-0000000000ff', 'acme', '2026-03-01', 'draft', 'USD', 1, 0, 1)")


def test_monthly_trend_is_the_margin_summary_of_each_month(small):
    history = analytics.monthly_pnl(small, MAY, months=4)
    assert [str(m.period) for m in history] == ["2026-02-01", "2026-03-01", "2026-04-01", "2026-05-01"]
    for month in history:
        overall = analytics.margin_summary(small, month.period).overall
        assert (month.revenue_cents, month.cogs_cents) == (overall.revenue_cents, overall.cogs_cents)
    assert [m.has_data for m in history] == [False, True, True, False]


def test_a_period_that_is_not_the_first_still_counts_in_its_month(small):
    """The contract says period is the 1st; a writer that stores the 15th must not split or lose a month."""
    with small.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO cloud_cost_lines (id, provider, provider_invoice_id, period, kind, product, description, "
            "amount_cents, currency) VALUES ('c0000000-0000-4000-8000-0000000000dd', 'digitalocean', 'x', "
            "'2026-03-15', 'other', 'x', 'mid-month line', 100, 'USD')")
    assert analytics.margin_summary(small, MARCH).overall.cogs_cents == 2900 + 100
    [march] = analytics.monthly_pnl(small, MARCH, months=1)
    assert (march.revenue_cents, march.cogs_cents) == (2600, 3000)
