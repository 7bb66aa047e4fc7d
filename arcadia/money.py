"""Money: integer minor units (cents), micros for sub-cent prices, half-up rounding, formatting."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

MICROS_PER_CENT = 10_000


def micros_to_cents(micros: Fraction | Decimal | int) -> int:
    """An exact amount in micros rounded half-up to whole cents."""
    return half_up(Fraction(micros) / MICROS_PER_CENT)


def half_up(exact: Fraction) -> int:
    """Exact rational rounded half-up (ties away from zero) to an integer."""
    return half_up_div(exact.numerator, exact.denominator)


def half_up_div(numerator: int, denominator: int) -> int:
    """numerator / denominator (denominator > 0) rounded half-up, ties away from zero: integers only."""
    whole = (2 * abs(numerator) + denominator) // (2 * denominator)
    return -whole if numerator < 0 else whole


def gst_cents(subtotal_cents: int) -> int:
    """GST: 10 % of the subtotal, half-up to the cent."""
    return half_up_div(subtotal_cents, 10)


_HUNDREDTHS = tuple(f"{rest:02d}" for rest in range(100))


def fmt(cents: int) -> str:
    """Contract money string: '71.12', '-15.80'."""
    # Written for speed: a large month's accrual document formats ~500,000 amounts.
    cents = int(cents)
    if cents < 0:
        whole, rest = divmod(-cents, 100)
        return f"-{whole}.{_HUNDREDTHS[rest]}"
    whole, rest = divmod(cents, 100)
    return f"{whole}.{_HUNDREDTHS[rest]}"


def to_decimal(cents: int) -> Decimal:
    """Cents as an exact Decimal of currency units (for display and CSV)."""
    return Decimal(int(cents)).scaleb(-2)


def display(cents: int, currency: str = "USD") -> str:
    """Human money: '$1,234.50', '-$15.80', 'EUR 3.00'."""
    sign = "-" if cents < 0 else ""
    whole, rest = divmod(abs(int(cents)), 100)
    symbol = "$" if currency in ("USD", "AUD") else f"{currency} "
    return f"{sign}{symbol}{whole:,}.{rest:02d}"


def margin_pct(margin_cents: int, revenue_cents: int) -> Decimal | None:
    """Margin / revenue × 100, half-up to one decimal; None when revenue is 0."""
    if revenue_cents == 0:
        return None
    sign = -1 if revenue_cents < 0 else 1
    tenths = half_up_div(sign * margin_cents * 1000, sign * revenue_cents)
    return Decimal(tenths).scaleb(-1)
