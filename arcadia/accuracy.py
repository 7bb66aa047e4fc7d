"""How good the live COGS estimate has been: its month-end projection on days 7, 14 and 21 of past months
against their final COGS (`python -m arcadia estimate-accuracy`, and a table on Live accrual).

For each of the last N complete months whose final provider invoice is in (a month holding cost lines and no
preview in place), the estimate is made as it would have been on each day: from the cost lines of the months
before it only (that month's daily previews are not kept once its final invoice replaces them, so the model
runs alone from the month's start), and its projected month-end COGS is set against the month's final COGS:
overall, and for the month's 10 largest tenants (by final COGS). Error = projected − final (positive: the
estimate was too high); error % = error ÷ |final| × 100, half-up to one decimal.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa

from arcadia import analytics, estimate, gcpause
from arcadia.db import connect
from arcadia.errors import DataError
from arcadia.money import fmt, margin_pct
from arcadia.period import UTC, Period, parse_instant

DAYS = (7, 14, 21)
DEFAULT_MONTHS = 6
LARGEST_TENANTS = 10


@dataclass(frozen=True)
class Point:
    """One projection (overall when tenant_id is None and tenant_name is 'overall') against the final COGS."""

    period: Period
    day: int
    tenant_id: str | None
    tenant_name: str
    projected_cents: int
    final_cents: int

    @property
    def error_cents(self) -> int:
        return self.projected_cents - self.final_cents

    @property
    def error_pct(self) -> Decimal | None:
        return margin_pct(self.error_cents, abs(self.final_cents)) if self.final_cents else None


@dataclass(frozen=True)
class Accuracy:
    months: tuple[Period, ...]  # the months measured, newest first
    overall: tuple[Point, ...]  # per month and day
    tenants: tuple[Point, ...]  # per month, day and each of the month's largest tenants
    skipped: tuple[str, ...]  # months left out, and why

    def summary(self) -> list[tuple[int, Decimal | None]]:
        """Per day: Σ |error| ÷ Σ |final| over the months, as a percentage (the typical miss)."""
        out = []
        for day in DAYS:
            points = [p for p in self.overall if p.day == day]
            finals = sum(abs(p.final_cents) for p in points)
            out.append((day, margin_pct(sum(abs(p.error_cents) for p in points), finals) if finals else None))
        return out


def model_estimate(conn: sa.Connection, period: Period, as_of: datetime, currency: str = "USD") -> estimate.Estimate:
    """The COGS estimate of `period` as of `as_of` from the months before it only (no revenue, no own lines)."""
    return estimate.build(estimate.read(conn, period, as_of, known_cost=False), period, as_of, (), currency)


def estimate_accuracy(engine: sa.Engine, months: int = DEFAULT_MONTHS, now: datetime | None = None) -> Accuracy:
    """The projections of the last `months` complete months with a final invoice, against their final COGS."""
    now = parse_instant(now or datetime.now(UTC))
    current = Period.parse(now)
    measured, overall, tenants, skipped = [], [], [], []
    with gcpause.paused():
        for back in range(1, months + 1):
            period = current.minus(back)
            final = analytics.margin_summary(engine, period)
            why = _not_final(engine, period, final)
            if why:
                skipped.append(f"{period.label}: {why}")
                continue
            largest = sorted(final.tenants, key=lambda t: (-t.cogs_cents, t.tenant_id))[:LARGEST_TENANTS]
            with connect(engine) as conn:
                for day in DAYS:
                    est = model_estimate(conn, period, period.start_at + timedelta(days=day - 1), final.currency)
                    overall.append(Point(period, day, None, "overall", est.projected_cogs_cents, final.overall.cogs_cents))
                    projected = {t.tenant_id: t.projected_cogs_cents for t in est.tenants}
                    tenants += [Point(period, day, t.tenant_id, t.tenant_name, projected.get(t.tenant_id, 0),
                                      t.cogs_cents) for t in largest]
            measured.append(period)
    return Accuracy(tuple(measured), tuple(overall), tuple(tenants), tuple(skipped))


def _not_final(engine: sa.Engine, period: Period, final: analytics.MarginSummary) -> str:
    """Why a month cannot be measured ('' when it can): no cost lines, or only a daily preview in place."""
    if not final.cost_line_count:
        return "no provider cost lines"
    with connect(engine) as conn:
        from arcadia import do_import  # the importer's record of what is in place

        try:
            places = do_import.in_place(conn, period)
        except (sa.exc.DBAPIError, DataError):
            places = {}
    previews = sorted(p.account for p in places.values() if p.source == "preview")
    return f"only a daily preview is in place ({', '.join(previews)})" if previews else ""


def day_of(point: Point) -> str:
    return f"day {point.day}"


def to_json(acc: Accuracy) -> dict:
    def row(p: Point) -> dict:
        return {"period": str(p.period), "day": p.day, **({"tenant_id": p.tenant_id, "tenant_name": p.tenant_name}
                                                          if p.tenant_id is not None else {}),
                "projected_cogs": fmt(p.projected_cents), "final_cogs": fmt(p.final_cents),
                "error": fmt(p.error_cents), "error_pct": None if p.error_pct is None else float(p.error_pct)}

    return {"days": list(DAYS), "months": [str(m) for m in acc.months],
            "summary": [{"day": day, "abs_error_pct": None if pct is None else float(pct)} for day, pct in acc.summary()],
            "overall": [row(p) for p in acc.overall], "tenants": [row(p) for p in acc.tenants],
            "skipped": list(acc.skipped)}


def table_rows(acc: Accuracy) -> list[dict]:
    """The overall projections as table rows (money in cents), newest month first, then by day."""
    return [{"month": p.period.label, "day": p.day, "projected COGS": p.projected_cents, "final COGS": p.final_cents,
             "error": p.error_cents, "error %": p.error_pct} for p in acc.overall]


def to_text(acc: Accuracy) -> str:
    from arcadia.money import display

    if not acc.months:
        return "No complete month with a final invoice to measure the estimate against.\n" + "\n".join(
            f"  skipped {why}" for why in acc.skipped)
    out = [f"How good the live COGS estimate has been: its month-end projection on days {', '.join(map(str, DAYS))} "
           f"against the final COGS ({len(acc.months)} months; error = projected − final)"]
    out.append(f"{'month':15} {'day':>4} {'projected':>12} {'final':>12} {'error':>11} {'error %':>8}")
    for p in acc.overall:
        out.append(f"{p.period.label:15} {p.day:>4} {display(p.projected_cents):>12} {display(p.final_cents):>12} "
                   f"{display(p.error_cents):>11} {_pct(p.error_pct):>8}")
    out.append("typical miss (Σ |error| ÷ Σ final): " + ", ".join(f"day {day} {'—' if pct is None else f'{pct} %'}"
                                                             for day, pct in acc.summary()))
    out.append(f"\nThe {LARGEST_TENANTS} largest tenants of each month (by final COGS), day {DAYS[-1]}:")
    for p in (p for p in acc.tenants if p.day == DAYS[-1]):
        out.append(f"  {p.period.label:15} {p.tenant_name[:28]:28} {display(p.projected_cents):>11} "
                   f"{display(p.final_cents):>11} {display(p.error_cents):>11} {_pct(p.error_pct):>8}")
    out += [f"skipped {why}" for why in acc.skipped]
    return "\n".join(out)


def _pct(value: Decimal | None) -> str:
    return "—" if value is None else f"{value:+.1f} %"
