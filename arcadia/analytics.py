"""The figures of CONTRACT §2: P&L, by kind, live accrual. Every surface calls these.

SQL aggregates; this module only checks currencies, shapes rows and derives
margins from integer cents.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from functools import cached_property
from typing import NamedTuple

import sqlalchemy as sa

from arcadia import gcpause
from arcadia.billing import invoiced_tenants, quote_month
from arcadia.db import connect, fetch, fetch_rows
from arcadia.errors import MixedCurrencyError
from arcadia.money import margin_pct
from arcadia.period import UTC, Period, accrual_period, parse_instant
from arcadia.quote import Quote

DEFAULT_CURRENCY = "USD"


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
    period: Period
    currency: str
    overall: PnL
    attributed_cogs_cents: int
    unattributed_cogs_cents: int
    tenants: tuple[TenantPnL, ...]
    deployments: tuple[DeploymentPnL, ...]
    cost_line_count: int
    invoice_count: int
    warnings: tuple[str, ...] = ()

    @property
    def has_data(self) -> bool:
        return bool(self.cost_line_count or self.invoice_count)


def _worst_first(rows):
    """Margin ascending, then id (the third field of a tenant or deployment row)."""
    # Decorated tuples compare in C: no Python key call per row (tens of thousands of deployments).
    return tuple(row for *_, row in sorted((r[0] - r[1], r[2], i, r) for i, r in enumerate(rows)))


def margin_summary(engine: sa.Engine, period: Period, now: datetime | None = None) -> MarginSummary:
    """Overall, per-tenant and per-deployment P&L of a month (CONTRACT §2)."""
    with gcpause.paused():
        return _margin_summary(engine, period, now)


def _margin_summary(engine: sa.Engine, period: Period, now: datetime | None) -> MarginSummary:
    binds = {"period_start": period.start, "period_end": period.end}
    with connect(engine) as conn:
        # Tuples in the queries' column order: a month of a large reseller has tens of thousands of rows.
        tenant_rows = fetch_rows(conn, "tenant_pnl", **binds)
        deployment_rows = fetch_rows(conn, "deployment_pnl", **binds)
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
    warnings = []
    if invoices and not cost_lines:
        warnings.append(f"no provider cost lines for {period} yet: its COGS and margin are incomplete")
    if now is not None and parse_instant(now) < period.end_at:
        warnings.append(f"{period.label} is not over yet: its invoices and cost lines are not final")
    return MarginSummary(
        period, currency, PnL(revenue, cogs), cogs - unattributed, unattributed,
        tenants, deployments, cost_lines, invoices, tuple(warnings),
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
    first = last
    for _ in range(months - 1):
        first = first.previous()
    with connect(engine) as conn:
        rows = fetch(conn, "monthly_pnl", period_start=first.start, period_end=last.end)
    # Summed per month and currency, not keyed by row: a writer's period that is not the 1st still lands in its month.
    totals: dict[Period, dict[str, list[int]]] = {}
    for r in rows:
        month_totals = totals.setdefault(Period.parse(r["period"]), {}).setdefault(r["currency"] or DEFAULT_CURRENCY, [0, 0])
        month_totals[0] += int(r["revenue_cents"])
        month_totals[1] += int(r["cogs_cents"])
    single = [next(iter(c)) for c in totals.values() if len(c) == 1]
    if currency is None:
        last_currencies = totals.get(last, {})
        currency = (next(iter(last_currencies)) if len(last_currencies) == 1
                    else max(set(single), key=lambda c: (single.count(c), c)) if single else DEFAULT_CURRENCY)
    result, month = [], first
    while month <= last:
        found = totals.get(month, {})
        if len(found) > 1:
            result.append(MonthPnL(0, 0, month, False, None, f"mixed currencies ({', '.join(sorted(found))})"))
        elif found and currency not in found:
            other = next(iter(found))
            result.append(MonthPnL(0, 0, month, False, other, f"in {other}, not {currency}"))
        else:
            revenue, cogs = found.get(currency, (0, 0))
            result.append(MonthPnL(revenue, cogs, month, bool(found), currency if found else None))
        month = month.next()
    return tuple(result)


@dataclass(frozen=True)
class KindAmount:
    kind: str
    amount_cents: int


@dataclass(frozen=True)
class ByKind:
    period: Period
    currency: str
    revenue: tuple[KindAmount, ...]
    cogs: tuple[KindAmount, ...]
    warnings: tuple[str, ...] = ()


def _by_amount(rows) -> tuple[KindAmount, ...]:
    amounts = [KindAmount(r["kind"], int(r["amount_cents"])) for r in rows]
    return tuple(sorted(amounts, key=lambda k: (-k.amount_cents, k.kind)))


def by_kind(engine: sa.Engine, period: Period) -> ByKind:
    """Revenue by billing kind and COGS by provider kind: two breakdowns, never joined."""
    binds = {"period_start": period.start, "period_end": period.end}
    with connect(engine) as conn:
        revenue = fetch(conn, "revenue_by_kind", **binds)
        cogs = fetch(conn, "cogs_by_kind", **binds)
    currency = _single_currency(f"the by-kind breakdown of {period}", [r["currency"] for r in revenue + cogs])
    warnings = ()
    if revenue and not cogs:
        warnings = (f"no provider cost lines for {period} yet: its COGS is incomplete",)
    return ByKind(period, currency, _by_amount(revenue), _by_amount(cogs), warnings)


@dataclass(frozen=True)
class Accrual:
    as_of: datetime
    period: Period
    currency: str
    quotes: tuple[Quote, ...]
    warnings: tuple[str, ...] = field(default_factory=tuple)

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


def live_accrual(engine: sa.Engine, as_of: datetime | None = None) -> Accrual:
    """Not-yet-invoiced revenue of the month so far, as of `as_of` (default: now)."""
    as_of = parse_instant(as_of or datetime.now(UTC))
    with gcpause.paused():
        return _live_accrual(engine, as_of)


def _live_accrual(engine: sa.Engine, as_of: datetime) -> Accrual:
    period = accrual_period(as_of)
    with connect(engine) as conn:
        quotes = quote_month(conn, period, as_of)
        invoiced = invoiced_tenants(conn, period)
    warnings = []
    if invoiced:
        warnings.append(
            f"{len(invoiced)} tenant(s) already invoiced for {period} are left out: "
            "their revenue is in the P&L, not the accrual"
        )
    quotes = tuple(q for *_, q in sorted(
        (q.subscription.tenant_id, q.subscription.id, i, q) for i, q in enumerate(quotes)
        if q.subscription.tenant_id not in invoiced
    ))
    currency = _single_currency(f"the accrual of {period}", [q.subscription.currency for q in quotes])
    return Accrual(as_of, period, currency, quotes, tuple(warnings))
