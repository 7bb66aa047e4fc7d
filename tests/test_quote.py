"""Quote engine rules, one table per rule (pure Python, no database)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, localcontext

import pytest
from hypothesis import given
from hypothesis import strategies as st

from arcadia.errors import ArcadiaError, MixedCurrencyError
from arcadia.money import gst_cents, half_up, micros_to_cents, margin_pct
from arcadia.period import UTC, Period
from arcadia.quote import Item, Subscription, Tier, _metered_cents, graduated_micros, metered_micros, quote

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
    usage=st.one_of(*(st.decimals(min_value=-10**6, max_value=10**12, places=places, allow_nan=False,
                                  allow_infinity=False) for places in (0, 2, 6, 9))),
    included=st.sampled_from([Decimal(0), Decimal(5), Decimal("0.5"), Decimal("100.000001")]),
    price=st.integers(0, 10**9),
    override=st.sampled_from([None, 7_777]),
    model=st.sampled_from(["per_unit", "tiered"]),
    bounds=st.lists(st.sampled_from([Decimal(10), Decimal("50.5"), Decimal(1000), Decimal("0.0000001")]), max_size=3),
)
def test_integer_pricing_equals_the_exact_decimal_definition(usage, included, price, override, model, bounds):
    """The hot path (integers in millionths of a unit) prices exactly like metered_micros, finer values included."""
    tiers = tuple(Tier(b, price + i) for i, b in enumerate(sorted(bounds))) + (Tier(None, max(price - 1, 0)),)
    item = Item("c", "SKU", "n", "compute", model, price, override, included, tiers if model == "tiered" else ())
    with localcontext(prec=80):
        expected = micros_to_cents(metered_micros(item, usage))
    assert _metered_cents(item, usage) == expected
