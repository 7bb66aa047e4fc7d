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

from arcadia.errors import DataError, MixedCurrencyError
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
    def included_micro_units(self) -> int | bool:
        return _micro_units(self.included_units)

    @cached_property
    def quantity_ratio(self) -> tuple[int, int]:
        return self.quantity.as_integer_ratio()

    @cached_property
    def micro_tiers(self) -> tuple[tuple[int | None, int], ...] | None:
        """The tiers' bounds in millionths of a unit (None when a bound is finer than that)."""
        bounds = [None if t.up_to is None else _micro_units(t.up_to) for t in self.tiers]
        if any(b is False for b in bounds):
            return None
        return tuple((bound, t.unit_price_micros) for bound, t in zip(bounds, self.tiers))


def _micro_units(value: Decimal) -> int | bool:
    """`value` in millionths of a unit, exactly; False when it has more than 6 decimals."""
    numerator, denominator = value.as_integer_ratio()
    units, rest = divmod(numerator * 1_000_000, denominator)
    return False if rest else units


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


def _metered_cents(item: Item, used: int) -> int:
    """A metered line's amount for `used` millionths of a unit, half-up to the cent, in integers (the hot path
    of the accrual: usage comes from the database in millionths, the contract's numeric(20,6)).

    An included quantity or a tier bound finer than a millionth takes the exact Decimal path.
    """
    included = item.included_micro_units
    tiers = item.micro_tiers if item.graduated else ()
    if included is False or tiers is None:
        with localcontext(prec=80):  # exact: no product of these inputs comes near 80 digits
            numerator, denominator = metered_micros(item, Decimal(used).scaleb(-6)).as_integer_ratio()
        return half_up_div(numerator, denominator * MICROS_PER_CENT)
    billable = used - included
    if billable <= 0:
        return 0
    micros = _graduated(billable, tiers) if item.graduated else billable * item.unit_price_micros
    return half_up_div(micros, 1_000_000 * MICROS_PER_CENT)


def _graduated(billable: int, tiers: tuple[tuple[int | None, int], ...]) -> int:
    """graduated_micros in millionths of a unit: Σ units × price over the tiers (× 10^6)."""
    total, lower = 0, 0
    for index, (upper, price) in enumerate(tiers):
        if index == len(tiers) - 1:
            upper = None
        units = (billable if upper is None else min(billable, upper)) - lower
        if units > 0:
            total += units * price
        if upper is None or billable <= upper:
            break
        lower = upper
    return total


def quote(sub: Subscription, usage: dict[str, Decimal], period: Period, window_end: datetime) -> Quote:
    """Price `sub` on `usage` (units per catalog item, at most 6 decimals) for [start of `period`, `window_end`).

    Each line also carries its projection to the month's end: metered amounts
    scaled by the run rate, flat items prorated over the whole month.
    """
    micros = {}
    for catalog_item_id, quantity in usage.items():
        micros[catalog_item_id] = _micro_units(quantity)
        if micros[catalog_item_id] is False:
            raise ValueError(f"usage {quantity} of {catalog_item_id} is finer than a millionth of a unit: "
                             "quantities are numeric(20,6)")
    return quote_all([sub], {sub.id: micros}, period, window_end)[0]


def quote_all(subs, usage: dict[str, dict[str, int]], period: Period, window_end: datetime) -> list[Quote]:
    """`quote` for many subscriptions over one window; `usage` in millionths of a unit per subscription id and
    catalog item id, as billing.usage_totals reads it."""
    month_start = period.start_at
    month_us = period.seconds * 1_000_000
    elapsed_us = _microseconds(window_end - month_start)
    whole_month = (max(0, elapsed_us), month_us)  # (window, month) activity of a subscription active all month
    # Thousands of subscriptions share a few item lists and most are active all month: a list's lines without
    # usage (flat lines priced, metered lines on no usage) are made and checked once per list, currency and
    # activity, and a subscription only prices its metered lines that have usage, each item's usage once.
    templates: dict[tuple, tuple[tuple[Line, ...], tuple[tuple[int, _MeteredLines], ...]]] = {}
    meters: dict[int, _MeteredLines] = {}
    no_usage: dict[str, int] = {}
    quotes = []
    for sub in subs:
        if sub.ended_at is None and sub.started_at <= month_start:
            activity = whole_month
        else:
            activity = (sub.active_microseconds(month_start, window_end),
                        sub.active_microseconds(month_start, period.end_at))
        key = (id(sub.items), sub.currency, activity)
        template = templates.get(key)
        if template is None:
            template = templates[key] = _template(sub, activity, month_us, elapsed_us, meters)
        lines, metered = template
        used = usage.get(sub.id, no_usage)
        if used and metered:
            lines = list(lines)
            for position, meter in metered:
                quantity = used.get(meter.catalog_item_id)
                if quantity is not None:
                    lines[position] = meter.line(quantity)
            lines = tuple(lines)
        quotes.append(Quote(sub, lines))
    return quotes


class _MeteredLines:
    """A per_unit or tiered item's lines over one window, by usage in millionths of a unit: the same usage
    (zero, a full month of a fixed allowance, a round figure) is priced once and its Line shared."""

    __slots__ = ("item", "catalog_item_id", "month_us", "elapsed_us", "made")

    def __init__(self, item: Item, month_us: int, elapsed_us: int):
        self.item, self.catalog_item_id = item, item.catalog_item_id
        self.month_us, self.elapsed_us = month_us, elapsed_us
        self.made: dict[int, Line] = {}

    def line(self, used: int) -> Line:
        """The line on `used` millionths of a unit, projected by the run rate."""
        line = self.made.get(used)
        if line is None:
            item = self.item
            amount = _metered_cents(item, used)
            projected = half_up_div(amount * self.month_us, self.elapsed_us) if amount and self.elapsed_us > 0 else 0
            line = self.made[used] = Line(
                item.catalog_item_id, item.sku, item.name, item.billing_kind, item.pricing_model,
                Decimal(used).scaleb(-6) if used else ZERO, item.unit_price_micros, amount, projected)
        return line


def _template(sub: Subscription, activity: tuple[int, int], month_us: int, elapsed_us: int,
              meters: dict[int, _MeteredLines]) -> tuple[tuple[Line, ...], tuple[tuple[int, _MeteredLines], ...]]:
    """A subscription's lines on no usage, and its metered items' lines by usage with their positions."""
    window_us, month_active_us = activity
    lines, metered = [], []
    for position, item in enumerate(sub.items):
        _check(item, sub)
        if item.metered:
            meter = meters.get(id(item))
            if meter is None:
                meter = meters[id(item)] = _MeteredLines(item, month_us, elapsed_us)
            metered.append((position, meter))
            lines.append(meter.line(0))
        else:
            lines.append(_flat_line(item, window_us, month_active_us, month_us))
    return tuple(lines), tuple(metered)


def _check(item: Item, sub: Subscription) -> None:
    if item.pricing_model not in PRICING_MODELS:
        raise DataError(f"catalog item {item.sku!r} ({item.catalog_item_id}) has unknown pricing_model "
                        f"{item.pricing_model!r}: expected one of {', '.join(PRICING_MODELS)}")
    if item.currency != sub.currency and item.price_override_micros is None:
        raise MixedCurrencyError(f"subscription {sub.id} item {item.sku}", {item.currency, sub.currency})


def _flat_line(item: Item, window_us: int, month_active_us: int, month_us: int) -> Line:
    """quantity × price × active share of the month, for the window and projected to the month's end."""
    units, units_den = item.quantity_ratio
    flat = units * item.unit_price_micros  # micros × units_den
    scale = units_den * month_us * MICROS_PER_CENT
    return Line(item.catalog_item_id, item.sku, item.name, item.billing_kind, item.pricing_model, item.quantity,
                item.unit_price_micros, half_up_div(flat * window_us, scale), half_up_div(flat * month_active_us, scale))
