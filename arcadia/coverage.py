"""What data exists: the months to offer, how fresh each source is, and the rows behind a figure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from arcadia.db import connect, fetch
from arcadia.period import UTC, Period, parse_instant


@dataclass(frozen=True)
class Freshness:
    latest_cost_line_at: datetime | None
    latest_usage_at: datetime | None
    latest_invoice_at: datetime | None


def _instant(value) -> datetime | None:
    return None if value is None else parse_instant(value)


FIRST_OFFERED = Period.parse("1970-01")


def offered_window(now: datetime | None = None) -> dict:
    """Binds of the months a dashboard offers: from 1970 to the end of the month after now's."""
    last = Period.parse(parse_instant(now or datetime.now(UTC))).next()
    return {"first_day": FIRST_OFFERED.start, "end_day": last.end,
            "first_at": FIRST_OFFERED.start_at, "end_at": last.end_at}


def freshness(engine: sa.Engine, now: datetime | None = None) -> Freshness:
    """The newest cost line ingested, usage reading and invoice (stamps in the offered window only)."""
    with connect(engine) as conn:
        row = fetch(conn, "freshness", end_at=offered_window(now)["end_at"])[0]
    return Freshness(_instant(row["latest_cost_line_at"]), _instant(row["latest_usage_at"]), _instant(row["latest_invoice_at"]))


def data_months(engine: sa.Engine, now: datetime | None = None) -> list[Period]:
    """Months with invoices, cost lines or usage, newest first; the current month always.

    Bounded from 1970 to the month after now: a row stamped in the year 9998 or 10000 does not
    offer (or try to list) the months up to it.
    """
    now = parse_instant(now or datetime.now(UTC))
    window = offered_window(now)
    with connect(engine) as conn:
        months = {Period.parse(r["period"]) for r in fetch(conn, "data_months", **window)}
        usage = fetch(conn, "usage_span", **window)[0]
    if usage["earliest_usage_at"] is not None:
        month = Period.parse(parse_instant(usage["earliest_usage_at"]))
        last = Period.parse(parse_instant(usage["latest_usage_at"]))
        while month <= last:
            months.add(month)
            month = month.next()
    months.add(Period.parse(now))
    return sorted(months, reverse=True)


def default_month(months: list[Period], now: datetime | None = None) -> Period:
    """The latest complete month that has data, else the newest month offered."""
    current = Period.parse(parse_instant(now or datetime.now(UTC)))
    complete = [m for m in months if m < current]
    return complete[0] if complete else months[0]


def tenant_cost_lines(engine: sa.Engine, tenant_id: str, period: Period) -> list[dict]:
    """The cost lines (with resource and deployment) behind one tenant's COGS."""
    with connect(engine) as conn:
        rows = fetch(conn, "tenant_cost_lines", tenant_id=tenant_id, period_start=period.start, period_end=period.end)
    return [dict(r) for r in rows]


def unattributed_cost_lines(engine: sa.Engine, period: Period) -> list[dict]:
    """Cost lines no tenant carries, each with why (unmatched line, or untagged resource)."""
    with connect(engine) as conn:
        rows = fetch(conn, "unattributed_cost_lines", period_start=period.start, period_end=period.end)
    return [dict(r) for r in rows]


def tenant_names(engine: sa.Engine) -> dict[str, str]:
    """tenant_id → display name (a tenant_id with no row is shown as its id by callers)."""
    with connect(engine) as conn:
        return {r["tenant_id"]: r["tenant_name"] for r in fetch(conn, "tenant_names")}
