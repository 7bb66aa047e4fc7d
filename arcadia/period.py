"""The one Period type (a calendar month in UTC, half-open) and instant parsing."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from datetime import date, datetime, time, timedelta, timezone

from arcadia.errors import InputError

UTC = timezone.utc
# Months outside these years are refused as input: arithmetic at datetime's edges would overflow.
MIN_YEAR, MAX_YEAR = 1970, 9998
_DATE_RE = re.compile(r"(\d{4})-(\d{2})(?:-(\d{2}))?", re.ASCII)


def _shown(value: object) -> str:
    """The offending value for an error message, cut short when huge."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "…'"


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
    def parse(cls, value: object) -> Period:
        """`YYYY-MM-DD` (any day: its month) or `YYYY-MM`; anything else is an InputError."""
        if isinstance(value, datetime):
            return cls.of(parse_instant(value).date())
        if isinstance(value, date):
            return cls.of(value)
        match = _DATE_RE.fullmatch(value.strip()) if isinstance(value, str) else None
        if not match:
            raise InputError(f"invalid period {_shown(value)}: expected YYYY-MM-DD or YYYY-MM")
        year, month, day = (int(g) if g else 1 for g in match.groups())
        if not MIN_YEAR <= year <= MAX_YEAR:
            raise InputError(f"invalid period {_shown(value)}: the year must be {MIN_YEAR}–{MAX_YEAR}")
        try:
            return cls.of(date(year, month, day))
        except ValueError:
            raise InputError(f"invalid period {_shown(value)}: no such date") from None

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

    def __str__(self) -> str:
        return self.start.isoformat()

    @property
    def label(self) -> str:
        """Human label, e.g. 'April 2026'."""
        return self.start.strftime("%B %Y")


def parse_instant(value: object) -> datetime:
    """An ISO-8601 instant as an aware UTC datetime; naive means UTC; InputError if not one."""
    if isinstance(value, datetime):
        try:
            return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        except OverflowError:  # 0001-01-01T00:00+01:00 is before the first instant Python can hold in UTC
            raise InputError(f"invalid instant {_shown(value.isoformat())}: outside the years 1–9999 in UTC") from None
    if isinstance(value, date):
        return datetime.combine(value, time(0), UTC)
    if isinstance(value, str) and value.strip() and value.isascii() and value.isprintable() and len(value) <= 40:
        try:
            instant = parse_instant(datetime.fromisoformat(value.strip()))
        except (ValueError, OverflowError):
            instant = None
        if instant is not None and MIN_YEAR <= instant.year <= MAX_YEAR:
            return instant
    raise InputError(f"invalid instant {_shown(value)}: expected ISO-8601, e.g. 2026-04-15T12:00:00Z")


def accrual_period(as_of: datetime) -> Period:
    """The month an accrual as of `as_of` covers: the one holding the instant just before it.

    So the first instant of a month closes the previous one: accrual as of
    2026-05-01T00:00Z is April's whole-month figure, which equals April's rollup.
    """
    instant = parse_instant(as_of)
    period = Period.parse(instant - timedelta(microseconds=1))
    if not MIN_YEAR <= period.start.year <= MAX_YEAR:
        raise InputError(f"invalid instant {_shown(instant.isoformat())}: its accrual month {period.label} "
                         f"is outside {MIN_YEAR}–{MAX_YEAR}")
    return period
