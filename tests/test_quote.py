"""Quote engine rules, one table per rule (pure Python, no database)."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal, localcontext
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from arcadia.errors import ArcadiaError, MixedCurrencyError
from arcadia.money import MICROS_PER_CENT, gst_cents, half_up, margin_pct, micros_to_cents
from arcadia.period import UTC, Period
from arcadia.quote import (Item, Subscription, Tier, _metered_cents, graduated_micros, metered_micros, quote,
                           quote_all)

MARCH = Period.parse("2026-03-01")  # 31 days
START = datetime(2026, 3, 1, tzinfo=UTC)
END = datetime(2026, 4, 1, tzinfo=UTC)
TIERS = (Tier(Decimal(100), 10_000), Tier(None, 8_000))


def item(model="per_unit", price=10_000, included="0", tiers=(), override=None, quantity="1", currency="USD"):
    return Item("cat-1", "SKU", "Item", "compute", model, price, override, Decimal(included), tiers, Decimal(quantity), currency)


def one_line(it, usage="0", started=START, ended=None, until=END):
    sub = Subscription("sub-1", "acme", None, started, ended, "USD", (it,))
    return quote(sub, {"cat-1": Decimal(usage)}, MARCH, until).lines[0]


@pytest.mark.parametrize("case, it, usage, expected_cents", [
    ("per_unit plain", item(price=12_000), "2892", 3470),             # 34.704 -> 34.70
    ("per_unit tie x.xx5 rounds up", item(price=10_000), "0.5", 1),    # 0.005 -> 0.01
    ("per_unit just below the tie", item(price=10_000), "0.4999", 0),  # 0.004999 -> 0.00
    ("per_unit 0.125 cents up", item(price=1_250), "1", 0),            # 0.00125 -> 0.00
    ("per_unit 1.5 cents up", item(price=15_000), "1", 2),
    ("included units subtract", item(price=20_000, included="100"), "150", 100),
    ("usage under included is zero", item(price=20_000, included="100"), "40", 0),
    ("override beats catalog", item(price=20_000, override=5_000), "10", 5),
    ("override zero is free", item(price=20_000, override=0), "10", 0),
    ("tiered inside first tier", item("tiered", tiers=TIERS), "50", 50),
    ("tiered at the boundary", item("tiered", tiers=TIERS), "100", 100),
    ("tiered crossing the boundary", item("tiered", tiers=TIERS), "150", 140),    # 100*0.01 + 50*0.008
    ("tiered with included", item("tiered", tiers=TIERS, included="20"), "150", 124),  # 130 billable: 1.00 + 0.24
    ("tiered fractional crossing", item("tiered", tiers=TIERS), "100.625", 101),  # 1.00 + 0.005 -> 1.01
    ("tiered without tiers uses unit price", item("tiered", price=3_000), "10", 3),
    ("tiered with override ignores tiers", item("tiered", tiers=TIERS, override=1_000), "150", 15),
    ("no usage", item(price=12_000), "0", 0),
])
def test_metered_line(case, it, usage, expected_cents):
    assert one_line(it, usage).amount_cents == expected_cents, case


@pytest.mark.parametrize("case, it, started, ended, until, expected_cents", [
    ("whole month", item("flat", price=31_000_000), START, None, END, 3100),
    ("quantity multiplies", item("flat", price=31_000_000, quantity="3"), START, None, END, 9300),
    ("started mid-month", item("flat", price=31_000_000), datetime(2026, 3, 11, tzinfo=UTC), None, END, 2100),
    ("ended mid-month", item("flat", price=31_000_000), START, datetime(2026, 3, 3, tzinfo=UTC), END, 200),
    ("started before the month", item("flat", price=31_000_000), datetime(2025, 1, 1, tzinfo=UTC), None, END, 3100),
    ("window to the 11th", item("flat", price=31_000_000), START, None, datetime(2026, 3, 11, tzinfo=UTC), 1000),
    ("half hour of $6.00", item("flat", price=6_000_000), START, None, datetime(2026, 3, 1, 0, 30, tzinfo=UTC), 0),
    ("proration tie rounds up", item("flat", price=31_000), START, None, datetime(2026, 3, 16, 12, tzinfo=UTC), 2),  # 1.55 cents
    ("not active in window", item("flat", price=31_000_000), datetime(2026, 3, 20, tzinfo=UTC), None,
     datetime(2026, 3, 10, tzinfo=UTC), 0),
])
def test_flat_proration(case, it, started, ended, until, expected_cents):
    assert one_line(it, started=started, ended=ended, until=until).amount_cents == expected_cents, case


@pytest.mark.parametrize("billable, expected_micros", [
    ("0", 0), ("99.5", 995_000), ("100", 1_000_000), ("101", 1_008_000), ("1000", 8_200_000),
])
def test_graduated(billable, expected_micros):
    assert graduated_micros(Decimal(billable), TIERS) == expected_micros


def test_units_past_a_bounded_last_tier_take_its_price():
    assert graduated_micros(Decimal(150), (Tier(Decimal(100), 10_000), Tier(Decimal(120), 5_000))) == 1_000_000 + 50 * 5_000


@pytest.mark.parametrize("subtotal, gst", [(7112, 711), (5, 1), (4, 0), (15, 2), (14, 1), (0, 0), (-15, -2)])
def test_gst_half_up(subtotal, gst):
    assert gst_cents(subtotal) == gst


@pytest.mark.parametrize("micros, cents", [(5_000, 1), (4_999, 0), (15_000, 2), (-5_000, -1), (0, 0), (347_040_000, 34_704)])
def test_micros_to_cents(micros, cents):
    assert micros_to_cents(micros) == cents


@pytest.mark.parametrize("margin, revenue, pct", [
    (4059, 7112, Decimal("57.1")), (-1580, 7112, Decimal("-22.2")), (1, 8, Decimal("12.5")),
    (1, 16, Decimal("6.3")), (-1, 16, Decimal("-6.3")), (0, 100, Decimal("0.0")), (-300, 0, None),
])
def test_margin_pct(margin, revenue, pct):
    assert margin_pct(margin, revenue) == pct


def test_half_up_is_exact_on_fractions():
    from fractions import Fraction
    assert half_up(Fraction(5, 2)) == 3 and half_up(Fraction(-5, 2)) == -3 and half_up(Fraction(7, 3)) == 2


def test_quote_totals_and_projection():
    items = (item("flat", price=31_000_000), Item("cat-2", "C", "C", "compute", "per_unit", 12_000, None, Decimal(0), (), Decimal(1)))
    sub = Subscription("s", "acme", None, START, None, "USD", items)
    q = quote(sub, {"cat-2": Decimal("1000")}, MARCH, datetime(2026, 3, 11, tzinfo=UTC))
    assert [line.amount_cents for line in q.lines] == [1000, 1200]
    assert (q.subtotal_cents, q.tax_cents, q.total_cents) == (2200, 220, 2420)
    # flat: prorated to the month's end; metered: 1200 * 31 / 10
    assert [line.projected_cents for line in q.lines] == [3100, 3720]
    assert q.projected_subtotal_cents == 6820


def test_catalog_in_another_currency_is_an_error_naming_both():
    sub = Subscription("s", "acme", None, START, None, "USD", (item(currency="EUR"),))
    with pytest.raises(MixedCurrencyError, match="EUR, USD"):
        quote(sub, {}, MARCH, END)


def test_unknown_pricing_model_is_named():
    sub = Subscription("s", "acme", None, START, None, "USD", (item("volume"),))
    with pytest.raises(ArcadiaError, match="volume"):
        quote(sub, {}, MARCH, END)


@pytest.mark.parametrize("value, start", [
    ("2026-04-01", "2026-04-01"), ("2026-04-30", "2026-04-01"), ("2026-04", "2026-04-01"), (" 2026-12-31 ", "2026-12-01"),
    ("9998-12-01", "9998-12-01"), ("1970-01-31", "1970-01-01"),
])
def test_period_parse(value, start):
    assert str(Period.parse(value)) == start


@pytest.mark.parametrize("value", ["", "2026-13-01", "2026-02-30", "9999-12-01", "0001-01-01", "2026-4-1", "26-04-01",
                                   "2026-04-01T00:00", "٢٠٢٦-04-01", None, 20260401])
def test_period_parse_refuses(value):
    from arcadia.errors import InputError
    with pytest.raises(InputError, match="invalid period"):
        Period.parse(value)


@pytest.mark.parametrize("value", ["0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "2026-04-01T00:00:00Z\x00x", "soon"])
def test_instant_parse_refuses(value):
    from arcadia.errors import InputError
    from arcadia.period import parse_instant
    with pytest.raises(InputError, match="invalid instant"):
        parse_instant(value)


@given(
    used=st.one_of(st.integers(-10**12, 10**18), st.integers(0, 10**9)),  # millionths of a unit
    included=st.sampled_from([Decimal(0), Decimal(5), Decimal("0.5"), Decimal("100.000001"), Decimal("0.0000005"),
                              Decimal(-3)]),
    price=st.integers(0, 10**9),
    override=st.sampled_from([None, 7_777, -50]),
    model=st.sampled_from(["per_unit", "tiered"]),
    bounds=st.lists(st.sampled_from([Decimal(10), Decimal("50.5"), Decimal(1000), Decimal("0.0000001")]), max_size=3),
)
def test_integer_pricing_equals_the_exact_decimal_definition(used, included, price, override, model, bounds):
    """The hot path (integers in millionths of a unit) prices exactly like metered_micros, also where an included
    quantity or a tier bound is finer than a millionth (the exact path)."""
    tiers = tuple(Tier(b, price + i) for i, b in enumerate(sorted(bounds))) + (Tier(None, max(price - 1, 0)),)
    item = Item("c", "SKU", "n", "compute", model, price, override, included, tiers if model == "tiered" else ())
    with localcontext(prec=80):
        expected = micros_to_cents(metered_micros(item, Decimal(used).scaleb(-6)))
    assert _metered_cents(item, used) == expected


# --- quote_all against a straightforward reference -----------------------------------------------------

def reference_quote(sub: Subscription, usage: dict[str, int], period: Period, window_end: datetime) -> list[tuple]:
    """The contract's quote engine written plainly (Fractions, no caching): each line's fields as a tuple."""
    month_seconds = Fraction((period.end_at - period.start_at) // timedelta(seconds=1))

    def active(end):
        lo, hi = max(period.start_at, sub.started_at), end if sub.ended_at is None else min(end, sub.ended_at)
        return max(Fraction(0), Fraction((hi - lo) // timedelta(microseconds=1), 1_000_000))

    elapsed = Fraction((window_end - period.start_at) // timedelta(microseconds=1), 1_000_000)
    lines = []
    for it in sub.items:
        price = it.catalog_price_micros if it.price_override_micros is None else it.price_override_micros
        if it.pricing_model == "flat":
            share = Fraction(it.quantity) * price / month_seconds
            quantity, amount = it.quantity, half_up(share * active(window_end) / MICROS_PER_CENT)
            projected = half_up(share * active(period.end_at) / MICROS_PER_CENT)
        else:
            used = Fraction(usage.get(it.catalog_item_id, 0), 1_000_000)
            billable = max(Fraction(0), used - Fraction(it.included_units))
            if it.pricing_model == "tiered" and it.tiers and it.price_override_micros is None:
                micros, lower = Fraction(0), Fraction(0)
                for index, tier in enumerate(it.tiers):
                    upper = None if index == len(it.tiers) - 1 or tier.up_to is None else Fraction(tier.up_to)
                    top = billable if upper is None else min(billable, upper)
                    micros += max(Fraction(0), top - lower) * tier.unit_price_micros
                    if upper is None or billable <= upper:
                        break
                    lower = upper
            else:
                micros = billable * price
            quantity = Decimal(usage.get(it.catalog_item_id, 0)).scaleb(-6)
            amount = half_up(micros / MICROS_PER_CENT)
            projected = half_up(amount * month_seconds / elapsed) if elapsed > 0 else 0
        lines.append((it.catalog_item_id, it.sku, it.name, it.billing_kind, it.pricing_model, quantity, price,
                      amount, projected))
    return lines


def _items():
    """Catalog-like items: flat, per_unit and tiered, overrides, included quantities (some finer than a
    millionth, one negative), tier bounds finer than a millionth."""
    tiers = st.lists(st.tuples(st.sampled_from([Decimal(1), Decimal("2.5"), Decimal(100), Decimal("0.0000005")]),
                               st.integers(0, 200_000)), max_size=3).map(
        lambda ts: tuple(Tier(b, p) for b, p in sorted(dict(ts).items())) + (Tier(None, 5_000),))
    return st.builds(
        lambda n, model, price, override, included, tiers, quantity: Item(
            f"cat-{n}", f"SKU-{n}", f"Item {n}", "compute", model, price, override, included,
            tiers if model == "tiered" else (), quantity),
        st.integers(0, 5), st.sampled_from(["flat", "per_unit", "tiered"]), st.integers(0, 10**8),
        st.sampled_from([None, 0, 12_345]),
        st.sampled_from([Decimal(0), Decimal(10), Decimal("0.25"), Decimal("1.0000005"), Decimal(-2)]),
        tiers, st.sampled_from([Decimal(1), Decimal(3), Decimal("0.5"), Decimal("1.333")]))


@st.composite
def accrual_inputs(draw):
    """Subscriptions sharing a few item lists (as the database hands them over), activity of any kind in and
    around the month, usage in millionths (zero and negative sums too), and a window end in the month."""
    lists = draw(st.lists(st.lists(_items(), max_size=4, unique_by=lambda i: i.catalog_item_id).map(tuple),
                          min_size=1, max_size=3))
    offsets = st.integers(-40 * 86400, 35 * 86400).map(lambda s: MARCH.start_at + timedelta(seconds=s))
    subs, usage = [], {}
    for n in range(draw(st.integers(1, 12))):
        items = draw(st.sampled_from(lists))
        started = draw(st.one_of(st.just(datetime(2026, 1, 1, tzinfo=UTC)), offsets))
        ended = draw(st.one_of(st.none(), offsets.filter(lambda e, s=started: e > s)))
        subs.append(Subscription(f"sub-{n}", "acme", None, started, ended, "USD", items))
        used = draw(st.dictionaries(st.sampled_from([i.catalog_item_id for i in items] + ["cat-other"]),
                                    st.one_of(st.just(0), st.integers(-10**6, 10**13)), max_size=4))
        if used or draw(st.booleans()):
            usage[f"sub-{n}"] = used
    until = MARCH.start_at + timedelta(microseconds=draw(st.integers(0, MARCH.seconds * 1_000_000)))
    return subs, usage, until


@given(accrual_inputs())
def test_quote_all_equals_the_reference_quote(inputs):
    """Templates per item list, integer micros and the zero-usage shortcut price every line as the plain
    definition does: amounts, projections, quantities and prices."""
    subs, usage, until = inputs
    quotes = quote_all(subs, usage, MARCH, until)
    assert [q.subscription for q in quotes] == subs
    for sub, q in zip(subs, quotes):
        expected = reference_quote(sub, usage.get(sub.id, {}), MARCH, until)
        assert [tuple(line) for line in q.lines] == expected
        assert all(type(line.quantity) is Decimal for line in q.lines)
        assert q.subtotal_cents == sum(line[7] for line in expected)


def test_quote_refuses_usage_finer_than_a_millionth():
    with pytest.raises(ValueError, match="finer than a millionth"):
        one_line(item(), usage="0.0000001")
