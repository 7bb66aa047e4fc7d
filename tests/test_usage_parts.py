"""Usage in a window, read from the pre-aggregates by a plan of signed parts (arcadia/usage_parts.py).

1. The plan: its parts add up to exactly the window at every instant, each part is aligned to its level, and
   the raw readings it reads lie within an hour of an edge, whatever the edges; at most 2 quarters of a day and
   3 hours of aggregate rows at an edge (table of windows, then Hypothesis on random ones).
2. billing.usage_totals equals a sum in Python over the readings written, on both databases, for windows whose
   edges fall on a month start or end, a day, an exact hour, a minute, a second or a microsecond, with readings
   at, just before and just after every edge (written in several ISO forms, as other programs write them).
3. On PostgreSQL the hour, quarter-day, day and month aggregates equal the raw readings grouped in Python after random
   plain-SQL inserts, updates, deletes and truncates (some in sessions whose time zone is not UTC).
"""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from arcadia import billing, usage_parts
from arcadia.db import raw
from arcadia.period import UTC, Period, parse_instant
from arcadia.usage_parts import Part
from tests.conftest import load_sql
from tests.test_preagg import assert_aggregates_match_a_rebuild

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
US = timedelta(microseconds=1)
HOUR = timedelta(hours=1)


def at(text: str) -> datetime:
    return parse_instant(text)


# --- 1. The plan -------------------------------------------------------------------------------------------

def covered(parts: list[Part], instant: datetime) -> int:
    """How many times the parts count a reading at `instant`."""
    return sum(p.sign for p in parts if p.start <= instant < p.end)


def aligned(part: Part) -> bool:
    """A month part runs between month starts, a day part between midnights, an hour part between hours."""
    if part.level == "raw":
        return True
    bounds = (part.start, part.end)
    if part.level == "month":
        return all(b == Period.of(b.date()).start_at for b in bounds)
    if part.level == "day":
        return all(b == b.replace(hour=0, minute=0, second=0, microsecond=0) for b in bounds)
    if part.level == "quarter_day":
        return all(b == b.replace(hour=b.hour // 6 * 6, minute=0, second=0, microsecond=0) for b in bounds)
    return all(b == b.replace(minute=0, second=0, microsecond=0) for b in bounds)


def within_the_hours_of_the_edges(part: Part, start: datetime, end: datetime) -> bool:
    """A raw part lies inside the hour that holds an edge (from the hour's start to the next hour, or to the edge
    itself when it is on the hour): at most an hour of readings at each edge. Both edges' hours when they touch."""
    hours = sorted((edge.replace(minute=0, second=0, microsecond=0), edge_hour_end(edge)) for edge in (start, end))
    if hours[0][1] >= hours[1][0]:
        hours = [(hours[0][0], max(hours[0][1], hours[1][1]))]
    return any(lo <= part.start and part.end <= hi for lo, hi in hours)


def edge_hour_end(edge: datetime) -> datetime:
    hour = edge.replace(minute=0, second=0, microsecond=0)
    return hour if hour == edge else hour + HOUR


def probes(start: datetime, end: datetime, parts: list[Part]) -> set[datetime]:
    """Instants where a miscount would show: every bound of the window and of the parts, ± a microsecond."""
    bounds = {start, end, *(p.start for p in parts), *(p.end for p in parts)}
    return {b + d for b in bounds for d in (-US, timedelta(0), US)}


def assert_plan_is_exact_and_bounded(start: datetime, end: datetime) -> list[Part]:
    parts = usage_parts.plan(start, end)
    for instant in probes(start, end, parts):
        assert covered(parts, instant) == (1 if start <= instant < end else 0), instant
    for part in parts:
        assert part.start < part.end and part.sign != 0 and aligned(part), part
        if part.level == "raw":
            assert within_the_hours_of_the_edges(part, start, end), part
    def read(level):
        return sum((abs(p.sign) * (p.end - p.start) for p in parts if p.level == level), timedelta(0))

    assert read("raw") < 2 * HOUR and read("hour") <= 2 * 3 * HOUR and read("quarter_day") <= 2 * 2 * 6 * HOUR
    return parts


# (window, the parts expected: level and sign, start, end). The accrual's windows start at the month's start.
PLANS = [
    ("an instant early in the month: forward", "2026-12-01T00:00Z", "2026-12-03T07:30Z",
     [("day", 1, "2026-12-01T00:00Z", "2026-12-03T00:00Z"), ("quarter_day", 1, "2026-12-03T00:00Z", "2026-12-03T06:00Z"),
      ("hour", 1, "2026-12-03T06:00Z", "2026-12-03T07:00Z"), ("raw", 1, "2026-12-03T07:00Z", "2026-12-03T07:30Z")]),
    ("a minute before noon: two quarters less that minute", "2026-12-01T00:00Z", "2026-12-05T11:59Z",
     [("day", 1, "2026-12-01T00:00Z", "2026-12-05T00:00Z"), ("quarter_day", 1, "2026-12-05T00:00Z", "2026-12-05T12:00Z"),
      ("raw", -1, "2026-12-05T11:59Z", "2026-12-05T12:00Z")]),
    ("late afternoon: the whole day less its evening quarter, an hour and 40 minutes", "2026-12-01T00:00Z",
     "2026-12-16T16:20Z",
     [("day", 1, "2026-12-01T00:00Z", "2026-12-17T00:00Z"), ("quarter_day", -1, "2026-12-16T18:00Z", "2026-12-17T00:00Z"),
      ("hour", -1, "2026-12-16T17:00Z", "2026-12-16T18:00Z"), ("raw", -1, "2026-12-16T16:20Z", "2026-12-16T17:00Z")]),
    ("just after midnight", "2026-12-01T00:00Z", "2026-12-05T00:10Z",
     [("day", 1, "2026-12-01T00:00Z", "2026-12-05T00:00Z"), ("raw", 1, "2026-12-05T00:00Z", "2026-12-05T00:10Z")]),
    ("late in the month: back from the month's total", "2026-12-01T00:00Z", "2026-12-28T22:10Z",
     [("month", 1, "2026-12-01T00:00Z", "2027-01-01T00:00Z"), ("day", -1, "2026-12-29T00:00Z", "2027-01-01T00:00Z"),
      ("hour", -1, "2026-12-28T22:00Z", "2026-12-29T00:00Z"), ("raw", 1, "2026-12-28T22:00Z", "2026-12-28T22:10Z")]),
    ("the whole month (the rollup)", "2026-12-01T00:00Z", "2027-01-01T00:00Z",
     [("month", 1, "2026-12-01T00:00Z", "2027-01-01T00:00Z")]),
    ("an exact hour", "2026-12-01T00:00Z", "2026-12-09T05:00Z",
     [("day", 1, "2026-12-01T00:00Z", "2026-12-09T00:00Z"), ("quarter_day", 1, "2026-12-09T00:00Z", "2026-12-09T06:00Z"),
      ("hour", -1, "2026-12-09T05:00Z", "2026-12-09T06:00Z")]),
    ("within one hour: the readings between the edges only", "2026-12-03T07:30:00.5Z", "2026-12-03T07:45Z",
     [("raw", 1, "2026-12-03T07:30:00.5Z", "2026-12-03T07:45Z")]),
    ("across a month's end", "2026-11-30T23:30Z", "2026-12-01T00:30Z",
     [("raw", 1, "2026-11-30T23:30Z", "2026-12-01T00:30Z")]),
    ("an empty window", "2026-12-03T07:30Z", "2026-12-03T07:30Z", []),
]


@pytest.mark.parametrize("case, start, end, expected", PLANS, ids=[p[0] for p in PLANS])
def test_plan(case, start, end, expected):
    parts = assert_plan_is_exact_and_bounded(at(start), at(end))
    assert parts == [Part(level, sign, at(s), at(e)) for level, sign, s, e in expected], case


INSTANTS = st.builds(lambda us: at("2026-11-01T00:00Z") + us * US, st.integers(0, 92 * 86400 * 10**6)) | (
    st.sampled_from([at(t) + d for t in ("2026-12-01T00:00Z", "2027-01-01T00:00Z", "2026-12-15T00:00Z",
                                          "2026-12-15T13:00Z") for d in (-US, timedelta(0), US, -HOUR, HOUR)]))


@settings(max_examples=500, deadline=None)
@given(a=INSTANTS, b=INSTANTS)
def test_every_plan_counts_each_instant_once_and_reads_under_an_hour_of_raw_readings_at_each_edge(a, b):
    assert_plan_is_exact_and_bounded(min(a, b), max(a, b))


def test_binds_are_one_array_per_level_and_bound():
    binds = usage_parts.binds(usage_parts.plan(at("2026-12-01T00:00Z"), at("2026-12-28T22:10Z")))
    assert binds["month_signs"] == [1] and binds["month_starts"][0].isoformat() == "2026-12-01"
    assert binds["day_ends"][0].isoformat() == "2027-01-01" and binds["raw_starts"] == [at("2026-12-28T22:00Z")]
    keys = ("signs", "starts", "ends")
    assert sorted(binds) == sorted(f"{level}_{key}" for level in usage_parts.LEVELS for key in keys)


# --- 2. usage_totals against the readings, both databases ---------------------------------------------------

SUBS = ["50000000-0000-4000-8000-000000000001", "50000000-0000-4000-8000-000000000002"]
ITEMS = ["d0000000-0000-4000-8000-000000000002", "d0000000-0000-4000-8000-000000000003"]
EDGES = ["2026-04-30T22:15:00Z", "2026-05-01T00:00:00Z", "2026-05-12T07:00:00Z", "2026-05-20T00:00:00Z",
         "2026-05-20T13:05:00Z", "2026-05-21T12:00:01Z", "2026-05-31T21:30:00.000001Z", "2026-05-31T23:59:59.999999Z",
         "2026-06-01T00:00:00Z", "2026-06-01T03:00:00.5Z"]
# How another program may write an instant (all mean the same instant; SQLite keeps the text as written).
FORMS = [lambda t: t.isoformat(sep=" ", timespec="microseconds"),
         lambda t: t.isoformat(timespec="microseconds").replace("+00:00", "Z"),
         lambda t: t.isoformat(sep=" "),  # no fraction on a whole second
         lambda t: t.astimezone(datetime.strptime("+10:00", "%z").tzinfo).isoformat(sep=" ", timespec="microseconds")]


def readings() -> list[tuple[str, str, datetime, Decimal]]:
    """At, a microsecond before and after every edge (and a millisecond either side), then one every 37 minutes
    from 2026-04-29 to 2026-06-03, and a reading with its correction (a (subscription, item) summing to zero)."""
    rng = random.Random(18)
    instants = [at(e) + d for e in EDGES for d in (-US, timedelta(0), US, timedelta(milliseconds=-1),
                                                   timedelta(milliseconds=1))]
    instants += [at("2026-04-29T00:00Z") + n * timedelta(minutes=37) for n in range(35 * 39)]
    rows = [(SUBS[n % 2], ITEMS[n // 2 % 2], instant, Decimal(rng.randrange(1, 10**9)).scaleb(-6))
            for n, instant in enumerate(instants)]
    correction = at("2026-05-20T13:04:59Z")
    return rows + [(SUBS[1], ITEMS[1], correction, Decimal("1.5")), (SUBS[1], ITEMS[1], correction, Decimal("-1.5"))]


def write_readings(engine: sa.Engine) -> list[tuple[str, str, datetime, Decimal]]:
    rows = readings()
    with engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM usage_records")
        for n, (sub, item, instant, quantity) in enumerate(rows):
            conn.execute(sa.text("INSERT INTO usage_records (id, subscription_id, catalog_item_id, quantity, "
                                 "recorded_at) VALUES (:id, :sub, :item, :quantity, :recorded_at)"),
                         {"id": f"72000000-0000-4000-8000-{n:012d}", "sub": sub, "item": item,
                          "quantity": str(quantity), "recorded_at": FORMS[n % len(FORMS)](instant)})
    return rows


def expected_totals(rows, start: datetime, end: datetime) -> dict[str, dict[str, int]]:
    totals: dict[str, dict[str, int]] = defaultdict(dict)
    for sub, item, instant, quantity in rows:
        if start <= instant < end:
            totals[sub][item] = totals[sub].get(item, 0) + int(quantity.scaleb(6))
    return dict(totals)


def totals(engine: sa.Engine, start: datetime, end: datetime) -> dict[str, dict[str, int]]:
    with engine.connect() as conn:
        return billing.usage_totals(conn, start, end)


@pytest.fixture
def usage_db(engine):
    load_sql(engine, "small.sql")
    return engine, write_readings(engine)


def test_usage_totals_equal_the_readings_for_edges_at_any_instant(usage_db):
    engine, rows = usage_db
    correction = ("2026-05-20T13:04:59Z", "2026-05-20T13:04:59.000001Z")  # the reading and its correction only
    windows = [(a, b) for a in EDGES for b in EDGES if at(a) < at(b)] + [("2026-04-01T00:00Z", "2026-07-01T00:00Z"),
                                                                          correction]
    shown = {(a, b): totals(engine, at(a), at(b)) for a, b in windows}
    assert shown == {(a, b): expected_totals(rows, at(a), at(b)) for a, b in windows}
    assert shown[correction] == {SUBS[1]: {ITEMS[1]: 0}}  # readings that sum to nothing still make a row
    if engine.dialect.name == "postgresql":  # the raw-row queries agree too
        assert {w: totals(raw(engine), at(w[0]), at(w[1])) for w in windows} == shown


EDGE_INSTANTS = st.sampled_from([at(e) for e in EDGES]).flatmap(
    lambda t: st.sampled_from([t - US, t, t + US, t - HOUR, t + timedelta(minutes=1)]))
WINDOW_INSTANTS = EDGE_INSTANTS | st.builds(lambda us: at("2026-04-29T00:00Z") + us * US,
                                            st.integers(0, 35 * 86400 * 10**6))


@SETTINGS
@given(a=WINDOW_INSTANTS, b=WINDOW_INSTANTS)
def test_usage_totals_of_random_windows_equal_the_readings(usage_db, a, b):
    engine, rows = usage_db
    start, end = min(a, b), max(a, b)
    assert totals(engine, start, end) == expected_totals(rows, start, end)


# --- 3. The hour, day and month aggregates after random plain-SQL changes (PostgreSQL) -----------------------

INSERT = ("INSERT INTO usage_records (id, subscription_id, catalog_item_id, quantity, recorded_at) "
          "SELECT gen_random_uuid(), '{sub}', '{item}', n * 0.000137 + {k}, "
          "TIMESTAMPTZ '{instant}' + n * INTERVAL '{step}' FROM generate_series(1, {count}) AS n")
CHANGES = [
    INSERT,
    "UPDATE usage_records SET recorded_at = recorded_at + INTERVAL '{shift}' WHERE quantity > {k}",
    "UPDATE usage_records SET quantity = quantity * 2 - {k} WHERE recorded_at < TIMESTAMPTZ '{instant}'",
    "UPDATE usage_records SET subscription_id = '{sub}', catalog_item_id = '{item}' WHERE quantity < {k}",
    "DELETE FROM usage_records WHERE quantity < {k} OR recorded_at >= TIMESTAMPTZ '{instant}' + INTERVAL '3 days'",
    "TRUNCATE usage_records",
]
ZONES = ["UTC", "Asia/Kolkata", "America/St_Johns", "Pacific/Chatham"]  # +05:30, -03:30, +13:45 in May


@st.composite
def usage_changes(draw):
    instant = draw(st.sampled_from(["2026-05-31 23:30:00+00", "2026-05-12 06:59:59.999999+00",
                                    "2026-05-20 00:00:00+05:30", "2026-06-01 00:00:00.000001+00"]))
    steps = st.sampled_from(["1 microsecond", "17 minutes", "59 minutes 59 seconds", "1 hour", "1 day 1 hour"])
    shifts = st.sampled_from(["1 microsecond", "-1 microsecond", "30 minutes", "-1 hour", "1 day", "31 days",
                              "-45 minutes 0.5 seconds"])
    changes = []
    for _ in range(draw(st.integers(1, 6))):
        statement = draw(st.sampled_from(CHANGES)).format(
            sub=draw(st.sampled_from(SUBS)), item=draw(st.sampled_from(ITEMS)), k=draw(st.integers(0, 3)),
            instant=instant, step=draw(steps), count=draw(st.integers(1, 60)), shift=draw(shifts))
        changes.append((draw(st.sampled_from(ZONES)), statement))
    return changes


def grouped_readings(conn: sa.Connection) -> dict[str, list[tuple]]:
    """The raw readings grouped in Python by UTC hour, quarter of a day, day and month (quantity, count): what
    each aggregate holds."""
    tables = ("agg_usage_hour", "agg_usage_quarter_day", "agg_usage_day", "agg_usage_month")
    groups = {table: defaultdict(lambda: [Decimal(0), 0]) for table in tables}
    for sub, item, quantity, instant in conn.exec_driver_sql("SELECT CAST(subscription_id AS TEXT), "
                                                             "CAST(catalog_item_id AS TEXT), quantity, recorded_at "
                                                             "FROM usage_records"):
        instant = instant.astimezone(UTC)
        for table, key in (("agg_usage_hour", instant.replace(minute=0, second=0, microsecond=0)),
                           ("agg_usage_quarter_day", instant.replace(hour=instant.hour // 6 * 6, minute=0, second=0,
                                                                     microsecond=0)),
                           ("agg_usage_day", instant.date()), ("agg_usage_month", instant.date().replace(day=1))):
            group = groups[table][(key, sub, item)]
            group[0] += quantity
            group[1] += 1
    return {table: sorted((k, s, i, q, n) for (k, s, i), (q, n) in rows.items()) for table, rows in groups.items()}


def aggregate_usage(conn: sa.Connection) -> dict[str, list[tuple]]:
    columns = {"agg_usage_hour": "hour", "agg_usage_quarter_day": "quarter_start", "agg_usage_day": "day",
               "agg_usage_month": "period"}
    rows = {table: conn.exec_driver_sql(f"SELECT {key}, CAST(subscription_id AS TEXT), CAST(catalog_item_id AS TEXT), "
                                        f"quantity, reading_count FROM {table}").all() for table, key in columns.items()}
    return {table: sorted((k.astimezone(UTC) if isinstance(k, datetime) else k, s, i, q, n) for k, s, i, q, n in kept)
            for table, kept in rows.items()}


@pytest.fixture
def pg_usage(request, tmp_path):
    from tests.conftest import fresh_engine

    engine = fresh_engine("postgresql", tmp_path, request)
    load_sql(engine, "small.sql")
    return engine


@SETTINGS
@given(changes=usage_changes())
def test_hour_quarter_day_and_month_aggregates_equal_the_raw_readings_after_random_changes(pg_usage, changes):
    with pg_usage.begin() as conn:
        conn.exec_driver_sql("TRUNCATE usage_records")
    for zone, statement in changes:
        with pg_usage.begin() as conn:
            conn.exec_driver_sql(f"SET LOCAL TIME ZONE '{zone}'")
            conn.exec_driver_sql(statement)
    with pg_usage.connect() as conn:
        kept, expected = aggregate_usage(conn), grouped_readings(conn)
        assert all(n > 0 for rows in kept.values() for *_, n in rows)  # no empty groups are kept
    assert kept == expected
    assert_aggregates_match_a_rebuild(pg_usage)
    for start, end in (("2026-05-01T00:00Z", "2026-05-31T23:30Z"), ("2026-05-12T06:59:59.999999Z", "2026-06-01T00:00Z"),
                       ("2026-05-19T18:30Z", "2026-05-20T00:00:00.000001Z")):
        assert totals(pg_usage, at(start), at(end)) == totals(raw(pg_usage), at(start), at(end))
