"""A bad row spoils at most the figure that needs it, and that figure says which rows and why.

Each case writes one kind of bad row with plain SQL (as another program would) into the
hand-checked fixture, on SQLite and PostgreSQL, then checks: the figure that needs the row
fails with a DataError naming it; the other figures and months still answer; the page shows
the message (no traceback) and the CLI exits 1 with it.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from arcadia import analytics, charts
from arcadia.cli import main
from arcadia.errors import DataError, MixedCurrencyError
from arcadia.period import Period, parse_instant
from tests.conftest import fresh_engine, load_sql
from tests.test_pages import ADMIN, app_test

MARCH, APRIL, MAY = Period.parse("2026-03"), Period.parse("2026-04"), Period.parse("2026-05")
AS_OF = parse_instant("2026-05-21T12:00:00Z")
STORAGE = "d0000000-0000-4000-8000-000000000003"  # the fixture's tiered catalog item, used by its subscription
COST_LINE = ("INSERT INTO cloud_cost_lines (id, provider, provider_invoice_id, period, kind, product, description, "
             "amount_cents, currency) VALUES (:id, 'digitalocean', 'do-x', :period, :kind, 'Droplets', 'bad', :cents, "
             ":currency)")


@pytest.fixture
def small_url(small):
    return small.url.render_as_string(hide_password=False)


def _run(engine, sql: str, **binds) -> None:
    with engine.begin() as conn:
        conn.execute(sa.text(sql), binds)


def _cost_line(engine, n: int, period: str, cents: int, currency: str = "USD", kind: str = "droplet") -> None:
    _run(engine, COST_LINE, id=f"cbad0000-0000-4000-8000-{n:012d}", period=period, kind=kind, cents=cents,
         currency=currency)


MALFORMED_TIERS = [
    ('[{"up_to": "abc", "unit_price_micros": 100000}, {"up_to": null, "unit_price_micros": 80000}]', "tier 1: up_to 'abc' is not a number"),
    ('[{"up_to": 50, "unit_price_micros": "cheap"}]', "tier 1: unit_price_micros 'cheap' is not an integer"),
    ('[{"up_to": null, "unit_price_micros": 1}, {"up_to": 50, "unit_price_micros": 2}]', "tier 1: up_to null before the last tier"),
    ('[{"up_to": 50, "unit_price_micros": 2}, {"up_to": 40, "unit_price_micros": 1}]', "tier 2: up_to 40 not above the previous tier's (50)"),
    ('[]', "tiered item without tiers"),
    ('[{"up_to": 50, "unit_price_micros": -5}]', "tier 1: negative unit_price_micros (-5)"),
    ('{"up_to": 50}', "tiers is not a JSON list"),
    ('[{"up_to": true, "unit_price_micros": 1}]', "tier 1: up_to True is not a number"),
]


@pytest.mark.parametrize("tiers, why", MALFORMED_TIERS)
def test_malformed_tiers_fail_the_accrual_naming_the_item_and_nothing_else(small, tiers, why):
    _run(small, "UPDATE catalog_items SET tiers = :tiers WHERE id = :id", tiers=tiers, id=STORAGE)
    with pytest.raises(DataError) as failure:
        analytics.live_accrual(small, AS_OF)
    assert "'STORAGE'" in str(failure.value) and STORAGE in str(failure.value) and why in str(failure.value)
    assert analytics.margin_summary(small, MARCH).overall.cogs_cents == 2900  # the P&L does not price anything
    assert analytics.by_kind(small, MARCH).cogs


def test_malformed_tiers_on_the_accrual_page_and_in_the_cli(small, small_url, monkeypatch, capsys):
    _run(small, "UPDATE catalog_items SET tiers = :tiers WHERE id = :id", tiers=MALFORMED_TIERS[0][0], id=STORAGE)
    at = app_test(small_url, monkeypatch, user=ADMIN, page="pages/accrual.py", as_of="2026-05-21T12:00:00Z")
    assert not at.exception
    assert any("STORAGE" in t.value and "up_to 'abc'" in t.value for t in at.text)
    pnl = app_test(small_url, monkeypatch, user=ADMIN, period="2026-03")
    assert not pnl.exception and not pnl.error and pnl.metric  # the P&L page does not need the catalog
    assert main(["--database-url", small_url, "accrual", "--as-of", "2026-05-21T12:00:00Z"]) == 1
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert last.startswith("error: catalog item 'STORAGE'")


@pytest.mark.parametrize("column, value, why", [
    ("unit_price_micros", "'twelve'", "unit_price_micros 'twelve' is not an integer"),
    ("included_units", "'ten'", "included_units 'ten' is not a number"),
    ("tiers", "'[{up_to: 50}'", "tiers is not valid JSON"),
])
def test_text_where_sqlite_should_hold_a_number_names_the_item(tmp_path, request, column, value, why):
    """SQLite keeps whatever a writer puts in a column (PostgreSQL's types refuse these rows)."""
    engine = fresh_engine("sqlite", tmp_path, request)
    load_sql(engine, "small.sql")
    _run(engine, f"UPDATE catalog_items SET {column} = {value} WHERE id = :id", id=STORAGE)
    with pytest.raises(DataError, match=f"'STORAGE'.*{why}"):
        analytics.live_accrual(engine, AS_OF)


def test_an_unknown_pricing_model_names_the_item(small):
    _run(small, "UPDATE catalog_items SET pricing_model = 'volume' WHERE sku = 'COMPUTE'")
    with pytest.raises(DataError, match="'COMPUTE'.*pricing_model 'volume'"):
        analytics.live_accrual(small, AS_OF)


def test_one_foreign_currency_line_breaks_only_its_month_and_names_the_rows(small, small_url, monkeypatch):
    """A EUR cost line in March: March's P&L says which rows; April's page, the trend and other figures work."""
    _cost_line(small, 1, "2026-03-01", 700, currency="EUR")
    with pytest.raises(MixedCurrencyError) as failure:
        analytics.margin_summary(small, MARCH)
    assert "EUR, USD" in str(failure.value) and "EUR in unattributed (0 invoice(s), 1 cost line(s))" in str(failure.value)
    trend = analytics.monthly_pnl(small, MAY, months=3)
    assert [m.note for m in trend] == ["mixed currencies (EUR, USD)", "", ""]
    assert not trend[0].has_data and trend[1].has_data and trend[1].cogs_cents == 999
    figure = charts.trend(trend, "USD")
    assert figure.data[0].y[0] is None and "mixed currencies (EUR, USD)" in figure.layout.annotations[0].text

    april = app_test(small_url, monkeypatch, user=ADMIN, period="2026-04")
    assert not april.exception and not april.error  # the previous month's problem costs April only its deltas
    assert {m.label: m.value for m in april.metric}["COGS"] == "$9.99"
    assert not any(m.delta for m in april.metric), [(m.label, m.delta) for m in april.metric]
    assert any(t.value.startswith("March 2026: its figures could not be computed") and "EUR" in t.value
               for t in april.text)
    march = app_test(small_url, monkeypatch, user=ADMIN, period="2026-03")
    assert not march.exception
    assert any("could not be computed" in e.value for e in march.error)
    assert any("EUR in unattributed" in t.value for t in march.text)
    assert march.get("plotly_chart")  # the trend still draws the other months
    kinds = app_test(small_url, monkeypatch, user=ADMIN, page="pages/by_kind.py", period="2026-04")
    assert not kinds.exception and not kinds.error


def test_a_month_wholly_in_another_currency_is_a_gap_in_the_trend_not_an_error(small):
    _run(small, "UPDATE cloud_cost_lines SET currency = 'EUR' WHERE period = '2026-04-01'")
    assert analytics.margin_summary(small, APRIL).currency == "EUR"  # a month in one currency is fine
    trend = analytics.monthly_pnl(small, MAY, months=3)
    assert [m.note for m in trend] == ["", "in EUR, not USD", ""]
    assert [m.note for m in analytics.monthly_pnl(small, APRIL, months=2)] == ["in USD, not EUR", ""]


BIG = 9_000_000_000_000_000_000  # two of these pass the 64-bit range


def test_overflowing_amounts_are_named_and_spoil_only_their_month(small, small_url, capsys):
    _cost_line(small, 1, "2026-04-01", BIG)
    _cost_line(small, 2, "2026-04-01", BIG)
    for figure in (lambda: analytics.margin_summary(small, APRIL), lambda: analytics.by_kind(small, APRIL)):
        with pytest.raises(DataError, match="64-bit"):
            figure()
    assert analytics.margin_summary(small, MARCH).overall.cogs_cents == 2900
    assert analytics.by_kind(small, MARCH).cogs
    for command in (["margin", "--period", "2026-04"], ["by-kind", "--period", "2026-04"]):
        assert main(["--database-url", small_url, *command]) == 1
        last = capsys.readouterr().err.strip().splitlines()[-1]
        assert last.startswith("error: amounts of 2026-04 add up beyond 64-bit integers")
    assert main(["--database-url", small_url, "by-kind", "--period", "2026-03", "--json"]) == 0


def test_one_huge_amount_that_fits_is_exact(small):
    _cost_line(small, 1, "2026-04-01", BIG)
    assert analytics.margin_summary(small, APRIL).overall.cogs_cents == BIG + 999
