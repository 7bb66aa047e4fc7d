"""The figures of CONTRACT §2: P&L, by kind, live accrual. Every surface calls these.

The P&L and the by-kind breakdown take a month (Period) or a range of whole months
(MonthRange, CONTRACT §3 "Month ranges"): amounts are the sums over the months.

SQL aggregates; this module only checks currencies, shapes rows and derives
margins from integer cents.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from decimal import Decimal
from functools import cached_property
from typing import NamedTuple

import sqlalchemy as sa

from arcadia import estimate, gcpause
from arcadia.billing import invoiced_tenants, quote_month, unreadable_subscriptions
from arcadia.db import connect, fetch, fetch_rows, uses_preaggregates
from arcadia.errors import DatabaseUnavailable, DataError, InputError, MixedCurrencyError, shown
from arcadia.estimate import Estimate
from arcadia.money import margin_pct
from arcadia.labels import age, plural
from arcadia.period import UTC, MonthRange, Period, accrual_period, iso, parse_instant
from arcadia.quote import Quote

DEFAULT_CURRENCY = "USD"
ESTIMATE_LOCK_WAIT_MS = 1000  # how long the COGS estimate waits for a lock before going without


def _single_currency(what: str, currencies, detail=lambda found: "") -> str:
    found = {c for c in currencies if c}
    if len(found) > 1:
        raise MixedCurrencyError(what, found, detail(found))
    return found.pop() if found else DEFAULT_CURRENCY


def _minority_rows(tenant_rows, found: set[str]) -> str:
    """Which rows carry the less common currencies of a P&L: tenants and counts, so they can be found."""
    lines: dict[str, list[tuple[str, int, int]]] = {c: [] for c in found}
    for tenant_id, name, _, currency, _, _, invoices, cost_lines in tenant_rows:
        if currency in lines:
            lines[currency].append((name or tenant_id or "unattributed", int(invoices), int(cost_lines)))
    main = max(found, key=lambda c: (sum(i + c_ for _, i, c_ in lines[c]), c))
    parts = []
    for currency in sorted(found - {main}):
        rows = lines[currency]
        named = "; ".join(f"{who} ({i} invoice(s), {c} cost line(s))" for who, i, c in rows[:5])
        parts.append(f"{currency} in {named}" + (f" and {len(rows) - 5} more" if len(rows) > 5 else ""))
    return ", ".join(parts)


def _margin_cents(row) -> int:
    return row.revenue_cents - row.cogs_cents


def _margin_pct(row) -> Decimal | None:
    return margin_pct(row.revenue_cents - row.cogs_cents, row.revenue_cents)


# P&L rows are NamedTuples, not dataclasses: a large reseller's month has tens of thousands
# of deployment rows, and a tuple is made several times faster. Margins derive from the cents.
class PnL(NamedTuple):
    """Revenue and COGS in cents, with the margin derived from them."""

    revenue_cents: int
    cogs_cents: int

    margin_cents = property(_margin_cents)
    margin_pct = property(_margin_pct)


class TenantPnL(NamedTuple):
    revenue_cents: int
    cogs_cents: int
    tenant_id: str = ""
    tenant_name: str = ""
    tenant_kind: str | None = None

    margin_cents = property(_margin_cents)
    margin_pct = property(_margin_pct)

    @property
    def internal(self) -> bool:
        return self.tenant_kind == "internal"


class DeploymentPnL(NamedTuple):
    revenue_cents: int
    cogs_cents: int
    deployment_id: str = ""
    deployment_name: str = ""
    tenant_id: str | None = None

    margin_cents = property(_margin_cents)
    margin_pct = property(_margin_pct)


@dataclass(frozen=True)
class MarginSummary:
    period: Period | MonthRange  # a MonthRange: every amount is the sum over its months
    currency: str
    overall: PnL
    attributed_cogs_cents: int
    unattributed_cogs_cents: int
    tenants: tuple[TenantPnL, ...]
    deployments: tuple[DeploymentPnL, ...]
    cost_line_count: int
    invoice_count: int
    warnings: tuple[str, ...] = ()
    # The month in progress (the calendar month holding `now`) when the figure covers it: its COGS is partial and
    # its revenue only what is invoiced so far, so no margin, delta or loss flag is drawn from the figure; the
    # documents keep revenue − COGS (CONTRACT §3) and warnings[0] says why it is not a margin.
    in_progress: Period | None = None
    # Restricted to one tenant (`for_tenant`): its row, its deployments, and `overall` its own figures. The
    # counts above stay the whole month's (whether the month has data at all).
    tenant: str | None = None

    @property
    def has_data(self) -> bool:
        return bool(self.cost_line_count or self.invoice_count)


def _worst_first(rows):
    """Margin ascending, then id (the third field of a tenant or deployment row)."""
    # Decorated tuples compare in C: no Python key call per row (tens of thousands of deployments).
    return tuple(row for *_, row in sorted((r[0] - r[1], r[2], i, r) for i, r in enumerate(rows)))


def margin_summary(engine: sa.Engine, period: Period | MonthRange, now: datetime | None = None,
                   tenant: str | None = None) -> MarginSummary:
    """Overall, per-tenant and per-deployment P&L of a month or a range of months (CONTRACT §2, §3); with
    `tenant`, restricted to that tenant (see `for_tenant`)."""
    with gcpause.paused():
        summary = _margin_summary(engine, period, now)
        return summary if tenant is None else for_tenant(summary, tenant)


def _several_months(period: Period | MonthRange) -> bool:
    return isinstance(period, MonthRange) and period.months > 1


def _deployment_pnl_query(conn: sa.Connection, period: Period | MonthRange) -> str:
    # The deployment pre-aggregate is read one month as kept, without grouping (the hot path of
    # issue 7's benchmark); only a range of several months sums its months, in a query of its own.
    # The raw-row query sums any range.
    return "deployment_pnl_range" if _several_months(period) and uses_preaggregates(conn) else "deployment_pnl"


def _month_counts(conn: sa.Connection, months: MonthRange) -> dict[Period, list[int]]:
    """[live invoices, provider cost lines] of each month of a range that has either."""
    counts: dict[Period, list[int]] = {}
    for r in fetch(conn, "monthly_pnl", period_start=months.start, period_end=months.end):
        month_counts = counts.setdefault(Period.parse(r["period"]), [0, 0])
        month_counts[0] += int(r["invoice_count"])
        month_counts[1] += int(r["cost_line_count"])
    return counts


def _without_costs(counts: Mapping[Period, Sequence[int]], but: Period | None = None) -> tuple[Period, ...]:
    """The months that have live invoices but no provider cost lines (yet), oldest first; never `but`."""
    return tuple(month for month, (invoices, lines) in sorted(counts.items())
                 if invoices and not lines and month != but)


def _in_progress(period: Period | MonthRange, now: datetime | None) -> Period | None:
    """The month in progress at `now` when `period` holds it (None without a `now`)."""
    months, current = MonthRange.of(period), None if now is None else Period.current(now)
    return current if current is not None and months.first <= current <= months.last else None


ACCRUAL_PATH = "/api/v1/dashboard/accrual"


def _in_progress_warning(period: Period | MonthRange, month: Period, invoices: int) -> str:
    """What a figure holding the month in progress (`month`, with `invoices` live invoices so far) says about it."""
    months = MonthRange.of(period)
    revenue = ("it has no revenue yet" if not invoices
               else f"its revenue is only the {plural(invoices, 'invoice')} issued early")
    if months.months == 1:
        return (f"{month.label} is in progress: its COGS so far is partial and {revenue}, so revenue − COGS is not "
                f"its margin; its month-to-date margin is on the live accrual ({ACCRUAL_PATH})")
    holds = "ends with" if month == months.last else "holds"
    text = (f"{months.label} {holds} {month.label}, which is in progress: its COGS so far is partial and {revenue}, "
            "so the range's revenue − COGS is not its margin")
    if month > months.first:
        text += f"; end the range at {month.previous().label}, the last complete month, for complete figures"
    return text + f"; {month.label}'s month-to-date margin is on the live accrual ({ACCRUAL_PATH})"


def _margin_summary(engine: sa.Engine, period: Period | MonthRange, now: datetime | None) -> MarginSummary:
    binds = {"period_start": period.start, "period_end": period.end}
    several = _several_months(period)
    with connect(engine) as conn:
        # Tuples in the queries' column order: a month of a large reseller has tens of thousands of rows.
        tenant_rows = fetch_rows(conn, "tenant_pnl", **binds)
        deployment_rows = fetch_rows(conn, _deployment_pnl_query(conn, period), **binds)
        counts = _month_counts(conn, period) if several else {}
    currency = _single_currency(f"the P&L of {period}", {r[3] for r in tenant_rows} | {r[3] for r in deployment_rows},
                                lambda found: _minority_rows(tenant_rows, found))
    tenants, revenue, cogs, unattributed, cost_lines, invoices = [], 0, 0, 0, 0, 0
    for tenant_id, name, kind, _, revenue_cents, cogs_cents, invoice_count, cost_line_count in tenant_rows:
        revenue_cents, cogs_cents = int(revenue_cents), int(cogs_cents)
        revenue, cogs = revenue + revenue_cents, cogs + cogs_cents
        cost_lines, invoices = cost_lines + int(cost_line_count), invoices + int(invoice_count)
        if tenant_id is None:
            unattributed += cogs_cents
        else:
            tenants.append(TenantPnL(revenue_cents, cogs_cents, tenant_id, name, kind))
    tenants = _worst_first(tenants)
    deployments = _worst_first(
        (DeploymentPnL(int(revenue_cents), int(cogs_cents), deployment_id, name, tenant_id)
         for deployment_id, name, tenant_id, _, revenue_cents, cogs_cents in deployment_rows)
    )
    last = MonthRange.of(period).last
    if not several:  # one month: its own counts say it
        counts = {last: (invoices, cost_lines)}
    # The month in progress is said once, first: its missing cost lines or invoices are not warned about again.
    in_progress = _in_progress(period, now)
    warnings = ([] if in_progress is None
                else [_in_progress_warning(period, in_progress, counts.get(in_progress, (0, 0))[0])])
    warnings += [f"no provider cost lines for {month} yet: its COGS and margin are incomplete"
                 for month in _without_costs(counts, but=in_progress)]
    if now is not None and parse_instant(now) < last.start_at:  # a range is final once its last month is
        warnings.append(f"{last.label} is not over yet: its invoices and cost lines are not final")
    return MarginSummary(
        period, currency, PnL(revenue, cogs), cogs - unattributed, unattributed,
        tenants, deployments, cost_lines, invoices, tuple(warnings), in_progress,
    )


class MonthPnL(NamedTuple):
    revenue_cents: int
    cogs_cents: int
    period: Period | None = None
    has_data: bool = False
    currency: str | None = None
    note: str = ""  # why a month with data is left out of the trend (another currency, mixed currencies)

    margin_cents = property(_margin_cents)
    margin_pct = property(_margin_pct)


def monthly_pnl(engine: sa.Engine, last: Period, months: int = 12, currency: str | None = None) -> tuple[MonthPnL, ...]:
    """Overall revenue and COGS of each of the `months` months ending with `last`, oldest first.

    A trend is in one currency (`currency`, else `last`'s, else the most common): a month in another
    currency, or mixing several, is a gap with a note, so one odd month never breaks the others.
    """
    first = _first_of(last, months)
    with connect(engine) as conn:
        rows = fetch(conn, "monthly_pnl", period_start=first.start, period_end=last.end)
    # Summed per month and currency, not keyed by row: a writer's period that is not the 1st still lands in its month.
    totals: dict[Period, dict[str, list[int]]] = {}
    for r in rows:
        month_totals = totals.setdefault(Period.parse(r["period"]), {}).setdefault(r["currency"] or DEFAULT_CURRENCY, [0, 0])
        month_totals[0] += int(r["revenue_cents"])
        month_totals[1] += int(r["cogs_cents"])
    currency = _trend_currency(totals, last) if currency is None else currency
    return tuple(_trend_month(month, totals.get(month, {}), currency) for month in MonthRange(first, last).periods)


def _first_of(last: Period, months: int) -> Period:
    """The first of `months` months ending with `last` (`last` itself when `months` is 1 or less)."""
    return last.minus(max(months, 1) - 1)


def _trend_currency(currencies: Mapping[Period, Collection[str]], last: Period) -> str:
    """A trend's one currency: `last`'s when it has one, else the one most months have alone, else USD."""
    last_currencies = currencies.get(last, ())
    if len(last_currencies) == 1:
        return next(iter(last_currencies))
    single = [next(iter(c)) for c in currencies.values() if len(c) == 1]
    return max(set(single), key=lambda c: (single.count(c), c)) if single else DEFAULT_CURRENCY


def _trend_month(month: Period, found: Mapping[str, Sequence[int]], currency: str) -> MonthPnL:
    """One month of a trend from its [revenue, COGS] per currency: a gap with a note when not in `currency` alone."""
    if len(found) > 1:
        return MonthPnL(0, 0, month, False, None, f"mixed currencies ({', '.join(sorted(found))})")
    if found and currency not in found:
        other = next(iter(found))
        return MonthPnL(0, 0, month, False, other, f"in {other}, not {currency}")
    revenue, cogs = found.get(currency, (0, 0))
    return MonthPnL(revenue, cogs, month, bool(found), currency if found else None)


def tenant_history(engine: sa.Engine, last: Period, months: int = 12,
                   currency: str | None = None) -> dict[str, tuple[MonthPnL, ...]]:
    """Each tenant's revenue and COGS in each of the `months` months ending with `last`, oldest first.

    For a margin sparkline and a change-on-last-month column: every tenant with revenue or COGS in any
    of the months (the unattributed COGS is no tenant), keyed by tenant id in id order. A month without
    the tenant's rows is zeros with has_data False. One currency, chosen as monthly_pnl chooses it
    (`currency`, else `last`'s, else the one most months have): a tenant's month in another currency,
    or mixing several, is a gap with a note, so one odd month never breaks the others.
    """
    span = MonthRange(_first_of(last, months), last)
    periods, slot_of = span.periods, {month: i for i, month in enumerate(span.periods)}
    with gcpause.paused():  # 5,000 tenants × 12 months: 60,000 small tuples
        with connect(engine) as conn:
            rows = fetch_rows(conn, "tenant_history", period_start=span.start, period_end=span.end)
        # Per tenant, one slot per month: {currency: [revenue, COGS]}, summed rather than keyed by row, so a
        # writer's period that is not the 1st still lands in its month. Slots are list positions, not Period
        # keys: no Period is hashed per row.
        slots_of: dict[str, list[dict[str, list[int]] | None]] = {}
        month_currencies: list[set[str]] = [set() for _ in periods]
        slot_at: dict[object, int] = {}  # each distinct period value parsed once, not once per row
        for tenant_id, period, row_currency, revenue_cents, cogs_cents in rows:
            i = slot_at.get(period)
            if i is None:
                i = slot_at[period] = slot_of[Period.parse(period)]
            slots = slots_of.get(tenant_id)
            if slots is None:
                slots = slots_of[tenant_id] = [None] * len(periods)
            row_currency = row_currency or DEFAULT_CURRENCY
            found = slots[i]
            if found is None:
                slots[i] = {row_currency: [int(revenue_cents), int(cogs_cents)]}
            else:
                sums = found.setdefault(row_currency, [0, 0])
                sums[0] += int(revenue_cents)
                sums[1] += int(cogs_cents)
            month_currencies[i].add(row_currency)
        if currency is None:
            currency = _trend_currency({month: found for month, found in zip(periods, month_currencies) if found}, last)
        empty = [MonthPnL(0, 0, month) for month in periods]  # shared by every tenant: a tuple cannot change
        return {tenant_id: tuple(empty[i] if found is None else _trend_month(periods[i], found, currency)
                                 for i, found in enumerate(slots_of[tenant_id]))
                for tenant_id in sorted(slots_of)}


@dataclass(frozen=True)
class KindAmount:
    kind: str
    amount_cents: int


@dataclass(frozen=True)
class ByKind:
    period: Period | MonthRange  # a MonthRange: every amount is the sum over its months
    currency: str
    revenue: tuple[KindAmount, ...]
    cogs: tuple[KindAmount, ...]
    warnings: tuple[str, ...] = ()
    in_progress: Period | None = None  # as MarginSummary.in_progress: the month in progress, when it holds it


def _by_amount(rows) -> tuple[KindAmount, ...]:
    amounts = [KindAmount(r["kind"], int(r["amount_cents"])) for r in rows]
    return tuple(sorted(amounts, key=lambda k: (-k.amount_cents, k.kind)))


def by_kind(engine: sa.Engine, period: Period | MonthRange, now: datetime | None = None) -> ByKind:
    """Revenue by billing kind and COGS by provider kind, of a month or a range: two breakdowns, never joined.
    With `now`, a month in progress in it is said first, as in the P&L (its COGS so far, its revenue so far)."""
    binds = {"period_start": period.start, "period_end": period.end}
    in_progress = _in_progress(period, now)
    with connect(engine) as conn:
        revenue = fetch(conn, "revenue_by_kind", **binds)
        cogs = fetch(conn, "cogs_by_kind", **binds)
        counts = _month_counts(conn, period) if _several_months(period) or in_progress else {}
    currency = _single_currency(f"the by-kind breakdown of {period}", [r["currency"] for r in revenue + cogs])
    if not _several_months(period):  # one month: its own rows say it
        counts = {MonthRange.of(period).last: (len(revenue), len(cogs))} if not in_progress else counts
    warnings = ([] if in_progress is None
                else [_in_progress_warning(period, in_progress, counts.get(in_progress, (0, 0))[0])])
    warnings += [f"no provider cost lines for {month} yet: its COGS is incomplete"
                 for month in _without_costs(counts, but=in_progress)]
    return ByKind(period, currency, _by_amount(revenue), _by_amount(cogs), tuple(warnings), in_progress)


GIVEN, LATEST_READING, CLOCK = "given", "latest reading", "clock"  # where an accrual's as-of comes from
METERING_LAG = timedelta(hours=3)  # a newest reading older than this (against the clock) is warned about


@dataclass(frozen=True)
class Accrual:
    as_of: datetime
    period: Period
    currency: str
    quotes: tuple[Quote, ...]
    warnings: tuple[str, ...] = field(default_factory=tuple)
    # The live COGS estimate and margin beside the revenue (arcadia/estimate.py); None when it cannot be made
    # (a warning says why). Never part of the totals above.
    estimate: Estimate | None = None
    # The newest usage reading before as_of (None: none this month), and where as_of came from: GIVEN, the
    # LATEST_READING (the default: a consistent snapshot of the metering) or the CLOCK (no reading this month yet).
    metered_through: datetime | None = None
    as_of_basis: str = GIVEN
    invoiced: bool = False  # the month is invoiced already: its revenue is in the P&L, nothing is accrued
    tenant: str | None = None  # restricted to one tenant (`for_tenant`): its subscriptions and its estimate

    @property
    def metering_lag(self) -> timedelta | None:
        """How far the newest reading is behind as_of (None without a reading)."""
        return None if self.metered_through is None else max(timedelta(0), self.as_of - self.metered_through)

    # Cached: a large accrual has 10,000 quotes, and every surface reads each total more than once.
    @cached_property
    def subtotal_cents(self) -> int:
        return sum(q.subtotal_cents for q in self.quotes)

    @cached_property
    def tax_cents(self) -> int:
        return sum(q.tax_cents for q in self.quotes)

    @cached_property
    def total_cents(self) -> int:
        return self.subtotal_cents + self.tax_cents

    @cached_property
    def projected_subtotal_cents(self) -> int:
        return sum(q.projected_subtotal_cents for q in self.quotes)


def live_accrual(engine: sa.Engine, as_of: datetime | None = None, known_cost: bool = True,
                 now: datetime | None = None, tenant: str | None = None) -> Accrual:
    """Not-yet-invoiced revenue of the month so far, with the live COGS estimate: the month's cost lines so far
    plus the modelled rest (`known_cost` False: the model alone); with `tenant`, restricted to that tenant (see
    `for_tenant`).

    As of `as_of` when given (CONTRACT §2); by default as of the newest usage reading of the month in progress
    (just after it, so that it counts), or of `now` (the clock) when the month has none yet: a meter that lags
    does not drag the projection down, and the accrual says how far behind it is."""
    now = parse_instant(now or datetime.now(UTC))
    with gcpause.paused():
        accrual = _live_accrual(engine, None if as_of is None else parse_instant(as_of), known_cost, now)
        return accrual if tenant is None else for_tenant(accrual, tenant)


def _as_of(conn: sa.Connection, as_of: datetime | None, now: datetime) -> tuple[datetime, str, datetime | None]:
    """The accrual's instant, where it comes from, and the newest reading before it."""
    if as_of is not None:
        period = accrual_period(as_of)
        latest = fetch(conn, "latest_reading", window_start=period.start_at, window_end=as_of)[0]["latest"]
        return as_of, GIVEN, None if latest is None else parse_instant(latest)
    period = accrual_period(now)
    latest = fetch(conn, "latest_reading", window_start=period.start_at, window_end=now + timedelta(seconds=1))[0]["latest"]
    if latest is None:
        return now, CLOCK, None
    latest = parse_instant(latest)
    # Just after the reading, to the whole second: usage counts in [start, as_of).
    return latest.replace(microsecond=0) + timedelta(seconds=1), LATEST_READING, latest


def _live_accrual(engine: sa.Engine, as_of: datetime | None, known_cost: bool, now: datetime) -> Accrual:
    unavailable = None
    with connect(engine) as conn:
        as_of, basis, metered_through = _as_of(conn, as_of, now)
        period = accrual_period(as_of)
        quotes = quote_month(conn, period, as_of)
        invoiced = invoiced_tenants(conn, period)
        unreadable = unreadable_subscriptions(conn)
        # The COGS estimate reads the inventory and the cost lines, which the accrual itself does not: a lock
        # or a slow read there costs the estimate only (after a short wait), never the accrual. Read last, so
        # the failed statement ends nothing the accrual still needs.
        try:
            if conn.dialect.name == "postgresql":
                conn.exec_driver_sql(f"SET LOCAL lock_timeout = '{ESTIMATE_LOCK_WAIT_MS}ms'")
            inventory = estimate.read(conn, period, as_of, known_cost)
        except (DatabaseUnavailable, DataError) as exc:
            inventory, unavailable = None, str(exc)
    warnings = []
    all_invoiced = bool(invoiced) and all(q.subscription.tenant_id in invoiced for q in quotes)
    if all_invoiced:
        warnings.append(f"{period.label} is invoiced already: its revenue is in the P&L, not in an accrual, and its "
                        "margin is the P&L's (the accrual covers a month not invoiced yet)")
    elif invoiced:
        warnings.append(
            f"{plural(len(invoiced), 'tenant')} already invoiced for {period} are left out: "
            "their revenue is in the P&L, not the accrual"
        )
    if unreadable:
        warnings.append(f"{plural(len(unreadable), 'subscription')} left out: a start or end that cannot be read "
                        f"(infinity, a BC date or a year past 9999): {', '.join(unreadable)}; `check` lists them")
    if basis == LATEST_READING and now - metered_through > METERING_LAG:
        warnings.append(f"the newest usage reading is {age(metered_through, now)} old "
                        f"({iso(metered_through)}): the accrual is as of it, and the metering lags")
    quotes = tuple(q for *_, q in sorted(
        (q.subscription.tenant_id, q.subscription.id, i, q) for i, q in enumerate(quotes)
        if q.subscription.tenant_id not in invoiced
    ))
    currency = _single_currency(f"the accrual of {period}", [q.subscription.currency for q in quotes])
    try:
        if all_invoiced:
            live = None  # no revenue left to set a COGS estimate against: the P&L has the month
        elif inventory is None:
            raise DataError(unavailable)
        else:
            live = estimate.build(inventory, period, as_of, quotes, currency)
    except DataError as exc:  # the estimate cannot be made (mixed currencies, a locked table); the accrual stands
        live = None
        warnings.append(f"no live COGS estimate: {exc}")
    return Accrual(as_of, period, currency, quotes, tuple(warnings), live, metered_through, basis, all_invoiced)


# --- one tenant's part of a figure -----------------------------------------------------------------------

MAX_TENANT_ID = 200  # characters: a UUID is 36, slugs are short; anything longer is not an id


def check_tenant_id(text: str) -> str:
    """A tenant id as given (ids are exact text: UUID strings or slugs), or InputError naming the value."""
    if not text.strip():
        raise InputError(f"invalid tenant {shown(text)}: expected a tenant id (a UUID or a slug)")
    if len(text) > MAX_TENANT_ID:
        raise InputError(f"invalid tenant {shown(text)}: longer than {MAX_TENANT_ID} characters")
    return text


def for_tenant(figure: MarginSummary | Accrual, tenant_id: str) -> MarginSummary | Accrual:
    """The part of a P&L or an accrual that is one tenant's: every surface restricts a figure here, and only here.

    P&L: the tenant's row (none when it has no revenue or COGS), the deployments whose tenant it is, and
    `overall` the tenant's own revenue and COGS, all attributed (the unattributed COGS is no tenant's: zero),
    so Σ tenants + unattributed = overall still holds. Accrual: the tenant's subscriptions, the totals their
    sums; its estimate the tenant's row alone, its overall figures that row's, unattributed zero, and only the
    tenant's resources listed. A tenant with nothing in the figure gives the empty figure with a warning naming
    it (tenant ids need no `tenants` row, CONTRACT §1, so an unknown id and a tenant with nothing this month are
    the same answer). The figure is computed whole, then restricted: it equals that part of the whole to the cent.
    """
    if isinstance(figure, MarginSummary):
        tenants = tuple(t for t in figure.tenants if t.tenant_id == tenant_id)
        deployments = tuple(d for d in figure.deployments if d.tenant_id == tenant_id)
        overall = PnL(tenants[0].revenue_cents, tenants[0].cogs_cents) if tenants else PnL(0, 0)
        found = bool(tenants or deployments)
        return replace(figure, overall=overall, attributed_cogs_cents=overall.cogs_cents, unattributed_cogs_cents=0,
                       tenants=tenants, deployments=deployments, tenant=tenant_id,
                       warnings=figure.warnings + _nothing_for(tenant_id, f"revenue or COGS in {figure.period.label}", found))
    quotes = tuple(q for q in figure.quotes if q.subscription.tenant_id == tenant_id)
    live = None if figure.estimate is None else _estimate_for(figure.estimate, tenant_id)
    found = bool(quotes or (live is not None and live.tenants))
    return replace(figure, quotes=quotes, estimate=live, tenant=tenant_id,
                   warnings=figure.warnings + _nothing_for(tenant_id, f"accrual or estimate in {figure.period.label}", found))


def _estimate_for(live: Estimate, tenant_id: str) -> Estimate:
    rows = tuple(t for t in live.tenants if t.tenant_id == tenant_id)
    return replace(live, tenants=rows, accrued_revenue_cents=sum(t.accrued_revenue_cents for t in rows),
                   projected_revenue_cents=sum(t.projected_revenue_cents for t in rows),
                   unattributed_estimated_cogs_cents=0, unattributed_projected_cogs_cents=0,
                   unattributed_actual_cogs_cents=0,
                   resources=tuple(r for r in live.resources if r.tenant_id == tenant_id))


def _nothing_for(tenant_id: str, what: str, found: bool) -> tuple[str, ...]:
    return () if found else (f"tenant {tenant_id!r} has no {what}: no such tenant, or nothing of it there",)
