"""The one Period type (a calendar month in UTC, half-open), ranges of whole months, and instant parsing."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from datetime import date, datetime, time, timedelta, timezone

from arcadia.errors import InputError, shown

UTC = timezone.utc
# Months outside these years are refused as input: arithmetic at datetime's edges would overflow.
MIN_YEAR, MAX_YEAR = 1970, 9998
_DATE_RE = re.compile(r"(\d{4})-(\d{2})(?:-(\d{2}))?", re.ASCII)


@dataclass(frozen=True, order=True)
class Period:
    """A calendar month: [start, end) in UTC; `start` is its first day."""

    start: date

    def __post_init__(self):
        if self.start.day != 1:
            raise ValueError("a Period starts on the first day of a month")

    @classmethod
    def of(cls, day: date) -> Period:
        """The month that holds `day`."""
        return cls(date(day.year, day.month, 1))

    @classmethod
    def current(cls, now: datetime) -> Period:
        """The month in progress at `now`: the calendar month (UTC) that holds it."""
        return cls.of(parse_instant(now).date())

    @classmethod
    def parse(cls, value: object) -> Period:
        """`YYYY-MM-DD` (any day: its month) or `YYYY-MM`; anything else is an InputError."""
        return _parse_month(value, "period")

    @cached_property
    def end(self) -> date:
        """First day of the next month (exclusive bound)."""
        return (self.start.replace(day=28) + timedelta(days=4)).replace(day=1)

    @cached_property
    def start_at(self) -> datetime:
        return datetime.combine(self.start, time(0), UTC)

    @cached_property
    def end_at(self) -> datetime:
        return datetime.combine(self.end, time(0), UTC)

    @cached_property
    def seconds(self) -> int:
        return (self.end - self.start).days * 86400

    def next(self) -> Period:
        return Period(self.end)

    def previous(self) -> Period:
        return Period.of(self.start - timedelta(days=1))

    def minus(self, months: int) -> Period:
        """The month `months` months before this one (this one for 0)."""
        index = self.start.year * 12 + self.start.month - 1 - months
        return Period(date(index // 12, index % 12 + 1, 1))

    def __str__(self) -> str:
        return self.start.isoformat()

    @property
    def label(self) -> str:
        """Human label, e.g. 'April 2026'."""
        return self.start.strftime("%B %Y")


def _parse_month(value: object, name: str) -> Period:
    """Period.parse, its error naming the input as `name` (period, from or to)."""
    if isinstance(value, datetime):
        return Period.of(parse_instant(value).date())
    if isinstance(value, date):
        return Period.of(value)
    match = _DATE_RE.fullmatch(value.strip()) if isinstance(value, str) else None
    if not match:
        raise InputError(f"invalid {name} {shown(value)}: expected YYYY-MM-DD or YYYY-MM")
    year, month, day = (int(g) if g else 1 for g in match.groups())
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise InputError(f"invalid {name} {shown(value)}: the year must be {MIN_YEAR}–{MAX_YEAR}")
    try:
        return Period.of(date(year, month, day))
    except ValueError:
        raise InputError(f"invalid {name} {shown(value)}: no such date") from None


# A range is refused beyond ten years: every figure over it is one query, but its rows and warnings grow with it.
MAX_RANGE_MONTHS = 120


@dataclass(frozen=True)
class MonthRange:
    """Whole months from `first` to `last`, both included: [first.start, last.end) in UTC.

    It answers what a Period answers (start, end, start_at, end_at, label, str), so a figure can
    take either; a range of one month prints as that month.
    """

    first: Period
    last: Period

    def __post_init__(self):
        if self.last < self.first:
            raise ValueError(f"a MonthRange ends before it starts ({self.first} > {self.last})")

    @classmethod
    def of(cls, months: Period | MonthRange) -> MonthRange:
        """A range as it is (a month as the range of just that month)."""
        return months if isinstance(months, MonthRange) else cls(months, months)

    @property
    def start(self) -> date:
        return self.first.start

    @property
    def end(self) -> date:
        """First day of the month after `last` (exclusive bound)."""
        return self.last.end

    @property
    def start_at(self) -> datetime:
        return self.first.start_at

    @property
    def end_at(self) -> datetime:
        return self.last.end_at

    @cached_property
    def months(self) -> int:
        """How many months: 1 when first == last."""
        return (self.last.start.year - self.first.start.year) * 12 + self.last.start.month - self.first.start.month + 1

    @cached_property
    def periods(self) -> tuple[Period, ...]:
        """Each month of the range, oldest first."""
        months, month = [], self.first
        while month <= self.last:
            months.append(month)
            month = month.next()
        return tuple(months)

    def __str__(self) -> str:
        """'2026-04-01..2026-06-01' (the first days of the first and last months); one month: '2026-04-01'."""
        return str(self.first) if self.first == self.last else f"{self.first}..{self.last}"

    @property
    def label(self) -> str:
        """Human label: 'April–June 2026', 'November 2025–January 2026'; one month: 'April 2026'."""
        if self.first == self.last:
            return self.first.label
        if self.first.start.year == self.last.start.year:
            return f"{self.first.start:%B}–{self.last.label}"
        return f"{self.first.label}–{self.last.label}"


def parse_range(from_text: object, to_text: object) -> MonthRange:
    """The months from `from_text` to `to_text`, both included (each YYYY-MM or any date of the month).

    InputError, naming the values, when either is not a month, `from` is after `to`, or the range
    holds more than MAX_RANGE_MONTHS months.
    """
    first, last = _parse_month(from_text, "from"), _parse_month(to_text, "to")
    if last < first:
        raise InputError(f"invalid range: from {shown(from_text)} is after to {shown(to_text)}")
    months = MonthRange(first, last)
    if months.months > MAX_RANGE_MONTHS:
        raise InputError(f"invalid range from {shown(from_text)} to {shown(to_text)}: "
                         f"{months.months} months, at most {MAX_RANGE_MONTHS}")
    return months


def parse_months(period: object = None, from_text: object = None, to_text: object = None) -> Period | MonthRange:
    """One month (`period`) or a range (`from_text` and `to_text`): exactly one of the two, else an InputError.

    The API's query parameters and the CLI's --period, --from, --to both come here: one set of rules and messages.
    """
    if period is not None and (from_text is not None or to_text is not None):
        given = ", ".join(f"{name} {shown(value)}" for name, value in
                          (("period", period), ("from", from_text), ("to", to_text)) if value is not None)
        raise InputError(f"give 'period', or 'from' and 'to', not both: {given}")
    if period is not None:
        return Period.parse(period)
    if from_text is None and to_text is None:
        raise InputError("missing 'period': expected YYYY-MM or any date YYYY-MM-DD, "
                         "or 'from' and 'to' (YYYY-MM) for a range of months")
    if from_text is None or to_text is None:
        given, value, missing = ("from", from_text, "to") if to_text is None else ("to", to_text, "from")
        raise InputError(f"{given} {shown(value)} is given without {missing!r}: a range needs 'from' and 'to' "
                         "(YYYY-MM, both months included)")
    return parse_range(from_text, to_text)


def parse_instant(value: object) -> datetime:
    """An ISO-8601 instant as an aware UTC datetime; naive means UTC; InputError if not one."""
    if isinstance(value, datetime):
        try:
            return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        except OverflowError:  # 0001-01-01T00:00+01:00 is before the first instant Python can hold in UTC
            raise InputError(f"invalid instant {shown(value.isoformat())}: outside the years 1–9999 in UTC") from None
    if isinstance(value, date):
        return datetime.combine(value, time(0), UTC)
    if isinstance(value, str) and value.strip() and value.isascii() and value.isprintable() and len(value) <= 40:
        try:
            instant = parse_instant(datetime.fromisoformat(value.strip()))
        except (ValueError, OverflowError):
            instant = None
        if instant is not None and MIN_YEAR <= instant.year <= MAX_YEAR:
            return instant
    raise InputError(f"invalid instant {shown(value)}: expected ISO-8601, e.g. 2026-04-15T12:00:00Z")


def iso(instant: datetime | None) -> str | None:
    """An instant as the documents print it ('2026-11-15T12:00:00Z'); None stays None."""
    return None if instant is None else parse_instant(instant).isoformat().replace("+00:00", "Z")


def accrual_period(as_of: datetime) -> Period:
    """The month an accrual as of `as_of` covers: the one holding the instant just before it.

    So the first instant of a month closes the previous one: accrual as of
    2026-05-01T00:00Z is April's whole-month figure, which equals April's rollup.
    """
    instant = parse_instant(as_of)
    period = Period.parse(instant - timedelta(microseconds=1))
    if not MIN_YEAR <= period.start.year <= MAX_YEAR:
        raise InputError(f"invalid instant {shown(instant.isoformat())}: its accrual month {period.label} "
                         f"is outside {MIN_YEAR}–{MAX_YEAR}")
    return period
