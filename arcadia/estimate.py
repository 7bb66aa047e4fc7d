"""Live COGS estimate and live margin of the accrual's month (CONTRACT §3 "Live estimates").

The provider's invoice for a month arrives after it ends, so the month in progress has accrued revenue
but no COGS. This module estimates it from the inventory: every resource alive in the month so far costs
its run rate for the time it has been alive, attributed like a cost line. Estimates are their own figure:
they are never added to the invoiced P&L, and the accrual's revenue totals do not change.

Run rate of a resource, first that applies:
1. its most recent full month of cost lines among the LOOKBACK_MONTHS months before: a month it was
   alive from start to end (first_seen_at ≤ start, deleted_at null or ≥ end) with matched lines; each of
   its lines (credits included) costs amount × min(time alive in the window, that month) ÷ that month,
   so a resource never costs more than that month's amount;
1b. else its most recent partial month of cost lines among those months: a month it was alive in for part of
   the time only (from max(first_seen_at, start) to min(deleted_at, end), alive_ms > 0) with matched lines;
   its rate is that month's amount ÷ alive_ms, so each line costs amount × min(time alive in the window, that
   month) ÷ alive_ms: rate × time alive, capped at a full month's equivalent (amount × month ÷ alive_ms). A
   resource created in the last month or two is rated by the lines of its first month (listed, as
   PARTIAL_MONTH);
2. its inventory list price (attrs, as DigitalOcean's API gives them, in currency units):
   price_hourly × hours alive capped at price_monthly when both, price_hourly alone, or price_monthly
   (or price_monthly_cents) prorated by the length of this month;
3. else "no rate": listed, estimated at zero.

Costs are exact until each tenant's sum (and the unattributed one) is rounded half-up to the cent, once:
the database sums the last month's lines per tenant (queries/estimate/costs.sql) instead of handing
~100,000 resources one by one to Python. Time alive is counted in whole milliseconds. Cost lines that
match no resource (bandwidth overage, credits, unknown resources) are not estimated. Money is integers
and exact Fractions; never a float.
"""

from __future__ import annotations

import json
from math import gcd, lcm
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from functools import cached_property, lru_cache
from typing import NamedTuple

import sqlalchemy as sa

from arcadia.db import fetch_rows
from arcadia.errors import MixedCurrencyError
from arcadia.money import fmt, half_up_div, margin_pct
from arcadia.period import UTC, Period, parse_instant
from arcadia.quote import Quote

WORK_MEM = "32MB"  # PostgreSQL's work_mem for the estimate's read
LOOKBACK_MONTHS = 3  # how far back a full (or partial) month is looked for (queries/estimate/costs.sql reads three)
COGS_METHOD = ("run rate per resource alive this month: its last full month of cost lines (of the 3 before) "
               "prorated by the time alive, capped at that month; else its last partial month of cost lines "
               "(of the 3 before) ÷ the time it was alive in it, × the time alive, capped at a full month's "
               "equivalent; else this month's own cost lines so far ÷ the time they cover; else its inventory "
               "list price (attrs); the month's cost lines in place are actual cost, and only the time after them "
               "is modelled; cost lines matching no resource are not estimated")
PARTIAL_MONTH, LIST_PRICE, NO_RATE = "partial month", "list price", "no rate"

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
FAR_FUTURE = datetime(9999, 12, 31, tzinfo=UTC)  # live, every deletion recorded is known
_MS = timedelta(milliseconds=1)
_MS_PER_HOUR = 3_600_000


def _epoch_ms(instant: datetime) -> int:
    """An instant as whole milliseconds since 1970 (floored), as the queries count time alive."""
    return (instant - EPOCH) // _MS


class ResourceEstimate(NamedTuple):
    """A resource with no recent full month of cost lines: priced from a partial month of cost lines, from its
    list price, or with no rate."""

    resource_id: str
    provider_id: str
    name: str
    kind: str
    tenant_id: str | None  # COALESCE(deployment.tenant_id, resource.tenant_id); None = unattributed
    basis: str  # PARTIAL_MONTH, LIST_PRICE or NO_RATE
    # the rate in words ('April 2026 cost lines 8.00 over 160 h alive (of 720 h)', 'attrs price_hourly 0.00893,
    # capped at …'); '' without a rate
    rate: str
    estimated_cents: int
    projected_cents: int


class Actual(NamedTuple):
    """What the month's own cost lines say so far: how many, and the instant they run to: the earliest of the
    invoices' latest end_at (a line without one: its inserted_at), after which time is modelled."""

    line_count: int
    through: datetime | None


def model_from(actual: Actual | None, period: Period, as_of: datetime) -> datetime:
    """Where the model starts for a resource the month's lines do not bill: where the lines stop, the window's
    start when there are none, and as_of when they have no end times (the lines are taken as up to date)."""
    if actual is None:
        return period.start_at
    return as_of if actual.through is None else min(max(actual.through, period.start_at), period.end_at)


class TenantEstimate(NamedTuple):
    """A tenant's accrued revenue against its estimated COGS, so far and projected to the month's end."""

    tenant_id: str
    tenant_name: str
    accrued_revenue_cents: int
    estimated_cogs_cents: int  # actual so far + modelled from where the actual stops to as_of
    projected_revenue_cents: int
    projected_cogs_cents: int  # actual so far + modelled from where the actual stops to the month's end
    actual_cogs_cents: int = 0  # the month's cost lines in place (a daily preview), attributed as in the P&L

    estimated_margin_cents = property(lambda t: t.accrued_revenue_cents - t.estimated_cogs_cents)
    estimated_margin_pct = property(lambda t: margin_pct(t.estimated_margin_cents, t.accrued_revenue_cents))
    projected_margin_cents = property(lambda t: t.projected_revenue_cents - t.projected_cogs_cents)
    projected_margin_pct = property(lambda t: margin_pct(t.projected_margin_cents, t.projected_revenue_cents))


@dataclass(frozen=True)
class Estimate:
    """The live COGS estimate of a month as of an instant, beside the accrual's revenue (ex-GST)."""

    period: Period
    as_of: datetime
    currency: str
    accrued_revenue_cents: int
    projected_revenue_cents: int
    tenants: tuple[TenantEstimate, ...]  # estimated margin ascending, then tenant id
    unattributed_estimated_cogs_cents: int
    unattributed_projected_cogs_cents: int
    # The resources no recent full month of cost lines rates (partial month, list price or no rate): by tenant id
    # (unattributed last), name, id. Those the cost lines rate are summed per tenant, never listed.
    resources: tuple[ResourceEstimate, ...]
    cogs_method: str = field(default=COGS_METHOD)
    actual: Actual | None = None  # the month's own cost lines so far (None: none yet)
    unattributed_actual_cogs_cents: int = 0

    @cached_property
    def actual_cogs_cents(self) -> int:
        return sum(t.actual_cogs_cents for t in self.tenants) + self.unattributed_actual_cogs_cents

    @cached_property
    def estimated_cogs_cents(self) -> int:
        return sum(t.estimated_cogs_cents for t in self.tenants) + self.unattributed_estimated_cogs_cents

    @cached_property
    def projected_cogs_cents(self) -> int:
        return sum(t.projected_cogs_cents for t in self.tenants) + self.unattributed_projected_cogs_cents

    @property
    def estimated_margin_cents(self) -> int:
        return self.accrued_revenue_cents - self.estimated_cogs_cents

    @property
    def estimated_margin_pct(self) -> Decimal | None:
        return margin_pct(self.estimated_margin_cents, self.accrued_revenue_cents)

    @property
    def projected_margin_cents(self) -> int:
        return self.projected_revenue_cents - self.projected_cogs_cents

    @property
    def projected_margin_pct(self) -> Decimal | None:
        return margin_pct(self.projected_margin_cents, self.projected_revenue_cents)

    @cached_property
    def without_rate(self) -> tuple[ResourceEstimate, ...]:
        """The resources alive this month that no cost line or list price gives a rate: estimated at zero."""
        return tuple(r for r in self.resources if r.basis == NO_RATE)


def _lookback(period: Period) -> list[Period]:
    """The LOOKBACK_MONTHS months before `period`, newest first."""
    return [period.minus(age) for age in range(1, LOOKBACK_MONTHS + 1)]


class Inputs(NamedTuple):
    """What `read` returns for `build`."""

    rows: list  # queries/estimate/costs.sql
    names: dict[str, str]  # tenant id: name
    actual: Actual | None
    actual_rows: list  # queries/tenant_pnl.sql of the month: its cost lines per tenant and currency


def read(conn: sa.Connection, period: Period, as_of: datetime, known_cost: bool = True) -> Inputs:
    """The rows of queries/estimate/costs.sql for [start of period, as_of), every tenant's name, and the month's
    own cost lines so far (per tenant, and the instant they run to). With `known_cost` False the month's own
    lines are ignored and the whole month is modelled from the inventory as known at as_of (deletions after it
    unknown): what the model alone would have said then, to set against the month's final invoice."""
    own = period.end if known_cost else period.start  # an empty range of months reads none of its lines
    if conn.dialect.name == "postgresql":
        # Its hash tables and sorts hold a row per alive resource (hundreds of thousands at a large reseller):
        # in memory, not spilled to disk at the server's default 4 MB, for the rest of this read-only transaction.
        conn.exec_driver_sql(f"SET LOCAL work_mem = '{WORK_MEM}'")
    actual = _actual(fetch_rows(conn, "estimate/actual_through", month_start=period.start, month_end=own))
    binds = {"window_start": period.start_at, "window_end": as_of, "period_end": period.end_at,
             "window_start_ms": _epoch_ms(period.start_at), "window_end_ms": _epoch_ms(as_of),
             "period_end_ms": _epoch_ms(period.end_at), "month_start": period.start, "month_end": own,
             "model_from_ms": _epoch_ms(model_from(actual, period, as_of)),
             "known_at": FAR_FUTURE if known_cost else as_of}
    # Month 0 is the window's own month: its lines so far rate a resource no earlier month rates (none when the
    # month's own lines are not to be read: an empty range of dates).
    binds.update({"m0_start": period.start, "m0_end": own, "m0_start_at": period.start_at, "m0_end_at": period.end_at,
                  "m0_ms": period.seconds * 1000, "m0_start_ms": _epoch_ms(period.start_at),
                  "m0_end_ms": _epoch_ms(period.end_at)})
    for age, month in enumerate(_lookback(period), start=1):
        binds.update({f"m{age}_start": month.start, f"m{age}_end": month.end, f"m{age}_start_at": month.start_at,
                      f"m{age}_end_at": month.end_at, f"m{age}_ms": month.seconds * 1000,
                      f"m{age}_start_ms": _epoch_ms(month.start_at), f"m{age}_end_ms": _epoch_ms(month.end_at)})
    rows = fetch_rows(conn, "estimate/costs", **binds)
    names = {tenant_id: name for tenant_id, name, _ in fetch_rows(conn, "tenant_names")}
    actual_rows = ([] if actual is None else
                   fetch_rows(conn, "tenant_pnl", period_start=period.start, period_end=period.end))
    return Inputs(rows, names, actual, actual_rows)


def _actual(rows) -> Actual | None:
    """The month's lines per invoice → how many, and the earliest of the invoices' latest end times."""
    if not rows:
        return None
    throughs = [parse_instant(through) for _, _, through in rows if through is not None]
    return Actual(sum(int(n) for _, n, _ in rows), min(throughs) if throughs else None)


def build(inputs: Inputs, period: Period, as_of: datetime, quotes: Sequence[Quote],
          currency: str) -> Estimate:
    """The estimate from what `read` returned and the accrual's quotes (its revenue) in `currency`.

    A MixedCurrencyError when the cost lines that give rates, or they and the accrual, are in several currencies.
    """
    rows, names = inputs.rows, inputs.names
    month_ms, month1_ms = period.seconds * 1000, period.previous().seconds * 1000
    lookback = _lookback(period)
    found_currencies = {currency} if quotes else set()
    # Exact costs per tenant (None: unattributed) as integer numerators per denominator, so far and to the
    # month's end: {tenant: {denominator: [so_far, to_end]}}; each tenant's sum is rounded once, at the end.
    exact: dict[str | None, dict[int, list[int]]] = {}
    listed: dict[str, ResourceEstimate] = {}

    def add(tenant_id, denominator: int, so_far: int, to_end: int) -> None:
        sums = exact.setdefault(tenant_id, {}).setdefault(denominator, [0, 0])
        sums[0] += so_far
        sums[1] += to_end

    def add_listed(who: tuple, basis: str, rate: str, so_far: tuple[int, int], to_end: tuple[int, int]) -> None:
        """A resource priced one by one (`who`: its id, provider id, name, kind, tenant): its exact costs
        (numerator, denominator) so far and to the month's end go to its tenant's sums, and it is listed with
        them rounded half-up (for the reader)."""
        add(who[4], so_far[1], so_far[0], 0)
        add(who[4], to_end[1], 0, to_end[0])
        listed[who[0]] = ResourceEstimate(*who, basis, rate, half_up_div(*so_far), half_up_div(*to_end))

    # The resources month 1 rates come summed per tenant (and currency, and a few times alive) by the query: tens
    # of thousands of rows at a large reseller, added here without a call per row.
    rated_by_month1: dict[str | None, list[int]] = {}
    labels = [period.label] + [month.label for month in lookback]  # by age
    for row in rows:
        if row[0] is None:
            tenant_id, line_currency, so_far_exact, to_end_exact = row[4:8]
            found_currencies.add(line_currency)
            sums = rated_by_month1.get(tenant_id)
            if sums is None:
                rated_by_month1[tenant_id] = [int(so_far_exact), int(to_end_exact)]
            else:
                sums[0] += int(so_far_exact)
                sums[1] += int(to_end_exact)
            continue
        (resource_id, provider_id, kind, name, tenant_id, _, _, _, so_far_ms, to_end_ms, attrs, age, month_length,
         older_currency, monthly, rated_ms, partial) = row
        who = (str(resource_id), provider_id, name, kind, tenant_id)  # a resource priced one by one
        if age is not None:  # rated by an older full month, or by a partial one (rated_ms < its length)
            found_currencies.add(older_currency)
            monthly, month_length, rated_ms = int(monthly), int(month_length), int(rated_ms)
            so_far = monthly * min(int(so_far_ms), month_length)
            to_end = monthly * min(int(to_end_ms), month_length)
            if not int(partial):
                add(tenant_id, month_length, so_far, to_end)
                continue
            # reduced, so that a tenant's common denominator (lcm of them) stays small
            add_listed(who, PARTIAL_MONTH,
                       f"{labels[int(age)]} cost lines {fmt(monthly)} over {_hours(rated_ms)} h alive "
                       f"(of {_hours(month_length)} h)", _reduced(so_far, rated_ms), _reduced(to_end, rated_ms))
        else:
            price = _list_price(attrs, month_ms)
            if price is None:  # its tenant is still a row: a resource of its is alive, at no known cost
                exact.setdefault(tenant_id, {})
                listed[who[0]] = ResourceEstimate(*who, NO_RATE, "", 0, 0)
                continue
            add_listed(who, LIST_PRICE, price.words, price.exact(int(so_far_ms)), price.exact(int(to_end_ms)))
    for tenant_id, (so_far, to_end) in rated_by_month1.items():
        add(tenant_id, month1_ms, so_far, to_end)
    actual: dict[str | None, int] = {}
    for tenant_id, _, _, line_currency, _, cogs_cents, _, cost_line_count in inputs.actual_rows:
        if int(cost_line_count):
            found_currencies.add(line_currency)
            actual[tenant_id] = actual.get(tenant_id, 0) + int(cogs_cents)
    if len(found_currencies) > 1:
        raise MixedCurrencyError(f"the live COGS estimate of {period}", found_currencies,
                                 "cost lines and the accrual must share one currency")
    costs = {tenant_id: (_rounded(sums, 0), _rounded(sums, 1)) for tenant_id, sums in exact.items()}
    unattributed = costs.pop(None, (0, 0))
    unattributed_actual = actual.pop(None, 0)
    resources = sorted(listed.values(), key=lambda r: (r.tenant_id is None, r.tenant_id or "", r.name, r.resource_id))
    tenants = _tenants(costs, quotes, names, actual)
    return Estimate(
        period, as_of, found_currencies.pop() if found_currencies else currency,
        sum(t.accrued_revenue_cents for t in tenants), sum(t.projected_revenue_cents for t in tenants),
        tenants, unattributed[0] + unattributed_actual, unattributed[1] + unattributed_actual, tuple(resources),
        actual=inputs.actual, unattributed_actual_cogs_cents=unattributed_actual,
    )


def _reduced(numerator: int, denominator: int) -> tuple[int, int]:
    """numerator ÷ denominator in lowest terms, as (numerator, denominator)."""
    common = gcd(numerator, denominator)
    return numerator // common, denominator // common


def _hours(ms: int) -> str:
    """Milliseconds as hours for the reader: '160', '156.5', '0.01' (two decimals at most, half-up)."""
    hundredths = half_up_div(ms, _MS_PER_HOUR // 100)
    return f"{hundredths // 100}" if hundredths % 100 == 0 else f"{Decimal(hundredths).scaleb(-2).normalize():f}"


def _rounded(sums: dict[int, list[int]], which: int) -> int:
    """Σ numerator ÷ denominator over a tenant's sums, exact, rounded half-up once to the cent (integers only)."""
    if len(sums) == 1:  # the common case: only the last month's lines
        (denominator, pair), = sums.items()
        return half_up_div(pair[which], denominator)
    common = lcm(*sums) if sums else 1
    return half_up_div(sum(pair[which] * (common // denominator) for denominator, pair in sums.items()), common)


def _number(value) -> Decimal | None:
    """A price from attrs: a finite, non-negative number (or numeric text), else None (not a price)."""
    if isinstance(value, bool) or not isinstance(value, (int, Decimal, str)):
        return None
    try:
        number = Decimal(value.strip()) if isinstance(value, str) else Decimal(value)
    except ArithmeticError:
        return None
    return number if number.is_finite() and number >= 0 else None


class ListPrice(NamedTuple):
    """A resource's inventory list price as a rate per millisecond alive, capped by a monthly price."""

    per_ms: Fraction  # cents per millisecond alive
    cap: Fraction | None  # cents at most (the monthly price beside an hourly one), or None
    words: str  # the price as the inventory states it, for the reader

    def exact(self, ms: int) -> tuple[int, int]:
        """The cost of `ms` milliseconds alive in cents, exactly, as (numerator, denominator): rate × time, capped."""
        p, q = self.per_ms.numerator, self.per_ms.denominator
        if self.cap is not None and p * ms * self.cap.denominator > self.cap.numerator * q:
            return self.cap.numerator, self.cap.denominator
        return p * ms, q


@lru_cache(maxsize=4096)  # thousands of resources share a few price lists: each attrs text is read once
def _list_price(attrs: str | None, month_ms: int) -> ListPrice | None:
    """The list price in a resource's attrs (JSON text) in a month of `month_ms`, or None when it states none.

    DigitalOcean's API gives prices in currency units: price_hourly × hours capped at price_monthly when both,
    price_hourly alone, or price_monthly (or price_monthly_cents) prorated by the length of this month.
    """
    try:
        decoded = json.loads(attrs, parse_float=Decimal) if attrs else None
    except (ValueError, RecursionError):
        return None
    if not isinstance(decoded, dict):
        return None
    hourly = _number(decoded.get("price_hourly"))
    monthly = _number(decoded.get("price_monthly"))
    monthly_cents = _number(decoded.get("price_monthly_cents"))
    if monthly is None and monthly_cents is not None:
        monthly, monthly_words = monthly_cents / 100, f"attrs price_monthly_cents {monthly_cents}"
    else:
        monthly_words = f"attrs price_monthly {monthly}"
    if hourly is not None:
        per_ms = Fraction(hourly) * 100 / _MS_PER_HOUR
        if monthly is None:
            return ListPrice(per_ms, None, f"attrs price_hourly {hourly}")
        return ListPrice(per_ms, Fraction(monthly) * 100, f"attrs price_hourly {hourly}, capped at {monthly_words}")
    if monthly is not None:
        return ListPrice(Fraction(monthly) * 100 / month_ms, None, monthly_words)
    return None


def _tenants(costs: dict[str, tuple[int, int]], quotes: Sequence[Quote], names: dict[str, str],
             actual: dict[str, int]) -> tuple:
    """One row per tenant with a subscription in the accrual, a resource alive this month or a cost line of it
    so far: estimated margin ascending, then tenant id. The actual cost so far is in both COGS figures."""
    # tenant id: [accrued, estimated COGS, projected revenue, projected COGS, actual COGS]
    sums: dict[str, list[int]] = {}
    for q in quotes:
        row = sums.setdefault(q.subscription.tenant_id, [0, 0, 0, 0, 0])
        row[0] += q.subtotal_cents
        row[2] += q.projected_subtotal_cents
    for tenant_id, (estimated, projected) in costs.items():
        row = sums.setdefault(tenant_id, [0, 0, 0, 0, 0])
        row[1] += estimated
        row[3] += projected
    for tenant_id, cents in actual.items():
        row = sums.setdefault(tenant_id, [0, 0, 0, 0, 0])
        row[1] += cents
        row[3] += cents
        row[4] += cents
    rows = [TenantEstimate(tenant_id, names.get(tenant_id, tenant_id), accrued, cogs, projected, projected_cogs,
                           actual_cogs)
            for tenant_id, (accrued, cogs, projected, projected_cogs, actual_cogs) in sums.items()]
    return tuple(sorted(rows, key=lambda t: (t.estimated_margin_cents, t.tenant_id)))


class Versus(NamedTuple):
    """A tenant's estimated COGS of a month against the actual COGS of its provider invoice."""

    tenant_id: str | None  # None: the unattributed COGS
    tenant_name: str
    estimated_cents: int
    actual_cents: int

    @property
    def difference_cents(self) -> int:
        """Estimated − actual: positive when the estimate was too high."""
        return self.estimated_cents - self.actual_cents

    @property
    def difference_pct(self) -> Decimal | None:
        """The difference as a percentage of the actual, half-up to one decimal; None when the actual is 0."""
        return margin_pct(self.difference_cents, abs(self.actual_cents)) if self.actual_cents else None


def versus_actual(estimate: Estimate, summary) -> tuple[tuple[Versus, ...], Versus, Versus]:
    """The estimate against the month's actual COGS (an analytics.MarginSummary of the same month).

    Returns (tenants, unattributed, total): every tenant with estimated or actual COGS, the largest
    difference first (then tenant id); the unattributed COGS; and the totals. How good the estimate was.
    """
    estimated = {t.tenant_id: (t.tenant_name, t.estimated_cogs_cents) for t in estimate.tenants}
    actual = {t.tenant_id: (t.tenant_name, t.cogs_cents) for t in summary.tenants}
    rows = []
    for tenant_id in estimated.keys() | actual.keys():
        name = (actual.get(tenant_id) or estimated[tenant_id])[0]
        row = Versus(tenant_id, name, estimated.get(tenant_id, ("", 0))[1], actual.get(tenant_id, ("", 0))[1])
        if row.estimated_cents or row.actual_cents:
            rows.append(row)
    rows.sort(key=lambda v: (-abs(v.difference_cents), v.tenant_id))
    unattributed = Versus(None, "unattributed", estimate.unattributed_estimated_cogs_cents,
                          summary.unattributed_cogs_cents)
    total = Versus(None, "total", estimate.estimated_cogs_cents, summary.overall.cogs_cents)
    return tuple(rows), unattributed, total
