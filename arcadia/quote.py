"""The quote engine (CONTRACT §2): prices one subscription over a window of one month.

Pure Python on int and Decimal/Fraction: no database, no float. The rollup
(whole month) and the live accrual (month so far) both call `quote`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from datetime import datetime
from decimal import Decimal, localcontext
from typing import NamedTuple

from arcadia.errors import ArcadiaError, MixedCurrencyError
from arcadia.money import MICROS_PER_CENT, gst_cents, half_up_div
from arcadia.period import Period

ZERO = Decimal(0)
PRICING_MODELS = ("flat", "per_unit", "tiered")


@dataclass(frozen=True)
class Tier:
    """One graduated tier: units up to the cumulative bound `up_to` (None = no bound)."""

    up_to: Decimal | None
    unit_price_micros: int


@dataclass(frozen=True)
class Item:
    """A subscription item with the catalog pricing that applies to it."""

    catalog_item_id: str
    sku: str
    name: str
    billing_kind: str
    pricing_model: str
    catalog_price_micros: int
    price_override_micros: int | None = None
    included_units: Decimal = ZERO
    tiers: tuple[Tier, ...] = ()
    quantity: Decimal = Decimal(1)
    currency: str = "USD"

    @cached_property
    def unit_price_micros(self) -> int:
        """The item's override when set, else the catalog price."""
        return self.catalog_price_micros if self.price_override_micros is None else self.price_override_micros

    @cached_property
    def metered(self) -> bool:
        return self.pricing_model != "flat"

    @cached_property
    def graduated(self) -> bool:
        """Priced over its tiers (an override prices every unit at the override)."""
        return self.pricing_model == "tiered" and bool(self.tiers) and self.price_override_micros is None

    @cached_property
    def included_ratio(self) -> tuple[int, int]:
        return self.included_units.as_integer_ratio()

    @cached_property
    def quantity_ratio(self) -> tuple[int, int]:
        return self.quantity.as_integer_ratio()


class Subscription(NamedTuple):
    # NamedTuples, not dataclasses: an accrual builds tens of thousands of these, and a
    # tuple is made several times faster than a frozen dataclass.
    id: str
    tenant_id: str
    deployment_id: str | None
    started_at: datetime
    ended_at: datetime | None
    currency: str = "USD"
    items: tuple[Item, ...] = ()

    def active_microseconds(self, start: datetime, end: datetime) -> int:
        """How long the subscription was active within [start, end), in microseconds."""
        lo = max(start, self.started_at)
        hi = end if self.ended_at is None else min(end, self.ended_at)
        return max(0, _microseconds(hi - lo))


class Line(NamedTuple):
    catalog_item_id: str
    sku: str
    name: str
    billing_kind: str
    pricing_model: str
    quantity: Decimal
    unit_price_micros: int
    amount_cents: int
    projected_cents: int


class Quote(NamedTuple):
    subscription: Subscription
    lines: tuple[Line, ...] = ()

    @property
    def subtotal_cents(self) -> int:
        return sum(line.amount_cents for line in self.lines)

    @property
    def tax_cents(self) -> int:
        return gst_cents(self.subtotal_cents)

    @property
    def total_cents(self) -> int:
        return self.subtotal_cents + self.tax_cents

    @property
    def projected_subtotal_cents(self) -> int:
        return sum(line.projected_cents for line in self.lines)


def _microseconds(delta) -> int:
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def graduated_micros(billable: Decimal, tiers: tuple[Tier, ...]) -> Decimal:
    """Price of `billable` units over graduated tiers, in micros (exact).

    Units past the last bounded tier are priced at the last tier's price.
    """
    total, lower = ZERO, ZERO
    for index, tier in enumerate(tiers):
        last = index == len(tiers) - 1
        upper = None if last else tier.up_to
        units = (billable if upper is None else min(billable, upper)) - lower
        if units > 0:
            total += units * tier.unit_price_micros
        if upper is None or billable <= upper:
            break
        lower = upper
    return total


def metered_micros(item: Item, usage: Decimal) -> Decimal:
    """Exact price in micros of `usage` units of a per_unit or tiered item."""
    billable = max(ZERO, usage - item.included_units)
    if item.pricing_model == "tiered" and item.tiers and item.price_override_micros is None:
        return graduated_micros(billable, item.tiers)
    return billable * item.unit_price_micros


def _metered_cents(item: Item, usage: Decimal) -> int:
    """A metered line's amount, half-up to the cent; per_unit in integers (the hot path of the accrual)."""
    if item.graduated:
        with localcontext(prec=80):  # exact: no product of these inputs comes near 80 digits
            numerator, denominator = metered_micros(item, usage).as_integer_ratio()
        return half_up_div(numerator, denominator * MICROS_PER_CENT)
    used, used_den = usage.as_integer_ratio()
    included, included_den = item.included_ratio
    billable = used * included_den - included * used_den  # over used_den * included_den
    if billable <= 0:
        return 0
    return half_up_div(billable * item.unit_price_micros, used_den * included_den * MICROS_PER_CENT)


def quote(sub: Subscription, usage: dict[str, Decimal], period: Period, window_end: datetime) -> Quote:
    """Price `sub` on `usage` (per catalog item) for [start of `period`, `window_end`).

    Each line also carries its projection to the month's end: metered amounts
    scaled by the run rate, flat items prorated over the whole month.
    """
    return quote_all([sub], {sub.id: usage}, period, window_end)[0]


def quote_all(subs, usage: dict[str, dict[str, Decimal]], period: Period, window_end: datetime) -> list[Quote]:
    """`quote` for many subscriptions over one window (`usage` keyed by subscription id)."""
    month_start, month_end = period.start_at, period.end_at
    month_us = period.seconds * 1_000_000
    elapsed_us = _microseconds(window_end - month_start)
    flat_scale = month_us * MICROS_PER_CENT
    no_usage: dict[str, Decimal] = {}
    quotes = []
    for sub in subs:
        used = usage.get(sub.id, no_usage)
        window_us = sub.active_microseconds(month_start, window_end)
        month_active_us = sub.active_microseconds(month_start, month_end)
        lines = []
        for item in sub.items:
            if item.pricing_model not in PRICING_MODELS:
                raise ArcadiaError(f"catalog item {item.sku} has unknown pricing_model {item.pricing_model!r}")
            if item.currency != sub.currency and item.price_override_micros is None:
                raise MixedCurrencyError(f"subscription {sub.id} item {item.sku}", {item.currency, sub.currency})
            if item.metered:
                quantity = used.get(item.catalog_item_id, ZERO)
                amount = _metered_cents(item, quantity)
                projected = half_up_div(amount * month_us, elapsed_us) if elapsed_us > 0 else 0
            else:
                quantity = item.quantity
                units, units_den = item.quantity_ratio
                flat = units * item.unit_price_micros  # micros × units_den
                amount = half_up_div(flat * window_us, units_den * flat_scale)
                projected = half_up_div(flat * month_active_us, units_den * flat_scale)
            lines.append(Line(
                item.catalog_item_id, item.sku, item.name, item.billing_kind, item.pricing_model,
                quantity, item.unit_price_micros, amount, projected,
            ))
        quotes.append(Quote(sub, tuple(lines)))
    return quotes
