"""Billing on the database: load subscriptions and usage, quote them, roll a month up into invoices."""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa

from arcadia import schema, usage_parts
from arcadia.db import fetch, fetch_rows, fetch_tuples, uses_preaggregates
from arcadia.errors import DataError, InputError, MixedCurrencyError
from arcadia.period import Period, parse_instant
from arcadia.quote import PRICING_MODELS, Item, Quote, Subscription, Tier, quote_all
from arcadia.schema import to_decimal


def pricing_problems(pricing_model, unit_price_micros, tiers, included_units=0) -> list[str]:
    """Why a catalog item cannot be priced ([] when it can): the rules the quote engine relies on.

    One definition for the figures (which refuse to price such an item, naming it) and for
    `python -m arcadia check` (which lists every such item). `tiers` is the JSON text, or the list
    PostgreSQL's json column already decoded.
    """
    reasons = []
    if pricing_model not in PRICING_MODELS:
        reasons.append(f"unknown pricing_model {pricing_model!r} (expected {', '.join(PRICING_MODELS)})")
    if not _is_integer(unit_price_micros):
        reasons.append(f"unit_price_micros {unit_price_micros!r} is not an integer")
    elif int(unit_price_micros) < 0:
        reasons.append("negative unit_price_micros")
    if not _is_number(_decoded_number(included_units if included_units is not None else 0)):
        reasons.append(f"included_units {included_units!r} is not a number")
    try:
        decoded = json.loads(tiers, parse_float=Decimal) if isinstance(tiers, str) else tiers
    except (ValueError, RecursionError):
        return reasons + ["tiers is not valid JSON"]
    if decoded is None or decoded == "":
        return reasons + (["tiered item without tiers"] if pricing_model == "tiered" else [])
    if not isinstance(decoded, list):
        return reasons + ["tiers is not a JSON list"]
    if not decoded and pricing_model == "tiered":
        reasons.append("tiered item without tiers")
    previous = None
    for position, tier in enumerate(decoded, start=1):
        if not isinstance(tier, dict):
            reasons.append(f"tier {position} is not an object")
            continue
        up_to, price = tier.get("up_to"), tier.get("unit_price_micros")
        if up_to is None:
            if position != len(decoded):
                reasons.append(f"tier {position}: up_to null before the last tier")
        elif not _is_number(up_to):
            reasons.append(f"tier {position}: up_to {up_to!r} is not a number")
        else:
            if previous is not None and up_to <= previous:
                reasons.append(f"tier {position}: up_to {up_to} not above the previous tier's ({previous})")
            previous = up_to
        if not _is_integer(price):
            reasons.append(f"tier {position}: unit_price_micros {price!r} is not an integer")
        elif price < 0:
            reasons.append(f"tier {position}: negative unit_price_micros ({price})")
    return reasons


def _decoded_number(value):
    """A number column as SQLite may hand it over (text of a number): as Decimal when it is one."""
    if isinstance(value, str):
        try:
            return Decimal(value.strip())
        except ArithmeticError:
            return value
    return value


def _is_number(value) -> bool:
    # bool is an int to Python, not a number to JSON; NaN and infinities price nothing.
    if isinstance(value, float):
        value = Decimal(repr(value))
    return not isinstance(value, bool) and isinstance(value, (int, Decimal)) and Decimal(value).is_finite()


def _is_integer(value) -> bool:
    value = _decoded_number(value)
    if isinstance(value, Decimal):
        return value.is_finite() and value == value.to_integral_value()
    return isinstance(value, int) and not isinstance(value, bool)


def _tiers(raw) -> tuple[Tier, ...]:
    """Graduated tiers from the catalog's JSON (already checked by pricing_problems)."""
    decoded = json.loads(raw, parse_float=Decimal) if isinstance(raw, str) else raw
    return tuple(Tier(None if t.get("up_to") is None else Decimal(t["up_to"]), int(t["unit_price_micros"]))
                 for t in decoded or ())


def active_subscriptions(conn: sa.Connection, start: datetime, end: datetime) -> list[Subscription]:
    """Subscriptions active at any time in [start, end), each with its priced items."""
    catalog = {row[0]: row for row in fetch_rows(conn, "catalog_items")}
    # Thousands of subscriptions share a few item lists, and the lists a few (catalog item, override,
    # quantity) shapes: each list is parsed once and each shape becomes one Item, its tiers parsed once.
    shapes: dict[tuple, Item] = {}
    lists: dict[str | None, tuple[Item, ...]] = {None: ()}
    subs = []
    for sub_id, tenant_id, deployment_id, started_at, ended_at, currency, items in fetch_tuples(
            conn, "active_subscription_items", window_start=start, window_end=end):
        if items not in lists:
            lists[items] = _items(items, catalog, shapes)
        subs.append(Subscription(  # by position: tens of thousands of these, and keywords cost more
            str(sub_id), tenant_id, None if deployment_id is None else str(deployment_id), parse_instant(started_at),
            None if ended_at is None else parse_instant(ended_at), currency, lists[items],
        ))
    return subs


def _items(items: str, catalog: dict, shapes: dict[tuple, Item]) -> tuple[Item, ...]:
    """Parse 'catalog_item_id override quantity,…' (see queries/active_subscription_items.sql)."""
    parsed = []
    for shape in (tuple(item.split(" ")) for item in items.split(",")):
        catalog_item_id, override, quantity = shape
        if catalog_item_id not in catalog:
            continue  # a subscription item whose catalog row is gone prices nothing
        if shape not in shapes:
            shapes[shape] = _item(catalog[catalog_item_id], None if override == "-" else override, quantity)
        parsed.append(shapes[shape])
    return tuple(parsed)


def _item(catalog: sa.Row, override, quantity) -> Item:
    """One priced item; a DataError naming the catalog item and what is wrong when its row cannot be priced."""
    catalog_item_id, sku, name, billing_kind, pricing_model, price, included, tiers, currency = catalog
    reasons = pricing_problems(pricing_model, price, tiers, included)
    if override is not None and not _is_integer(override):
        reasons.append(f"a subscription's unit_price_micros {override!r} is not an integer")
    if quantity is not None and not _is_number(_decoded_number(quantity)):
        reasons.append(f"a subscription's quantity {quantity!r} is not a number")
    if reasons:
        raise DataError(
            f"catalog item {sku!r} ({catalog_item_id}) cannot be priced: {'; '.join(reasons)}. The figures that "
            "price its subscriptions (live accrual, rollup) wait until the row is fixed (`python -m arcadia check` "
            "lists such rows)"
        )
    return Item(
        catalog_item_id=str(catalog_item_id), sku=sku, name=name, billing_kind=billing_kind,
        pricing_model=pricing_model, catalog_price_micros=int(_decoded_number(price)),
        price_override_micros=None if override is None else int(_decoded_number(override)),
        included_units=to_decimal(included or 0), tiers=_tiers(tiers),
        quantity=to_decimal(quantity if quantity is not None else 1), currency=currency,
    )


def usage_totals(conn: sa.Connection, start: datetime, end: datetime) -> dict[str, dict[str, int]]:
    """Σ usage per subscription and catalog item for readings in [start, end), in millionths of a unit (exact).

    On PostgreSQL in one statement over the pre-aggregates (arcadia/usage_parts.py plans which months, days and
    hours, and the less than an hour of raw readings at each edge); elsewhere over the raw readings.
    """
    start, end = parse_instant(start), parse_instant(end)
    if uses_preaggregates(conn):
        rows = fetch_tuples(conn, "usage_parts", **usage_parts.binds(usage_parts.plan(start, end)))
    elif conn.dialect.name == "sqlite":  # compared as UTC text to the microsecond (queries/sqlite/usage_totals.sql)
        rows = fetch_tuples(conn, "usage_totals", window_start=f"{start:%Y-%m-%d %H:%M:%S.%f}",
                          window_end=f"{end:%Y-%m-%d %H:%M:%S.%f}")
    else:
        rows = fetch_tuples(conn, "usage_totals", window_start=start, window_end=end)
    totals: dict[str, dict[str, int]] = defaultdict(dict)
    for subscription_id, catalog_item_id, quantity_micros in rows:
        totals[subscription_id][catalog_item_id] = quantity_micros
    return dict(totals)


def quote_month(conn: sa.Connection, period: Period, until: datetime) -> list[Quote]:
    """Quote every subscription active in [start of period, until) on its usage in that window."""
    subs = active_subscriptions(conn, period.start_at, until)
    usage = usage_totals(conn, period.start_at, until)
    return quote_all(subs, usage, period, until)


def unreadable_subscriptions(conn: sa.Connection) -> list[str]:
    """The subscriptions every accrual leaves out: a started_at or ended_at no client can read (infinity, a BC
    date, a year past 9999; on SQLite, text that is no instant). At most 20 ids."""
    return [row["subscription_id"] for row in fetch(conn, "unreadable_subscriptions")]


def invoiced_tenants(conn: sa.Connection, period: Period) -> set[str]:
    """Tenants with a live (non-void) invoice for the period."""
    return {row["tenant_id"] for row in fetch(conn, "invoiced_tenants", period_start=period.start, period_end=period.end)}


def rollup(conn: sa.Connection, period: Period, now: datetime) -> list[str]:
    """Write one invoice per tenant for a complete month; re-running replaces, never duplicates.

    An existing live invoice keeps its id, status and issue date; its amounts and
    lines are replaced. Voided invoices are history and are left alone. The tax
    of an invoice is the sum of its subscriptions' GST, so the accrual as of the
    month's end equals the invoice to the cent. Returns the invoice ids.
    """
    if parse_instant(now) < period.end_at:
        raise InputError(f"period {period} is not complete yet: roll it up on or after {period.end}")
    by_tenant: dict[str, list[Quote]] = defaultdict(list)
    for q in quote_month(conn, period, period.end_at):
        by_tenant[q.subscription.tenant_id].append(q)
    invoices = schema.tenant_invoices
    lines = schema.tenant_invoice_lines
    ids = []
    for tenant_id, quotes in sorted(by_tenant.items()):
        currencies = {q.subscription.currency for q in quotes}
        if len(currencies) > 1:
            raise MixedCurrencyError(f"tenant {tenant_id} in {period}", currencies)
        subtotal = sum(q.subtotal_cents for q in quotes)
        tax = sum(q.tax_cents for q in quotes)
        amounts = {"subtotal_cents": subtotal, "tax_cents": tax, "total_cents": subtotal + tax}
        existing = conn.execute(
            sa.select(invoices.c.id).where(
                invoices.c.tenant_id == tenant_id, invoices.c.period == period.start, invoices.c.status != "void"
            )
        ).scalar()
        if existing is None:
            invoice_id = str(uuid.uuid4())
            conn.execute(invoices.insert().values(
                id=invoice_id, tenant_id=tenant_id, period=period.start, status="issued",
                currency=currencies.pop(), issued_at=now, inserted_at=now, **amounts,
            ))
        else:
            invoice_id = str(existing)
            conn.execute(invoices.update().where(invoices.c.id == invoice_id).values(**amounts))
            conn.execute(lines.delete().where(lines.c.invoice_id == invoice_id))
        rows = [
            {
                "id": str(uuid.uuid4()), "invoice_id": invoice_id, "subscription_id": q.subscription.id,
                "deployment_id": q.subscription.deployment_id, "catalog_item_id": line.catalog_item_id,
                "billing_kind": line.billing_kind, "description": line.name, "quantity": line.quantity,
                "unit_price_micros": line.unit_price_micros, "amount_cents": line.amount_cents,
            }
            for q in quotes for line in q.lines
        ]
        if rows:
            conn.execute(lines.insert(), rows)
        ids.append(invoice_id)
    return ids
