"""Fuzzing: the API under generated requests, and Hypothesis properties of period parsing and the quote engine.

1. Schemathesis drives the API in-process (the ASGI app of `arcadia.api.create_api`
   on the demo, with an admin token) from its own OpenAPI document, for every
   operation, with schema-valid (positive) and schema-breaking (negative)
   requests: no response is ever ≥ 500, and every response passes Schemathesis'
   checks (status code, content type, headers and body as the document says),
   except "a schema-valid request is accepted": the document types `period` as
   any string, so `period=", "` is schema-valid and rightly a 400.
   Well-formed dates over the whole calendar then reach the database: 200
   exactly when the year is in 1970–9998, else 400.
2. `Period.parse`, `parse_instant` and `accrual_period` on arbitrary text raise
   nothing but InputError, and round-trip every valid date and instant.
3. Quote-engine lines are integers, graduated pricing is monotone in usage and
   per_unit is max(0, usage − included) × price, half-up to the cent.

Schemathesis' own pytest integration (`schemathesis.pytest.from_fixture`) uses a
pytest internal that pytest 9.2 no longer has, so its strategies run under
Hypothesis' `given` inside ordinary tests here.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from fractions import Fraction

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import positive_data_acceptance
from starlette.testclient import TestClient

from arcadia.api import create_api
from arcadia.auth import REQUIRED_ROLE, SECRET_ENV, AuthConfig, mint_token
from arcadia.errors import InputError
from arcadia.money import MICROS_PER_CENT, half_up
from arcadia.period import MAX_YEAR, MIN_YEAR, UTC, Period, accrual_period, parse_instant
from arcadia.quote import Item, Subscription, Tier, graduated_micros, quote

SECRET = "fuzz-secret-" + "x" * 40
TOKEN = mint_token(REQUIRED_ROLE, timedelta(hours=1), AuthConfig(secret=SECRET), sub="arcadia-fuzz")
# Every operation of the document but the document itself (Schemathesis leaves out the schema it loaded from).
OPERATIONS = ["GET /api/v1/dashboard/margin", "GET /api/v1/dashboard/by-kind", "GET /api/v1/dashboard/accrual"]
# 6 runs (3 operations × 2 modes) of up to 60 requests each: about 15 s in all on 2 busy cores.
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
PROPERTY = settings(max_examples=300, deadline=None)


# --- 1. the API under Schemathesis ---------------------------------------------------------------------

@pytest.fixture(scope="module")
def app(demo_sqlite_url):
    return create_api(demo_sqlite_url, {SECRET_ENV: SECRET})


@pytest.fixture(scope="module")
def api_schema(app):
    return schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)


def test_the_fuzzed_operations_are_all_the_documents_operations(api_schema):
    assert sorted(result.ok().label for result in api_schema.get_all_operations()) == sorted(OPERATIONS)


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=lambda mode: mode.value)
@pytest.mark.parametrize("label", OPERATIONS)
def test_no_generated_request_is_a_server_error(api_schema, label, mode):
    operation = api_schema.find_operation_by_label(label)
    statuses: Counter[int] = Counter()

    @FUZZ
    @given(case=operation.as_strategy(mode, headers={"Authorization": f"Bearer {TOKEN}"}))
    def request_once(case):
        response = case.call()
        statuses[response.status_code] += 1
        assert response.status_code < 500, f"{case.method} {case.formatted_path} {case.query!r}: {response.text}"
        case.validate_response(response, excluded_checks=[positive_data_acceptance])

    request_once()
    print(f"{label} {mode.value}: {sum(statuses.values())} requests, statuses {dict(sorted(statuses.items()))}")
    assert statuses and max(statuses) < 500


@pytest.fixture(scope="module")
def client(app):
    with TestClient(app, headers={"Authorization": f"Bearer {TOKEN}"}) as client:
        yield client


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(day=st.dates(), path=st.sampled_from(["margin", "by-kind"]), month_only=st.booleans())
def test_a_well_formed_period_is_answered_or_refused_never_a_server_error(client, day, path, month_only):
    text = f"{day:%Y-%m}" if month_only else day.isoformat()
    if len(text) != (7 if month_only else 10):
        text = text.zfill(7 if month_only else 10)  # strftime drops the leading zeros of years < 1000
    response = client.get(f"/api/v1/dashboard/{path}", params={"period": text})
    assert response.status_code == (200 if MIN_YEAR <= day.year <= MAX_YEAR else 400), response.text
    if response.status_code == 200:
        assert response.json()["period"] == f"{day:%Y-%m}-01"


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(moment=st.datetimes(timezones=st.just(UTC)))
def test_a_well_formed_as_of_is_answered_or_refused_never_a_server_error(client, moment):
    response = client.get("/api/v1/dashboard/accrual", params={"as_of": moment.isoformat()})
    served = moment > datetime(MIN_YEAR, 1, 1, tzinfo=UTC)  # the first instant of 1970 would accrue 1969-12
    assert response.status_code == (200 if served else 400), response.text
    if served:
        assert response.json()["period"] == str(accrual_period(moment))


# --- 2. period parsing ---------------------------------------------------------------------------------

IN_RANGE = st.dates(min_value=date(MIN_YEAR, 1, 1), max_value=date(MAX_YEAR, 12, 31))
OUT_OF_RANGE = st.dates(max_value=date(MIN_YEAR - 1, 12, 31)) | st.dates(min_value=date(MAX_YEAR + 1, 1, 1))
# Text near the accepted shapes finds more edges than uniform unicode alone.
DATE_LIKE = st.from_regex(r"\s*[0-9٠-٩]{1,5}-[0-9]{1,3}(-[0-9]{1,3})?(T[0-9:.+Z-]{0,20})?\s*", fullmatch=True)
TEXT = st.text() | DATE_LIKE
# Whole-minute UTC offsets, as ISO-8601 writes them.
OFFSETS = st.integers(-(24 * 60 - 1), 24 * 60 - 1).map(lambda minutes: timezone(timedelta(minutes=minutes)))


@PROPERTY
@given(value=TEXT | st.none() | st.integers() | st.floats() | st.binary())
def test_period_parse_of_anything_is_a_period_or_an_input_error(value):
    try:
        period = Period.parse(value)
    except InputError:
        return
    assert isinstance(value, str) and period.start.day == 1 and MIN_YEAR <= period.start.year <= MAX_YEAR


@PROPERTY
@given(day=IN_RANGE, padding=st.sampled_from(["", " ", "\t", " \n"]))
def test_period_parse_round_trips_every_valid_date(day, padding):
    period = Period.parse(f"{padding}{day.isoformat()}{padding}")
    assert period == Period.parse(f"{day:%Y-%m}") == Period.of(day) == Period.parse(str(period))
    assert str(period) == f"{day:%Y-%m}-01" and period.start <= day < period.end
    assert period.next().previous() == period and period.next().start == period.end
    assert period.seconds == (period.end - period.start).days * 86400 and 28 <= (period.end - period.start).days <= 31


@PROPERTY
@given(day=OUT_OF_RANGE)
def test_period_parse_refuses_years_outside_the_range(day):
    with pytest.raises(InputError, match="the year must be"):
        Period.parse(f"{day.year:04d}-{day.month:02d}-{day.day:02d}")


@PROPERTY
@given(value=TEXT | st.none() | st.integers() | st.floats())
def test_parse_instant_of_anything_is_an_aware_utc_instant_in_range_or_an_input_error(value):
    try:
        instant = parse_instant(value)
    except InputError:
        return
    assert instant.tzinfo is UTC and MIN_YEAR <= instant.year <= MAX_YEAR


@PROPERTY
@given(moment=st.datetimes(), offset=OFFSETS, zulu=st.booleans())
def test_parse_instant_round_trips_every_instant_it_accepts(moment, offset, zulu):
    aware = moment.replace(tzinfo=UTC if zulu else offset)
    text = aware.isoformat().replace("+00:00", "Z") if zulu else aware.isoformat()
    try:
        utc = aware.astimezone(UTC)
    except OverflowError:  # the instant in UTC falls before year 1 or after 9999
        utc = None
    if utc is None or not MIN_YEAR <= utc.year <= MAX_YEAR:
        with pytest.raises(InputError, match="invalid instant"):
            parse_instant(text)
        return
    instant = parse_instant(text)
    assert instant == aware and instant.tzinfo is UTC
    assert parse_instant(moment.isoformat()) == moment.replace(tzinfo=UTC) or not MIN_YEAR <= moment.year <= MAX_YEAR


@PROPERTY
@given(moment=st.datetimes(min_value=datetime(MIN_YEAR, 1, 1), max_value=datetime(MAX_YEAR, 12, 31, 23, 59, 59)))
def test_accrual_period_holds_the_instant_just_before(moment):
    instant = moment.replace(tzinfo=UTC)
    if instant == datetime(MIN_YEAR, 1, 1, tzinfo=UTC):
        with pytest.raises(InputError, match="outside"):
            accrual_period(instant)
        return
    period = accrual_period(instant)
    assert period.start_at < instant <= period.end_at
    # A month's first instant closes the month before.
    assert accrual_period(period.end_at) == period


@PROPERTY
@given(value=TEXT)
def test_accrual_period_of_any_text_is_a_period_or_an_input_error(value):
    try:
        period = accrual_period(value)
    except InputError:
        return
    assert MIN_YEAR <= period.start.year <= MAX_YEAR


# --- 3. the quote engine -------------------------------------------------------------------------------

MARCH = Period.parse("2026-03")
USAGE = st.decimals(min_value=0, max_value=10**9, places=6, allow_nan=False, allow_infinity=False)
PRICE = st.integers(0, 10**8)  # micros per unit: up to $100 a unit


@st.composite
def tier_lists(draw):
    """Graduated tiers: rising bounds, any non-negative prices, the last one unbounded."""
    bounds = sorted(draw(st.sets(st.decimals(min_value=Decimal("0.000001"), max_value=10**7, places=6,
                                             allow_nan=False, allow_infinity=False), max_size=4)))
    return tuple(Tier(bound, draw(PRICE)) for bound in [*bounds, None])


def _item(model: str, price: int, included: Decimal = Decimal(0), tiers: tuple[Tier, ...] = ()) -> Item:
    return Item("cat-1", "SKU", "Item", "compute", model, price, None, included, tiers)


def _line(item: Item, usage: Decimal):
    sub = Subscription("sub-1", "acme", None, MARCH.start_at, None, "USD", (item,))
    return quote(sub, {"cat-1": usage}, MARCH, MARCH.end_at).lines[0]


@PROPERTY
@given(model=st.sampled_from(["flat", "per_unit", "tiered"]), price=PRICE, usage=USAGE, tiers=tier_lists(),
       quantity=st.decimals(min_value=Decimal("0.001"), max_value=1000, places=3),
       until=st.integers(0, MARCH.seconds), started=st.integers(-86400, MARCH.seconds))
def test_every_line_amount_is_an_integer_number_of_cents(model, price, usage, tiers, quantity, until, started):
    item = Item("cat-1", "SKU", "Item", "compute", model, price, None, Decimal(0), tiers if model == "tiered" else (),
                quantity)
    sub = Subscription("sub-1", "acme", None, MARCH.start_at + timedelta(seconds=started), None, "USD", (item,))
    result = quote(sub, {"cat-1": usage}, MARCH, MARCH.start_at + timedelta(seconds=until))
    for value in (*(v for line in result.lines for v in (line.amount_cents, line.projected_cents)),
                  result.subtotal_cents, result.tax_cents, result.total_cents):
        assert type(value) is int
    assert result.subtotal_cents == sum(line.amount_cents for line in result.lines) >= 0


@PROPERTY
@given(tiers=tier_lists(), included=USAGE, a=USAGE, b=USAGE)
def test_graduated_pricing_is_monotone_in_usage(tiers, included, a, b):
    low, high = sorted([a, b])
    assert graduated_micros(low, tiers) <= graduated_micros(high, tiers)
    item = _item("tiered", 1, included, tiers)
    assert _line(item, low).amount_cents <= _line(item, high).amount_cents


@PROPERTY
@given(price=PRICE, usage=USAGE, bounds=st.lists(st.integers(1, 10**6), max_size=3))
def test_graduated_tiers_of_one_price_are_per_unit_pricing(price, usage, bounds):
    tiers = tuple(Tier(Decimal(bound), price) for bound in sorted(set(bounds))) + (Tier(None, price),)
    assert _line(_item("tiered", 1, tiers=tiers), usage).amount_cents == _line(_item("per_unit", price), usage).amount_cents


@PROPERTY
@given(price=PRICE, usage=USAGE, included=USAGE)
def test_per_unit_is_billable_units_times_price_half_up(price, usage, included):
    billable = max(Fraction(0), Fraction(usage) - Fraction(included))
    expected = half_up(billable * price / MICROS_PER_CENT)
    assert _line(_item("per_unit", price, included), usage).amount_cents == expected


@pytest.mark.parametrize("value", [
    datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=1))),
    datetime(9999, 12, 31, 23, tzinfo=timezone(timedelta(hours=-5))),
])
def test_an_instant_python_cannot_hold_in_utc_is_an_input_error(value):
    """Found by the fuzzing above: an aware datetime past the edges of UTC overflowed instead of being refused."""
    for parse in (Period.parse, parse_instant):
        with pytest.raises(InputError, match="outside the years 1–9999"):
            parse(value)
