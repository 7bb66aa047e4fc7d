"""The naive way, for the benchmark: raw rows into pandas, joined and grouped there.

What a careful analyst would write without the project's SQL: read the rows
(`queries/bench/naive_*.sql`, plain SELECTs with the obvious WHERE on the
table itself), merge and group in pandas, and price the accrual with the same
quote engine. Money stays exact: amounts are int64 columns, quantities
Decimal in object columns, nullable prices object columns; never a float.
Each function returns the comparison document of `arcadia.bench` for its figure.
"""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal

import pandas as pd
import sqlalchemy as sa

from arcadia.db import fetch_rows
from arcadia.money import gst_cents
from arcadia.period import Period, accrual_period, parse_instant
from arcadia.quote import Item, Subscription, Tier, quote
from arcadia.schema import to_decimal


def _frame(conn: sa.Connection, name: str, money: tuple[str, ...] = (), **binds) -> pd.DataFrame:
    """The rows of queries/bench/<name>.sql as object columns; `money` columns (never NULL) as int64."""
    rows = fetch_rows(conn, f"bench/{name}", **binds)
    # An empty result still needs its columns for the merges and groupings below.
    columns = list(rows[0]._fields) if rows else list(_COLUMNS[name])
    frame = pd.DataFrame(rows, columns=columns, dtype=object)
    return frame.astype({column: "int64" for column in money})


_COLUMNS = {
    "naive_cost_lines": ("resource_id", "kind", "amount_cents", "currency"),
    "naive_resources": ("resource_id", "resource_tenant_id", "deployment_id"),
    "naive_deployments": ("deployment_id", "deployment_tenant_id"),
    "naive_invoices": ("invoice_id", "tenant_id", "status", "subtotal_cents", "currency"),
    "naive_invoice_lines": ("invoice_id", "deployment_id", "billing_kind", "amount_cents"),
    "naive_subscriptions": ("subscription_id", "tenant_id", "deployment_id", "started_at", "ended_at", "currency"),
    "naive_subscription_items": ("subscription_id", "catalog_item_id", "quantity", "price_override_micros"),
    "naive_catalog_items": ("catalog_item_id", "sku", "name", "billing_kind", "pricing_model",
                            "catalog_price_micros", "included_units", "tiers", "catalog_currency"),
    "naive_usage": ("subscription_id", "catalog_item_id", "quantity"),
}


def _cents(series: pd.Series) -> dict[str, int]:
    return {str(key): int(value) for key, value in series.items()}


def margin(conn: sa.Connection, period: Period) -> dict:
    """Overall, per-tenant and per-deployment revenue and COGS of `period`, computed in pandas."""
    binds = {"period_start": period.start, "period_end": period.end}
    lines = _frame(conn, "naive_cost_lines", ("amount_cents",), **binds)
    resources = _frame(conn, "naive_resources")
    deployments = _frame(conn, "naive_deployments")
    invoices = _frame(conn, "naive_invoices", ("subtotal_cents",), **binds)
    invoice_lines = _frame(conn, "naive_invoice_lines", ("amount_cents",))

    costs = (lines.merge(resources, on="resource_id", how="left")
                  .merge(deployments, on="deployment_id", how="left"))
    # Tenant of a cost line: the deployment's tenant, else the resource's own.
    costs["tenant_id"] = costs["deployment_tenant_id"].where(costs["deployment_tenant_id"].notna(),
                                                             costs["resource_tenant_id"])
    live = invoices[invoices["status"] != "void"]
    revenue_lines = invoice_lines.merge(live[["invoice_id"]], on="invoice_id")

    tenant_revenue = _cents(live.groupby("tenant_id")["subtotal_cents"].sum())
    tenant_cogs = _cents(costs[costs["tenant_id"].notna()].groupby("tenant_id")["amount_cents"].sum())
    deployment_revenue = _cents(revenue_lines[revenue_lines["deployment_id"].notna()]
                                .groupby("deployment_id")["amount_cents"].sum())
    deployment_cogs = _cents(costs[costs["deployment_id"].notna()].groupby("deployment_id")["amount_cents"].sum())
    cogs = int(costs["amount_cents"].sum())
    unattributed = int(costs.loc[costs["tenant_id"].isna(), "amount_cents"].sum())
    return {
        "overall": {"revenue": int(live["subtotal_cents"].sum()), "cogs": cogs,
                    "attributed_cogs": cogs - unattributed, "unattributed_cogs": unattributed},
        "tenants": _pairs(tenant_revenue, tenant_cogs),
        "deployments": _pairs(deployment_revenue, deployment_cogs),
    }


def _pairs(revenue: dict[str, int], cogs: dict[str, int]) -> dict[str, dict[str, int]]:
    return {key: {"revenue": revenue.get(key, 0), "cogs": cogs.get(key, 0)} for key in sorted(revenue.keys() | cogs.keys())}


def _tiers(raw) -> tuple[Tier, ...]:
    if raw is None or pd.isna(raw) or not raw:
        return ()
    return tuple(Tier(None if t.get("up_to") is None else to_decimal(t["up_to"]), int(t["unit_price_micros"]))
                 for t in json.loads(raw, parse_float=Decimal))


def _optional(value):
    return None if value is None or pd.isna(value) else value


def accrual(conn: sa.Connection, as_of: datetime) -> dict:
    """The live accrual as of `as_of`: subscriptions, items and usage grouped in pandas, priced by `quote`."""
    period = accrual_period(as_of)
    start, end = period.start_at, as_of
    subscriptions = _frame(conn, "naive_subscriptions")
    items = _frame(conn, "naive_subscription_items")
    catalog = _frame(conn, "naive_catalog_items")
    usage = _frame(conn, "naive_usage", window_start=start, window_end=end)
    invoices = _frame(conn, "naive_invoices", ("subtotal_cents",), period_start=period.start, period_end=period.end)

    started = pd.to_datetime(subscriptions["started_at"], utc=True, format="ISO8601")
    ended = pd.to_datetime(subscriptions["ended_at"], utc=True, format="ISO8601")
    invoiced = set(invoices.loc[invoices["status"] != "void", "tenant_id"])
    active = subscriptions[(started < end) & (ended.isna() | (ended > start))
                           & ~subscriptions["tenant_id"].isin(invoiced)]

    usage["quantity"] = usage["quantity"].map(to_decimal)
    totals: dict[str, dict[str, Decimal]] = {}
    for (subscription_id, catalog_item_id), quantity in usage.groupby(["subscription_id", "catalog_item_id"])["quantity"].sum().items():
        totals.setdefault(str(subscription_id), {})[str(catalog_item_id)] = quantity

    priced = items.merge(catalog, on="catalog_item_id")
    items_of: dict[str, list[Item]] = {}
    for row in priced.sort_values("sku").itertuples(index=False):
        override = _optional(row.price_override_micros)
        items_of.setdefault(str(row.subscription_id), []).append(Item(
            catalog_item_id=str(row.catalog_item_id), sku=row.sku, name=row.name, billing_kind=row.billing_kind,
            pricing_model=row.pricing_model, catalog_price_micros=int(row.catalog_price_micros),
            price_override_micros=None if override is None else int(override),
            included_units=to_decimal(_optional(row.included_units) or 0), tiers=_tiers(row.tiers),
            quantity=to_decimal(_optional(row.quantity) or 1), currency=row.catalog_currency,
        ))

    subscriptions_doc = {}
    for row in active.itertuples(index=False):
        sub = Subscription(
            id=str(row.subscription_id), tenant_id=row.tenant_id, deployment_id=_optional(row.deployment_id),
            started_at=parse_instant(row.started_at),
            ended_at=None if _optional(row.ended_at) is None else parse_instant(row.ended_at),
            currency=row.currency, items=tuple(items_of.get(str(row.subscription_id), ())),
        )
        q = quote(sub, totals.get(sub.id, {}), period, end)
        subscriptions_doc[sub.id] = {"subtotal": q.subtotal_cents, "tax": gst_cents(q.subtotal_cents),
                                     "total": q.total_cents, "projected_subtotal": q.projected_subtotal_cents}
    return {
        "totals": {key: sum(s[key] for s in subscriptions_doc.values())
                   for key in ("subtotal", "tax", "total", "projected_subtotal")},
        "subscriptions": subscriptions_doc,
    }
