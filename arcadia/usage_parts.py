"""Which pre-aggregated parts make up the usage of a window (PostgreSQL): the plan queries/preagg/usage_parts.sql reads.

The usage in [start, end) is a signed sum of parts, each read at one level: whole months (agg_usage_month),
whole UTC days (agg_usage_day), whole quarters of a UTC day, 00-06, 06-12, 12-18 and 18-24 h
(agg_usage_quarter_day), whole UTC hours (agg_usage_hour), and raw readings (usage_records by its index on
recorded_at) for what is left at the window's edges, which is less than an hour at each edge.

An edge t is reached from the start of its month through an anchor at each level, forward or back:
months up to m (t's month start, or the next month's), days from m to d (t's midnight or the next one),
quarters from d to q (the start of t's quarter of the day or of the next), hours from q to h (t's hour or the
next one), readings from h to t. A span from a to b with b < a counts negatively: late in a month it is
cheaper to take the month's total and subtract the days after t than to add up the days before it. The
window is then C(end) − C(start), parts at one level netted (a part both edges read cancels). Of the (at most
16 × 16) choices of anchors, the plan reads the fewest rows by a simple cost: every aggregate row of a month,
a day, a quarter or an hour costs about the same (one per subscription item with readings in it), and an
hour of raw readings twice that (wider rows, scattered over the table). So an edge reads at most 2 quarters
and 3 hours of aggregate rows, and under an hour of raw readings; an hourly meter has as many hour rows as
readings, and the quarters keep the hours read few.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from itertools import product
from typing import NamedTuple

from arcadia.period import Period

LEVELS = ("month", "day", "quarter_day", "hour", "raw")
HOUR = timedelta(hours=1)
QUARTER_DAY = timedelta(hours=6)
RAW_HOUR_COST = 2  # an hour of raw readings against one aggregate row per subscription item (see above)


class Part(NamedTuple):
    """`sign` × the usage of [start, end) read at `level` (sign -1: subtracted; ±2 where two choices overlap)."""

    level: str
    sign: int
    start: datetime
    end: datetime


def plan(start: datetime, end: datetime) -> list[Part]:
    """The cheapest signed parts whose sum is the usage in [start, end) (instants in UTC); [] for an empty window."""
    if end <= start:
        return []
    origin = _month_floor(start)
    best, best_cost = [], None
    ends = [_spans(origin, end, anchors, 1) for anchors in _anchors(end)]
    for from_anchors in _anchors(start):
        starts = _spans(origin, start, from_anchors, -1)
        for spans in ends:
            parts = _netted(spans + starts)
            cost = sum(_cost(part) for part in parts)
            if best_cost is None or cost < best_cost:
                best, best_cost = parts, cost
    return best


def binds(parts: list[Part]) -> dict[str, list]:
    """The parts as the named array binds of usage_parts.sql: per level its signs, starts and ends
    (dates for months and days, instants for quarters of a day, hours and raw readings)."""
    out: dict[str, list] = {f"{level}_{key}": [] for level in LEVELS for key in ("signs", "starts", "ends")}
    for part in parts:
        as_date = part.level in ("month", "day")
        out[f"{part.level}_signs"].append(part.sign)
        out[f"{part.level}_starts"].append(part.start.date() if as_date else part.start)
        out[f"{part.level}_ends"].append(part.end.date() if as_date else part.end)
    return out


def _month_floor(instant: datetime) -> datetime:
    return Period.of(instant.date()).start_at


def _around(instant: datetime, floor: datetime, ceiling: datetime) -> list[datetime]:
    """The boundaries of one level at `instant`: [floor] when it is on one, else the one before and after it."""
    return [floor] if instant == floor else [floor, ceiling]


def _anchors(instant: datetime) -> list[tuple[datetime, ...]]:
    """Every (month, day, quarter, hour) anchor tuple through which the start of the month reaches `instant`."""
    month = Period.of(instant.date())
    midnight = datetime.combine(instant.date(), datetime.min.time(), instant.tzinfo)
    quarter = midnight + QUARTER_DAY * (instant.hour // 6)
    hour = instant.replace(minute=0, second=0, microsecond=0)
    return list(product(_around(instant, month.start_at, month.end_at),
                        _around(instant, midnight, midnight + timedelta(days=1)),
                        _around(instant, quarter, quarter + QUARTER_DAY), _around(instant, hour, hour + HOUR)))


def _spans(origin: datetime, instant: datetime, anchors: tuple[datetime, ...], sign: int):
    """`sign` × the usage in [origin, instant) as oriented spans (level, sign, from, to) through the anchors."""
    month, day, quarter, hour = anchors
    return [("month", sign, origin, month), ("day", sign, month, day), ("quarter_day", sign, day, quarter),
            ("hour", sign, quarter, hour), ("raw", sign, hour, instant)]


def _netted(spans) -> list[Part]:
    """Oriented spans summed per level into disjoint parts: a span from a to b adds its sign on [a, b) when
    a < b and subtracts it on [b, a) when b < a; where the sum is 0 nothing is read."""
    steps: dict[str, dict[datetime, int]] = defaultdict(lambda: defaultdict(int))
    for level, sign, frm, to in spans:
        if frm != to:
            steps[level][frm] += sign
            steps[level][to] -= sign
    parts = []
    for level in LEVELS:
        running, previous = 0, None
        for instant, step in sorted(steps[level].items()):
            if running and step:
                parts.append(Part(level, running, previous, instant))
            if step:
                running, previous = running + step, instant
    return parts


def _cost(part: Part) -> float:
    """About how many rows per subscription item the part reads."""
    times = abs(part.sign)
    if part.level == "month":
        return times * _months_between(part.start.date(), part.end.date())
    if part.level == "day":
        return times * (part.end - part.start).days
    if part.level == "quarter_day":
        return times * ((part.end - part.start) // QUARTER_DAY)
    hours = (part.end - part.start) / HOUR
    return times * hours * (RAW_HOUR_COST if part.level == "raw" else 1)


def _months_between(first: date, end: date) -> int:
    return (end.year - first.year) * 12 + end.month - first.month
