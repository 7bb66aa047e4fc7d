"""Billing on the database: load subscriptions and usage, quote them, roll a month up into invoices."""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from datetime import datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa

from arcadia import schema
from arcadia.db import fetch, fetch_rows, uses_preaggregates
from arcadia.errors import DataError, InputError, MixedCurrencyError
from arcadia.period import Period, parse_instant
from arcadia.quote import Item, Quote, Subscription, Tier, quote_all
from arcadia.schema import to_decimal


def _tiers(raw) -> tuple[Tier, ...]:
    """Graduated tiers from the catalog's JSON; ValueError saying what is wrong with them."""
    if raw is None or raw == "":
        return ()
    try:
        tiers = json.loads(raw, parse_float=Decimal) if isinstance(raw, str) else raw
    except ValueError:
        raise ValueError("tiers are not JSON") from None
    if not isinstance(tiers, list) or not all(isinstance(t, dict) for t in tiers):
        raise ValueError("tiers are not a JSON list of objects")
    parsed, bound = [], Decimal(0)
    for n, tier in enumerate(tiers, 1):
        up_to, price = tier.get("up_to"), tier.get("unit_price_micros")
        try:
            micros = _whole(price)
            if micros < 0:
                raise ValueError
        except (ValueError, TypeError, ArithmeticError):
            raise ValueError(f"tier {n}: unit_price_micros {price!r} is not a whole number of micros ≥ 0") from None
        if up_to is None:
            if n != len(tiers):
                raise ValueError(f"tier {n}: only the last tier may have no upper bound (up_to null)")
            parsed.append(Tier(None, micros))
            continue
        try:
            limit = _finite(up_to)
            if isinstance(up_to, bool) or limit <= bound:
                raise ValueError
        except (ValueError, TypeError, ArithmeticError):
            raise ValueError(f"tier {n}: up_to {up_to!r} is not a number above the previous bound ({bound})") from None
        bound = limit
        parsed.append(Tier(limit, micros))
    return tuple(parsed)


def active_subscriptions(conn: sa.Connection, start: datetime, end: datetime) -> list[Subscription]:
    """Subscriptions active at any time in [start, end), each with its priced items."""
    catalog = {row[0]: row for row in fetch_rows(conn, "catalog_items")}
    # Thousands of subscriptions share a few item lists, and the lists a few (catalog item, override,
    # quantity) shapes: each list is parsed once and each shape becomes one Item, its tiers parsed once.
    shapes: dict[tuple, Item] = {}
    lists: dict[str | None, tuple[Item, ...]] = {None: ()}
    subs = []
    for sub_id, tenant_id, deployment_id, started_at, ended_at, currency, items in fetch_rows(
            conn, "active_subscription_items", window_start=start, window_end=end):
        if items not in lists:
            lists[items] = _items(items, catalog, shapes)
        subs.append(Subscription(
            id=str(sub_id), tenant_id=tenant_id, deployment_id=None if deployment_id is None else str(deployment_id),
            started_at=parse_instant(started_at), ended_at=None if ended_at is None else parse_instant(ended_at),
            currency=currency, items=lists[items],
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
    """One priced item; a DataError naming the catalog item and the field when its row cannot price anything."""
    catalog_item_id, sku, name, billing_kind, pricing_model, price, included, tiers, currency = catalog
    fields = {
        "catalog unit_price_micros": lambda: _whole(price),
        "subscription item unit_price_micros": lambda: None if override is None else _whole(override),
        "included_units": lambda: _finite(included or 0),
        "subscription item quantity": lambda: _finite(quantity if quantity is not None else 1),
        "tiers": lambda: _tiers(tiers) or _required_tiers(pricing_model),
    }
    values = {}
    for field, parse in fields.items():
        try:
            values[field] = parse()
        except (ValueError, TypeError, ArithmeticError) as exc:
            raise DataError(
                f"catalog item {sku!r} ({catalog_item_id}) cannot be priced: {field} is malformed ({exc}); "
                "the figures that price its subscriptions (live accrual, rollup) wait until the row is fixed "
                "(`python -m arcadia check` lists such rows)"
            ) from None
    return Item(
        catalog_item_id=str(catalog_item_id), sku=sku, name=name, billing_kind=billing_kind,
        pricing_model=pricing_model, catalog_price_micros=values["catalog unit_price_micros"],
        price_override_micros=values["subscription item unit_price_micros"], included_units=values["included_units"],
        tiers=values["tiers"], quantity=values["subscription item quantity"], currency=currency,
    )


def _required_tiers(pricing_model) -> tuple[Tier, ...]:
    if pricing_model == "tiered":
        raise ValueError("a tiered item with no tiers")
    return ()


def _whole(value) -> int:
    """A price in micros: a whole number (SQLite may hold text or a real in a bigint column)."""
    if isinstance(value, bool) or value is None:
        raise ValueError(f"{value!r} is not a whole number")
    number = to_decimal(value)
    if not number.is_finite() or number != number.to_integral_value():
        raise ValueError(f"{value!r} is not a whole number")
    return int(number)


def _finite(value) -> Decimal:
    if isinstance(value, bool) or value is None:
        raise ValueError(f"{value!r} is not a number")
    number = to_decimal(value)
    if not number.is_finite():
        raise ValueError(f"{value!r} is not a finite number")
    return number


def usage_totals(conn: sa.Connection, start: datetime, end: datetime) -> dict[str, dict[str, Decimal]]:
    """Σ usage per subscription and catalog item for readings in [start, end)."""
    parts = (_preaggregated_usage(parse_instant(start), parse_instant(end)) if uses_preaggregates(conn)
             else [(1, "usage_totals", {"window_start": start, "window_end": end})])
    micros: dict[str, dict[str, int]] = defaultdict(dict)
    for sign, name, binds in parts:
        for subscription_id, catalog_item_id, quantity_micros in fetch_rows(conn, name, **binds):
            per_item = micros[str(subscription_id)]
            key = str(catalog_item_id)
            per_item[key] = per_item.get(key, 0) + sign * int(quantity_micros)
    return {sub: {item: Decimal(q).scaleb(-6) for item, q in items.items()} for sub, items in micros.items()}


def _midnight(instant: datetime) -> datetime:
    return instant.replace(hour=0, minute=0, second=0, microsecond=0)


def _preaggregated_usage(start: datetime, end: datetime) -> list[tuple[int, str, dict]]:
    """The signed parts whose sum is the usage in [start, end), read from the pre-aggregates.

    Whole UTC days come from agg_usage_day, the partial days at the window's edges from the raw
    readings (the portable usage_totals query over a few hours, by the index on recorded_at).
    Late in a month it is cheaper to count back from the month's total (agg_usage_month).
    """
    month = Period.parse(start)
    if start == month.start_at and start < end <= month.end_at and 2 * (end - start) > month.end_at - start:
        day_end = end if end == _midnight(end) else _midnight(end) + timedelta(days=1)
        return [
            (1, "usage_month", {"month": month.start}),
            (-1, "usage_days", {"first_day": day_end.date(), "end_day": month.end}),
            (-1, "usage_totals", {"window_start": end, "window_end": day_end}),
        ]
    first = start if start == _midnight(start) else _midnight(start) + timedelta(days=1)
    last = _midnight(end)
    if first > last:  # no whole day inside the window: all of it from raw readings
        return [(1, "usage_totals", {"window_start": start, "window_end": end})]
    return [
        (1, "usage_days", {"first_day": first.date(), "end_day": last.date()}),
        (1, "usage_totals", {"window_start": start, "window_end": first}),
        (1, "usage_totals", {"window_start": last, "window_end": end}),
    ]


def quote_month(conn: sa.Connection, period: Period, until: datetime) -> list[Quote]:
    """Quote every subscription active in [start of period, until) on its usage in that window."""
    subs = active_subscriptions(conn, period.start_at, until)
    usage = usage_totals(conn, period.start_at, until)
    return quote_all(subs, usage, period, until)


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
