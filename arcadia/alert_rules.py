"""What the alerts say: each rule evaluated through the same analytics as the pages, as findings.

A finding is one (rule, subject, month) that holds now, with its words and its figures. Whether and where it is
sent, once, and when it is resolved, is arcadia/alert_run.py's business; this module only reads.

Rules (thresholds from the config, arcadia/alert_run.py):
- tenant_margin: a customer tenant's projected month-end margin % (the live estimate: actual cost so far plus
  the modelled rest) below `below_pct`;
- overall_margin: the overall projected month-end margin % below `below_pct`, or negative;
- cost_spike: a tenant's (or the unattributed) projected month-end COGS at least `up_pct` % above its average
  monthly COGS of the 3 complete months before (and at least `min_amount` more), with its largest listed costs;
  a tenant without COGS in each of those months (a newcomer) has no average to spike from;
- unattributed: the last complete month's unattributed COGS above `above_amount` or `above_pct` % of COGS;
- data_errors: any Data health error; stale_sync: an account's last successful sync older than `stale_hours`;
  rollup_missing: last month without tenant invoices after day `rollup_day`;
- digest: on day `day` (and once a month after it), last month's P&L, Δ vs the month before, the 5 worst
  tenants and the unattributed COGS, with a link to the dashboard at that month.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa

from arcadia import analytics, health
from arcadia.errors import ArcadiaError
from arcadia.money import display, margin_pct
from arcadia.period import Period

SPIKE_MONTHS = 3
WORST = 5


@dataclass(frozen=True)
class Finding:
    """One thing that holds now: a rule about a subject (a tenant id, an account, 'overall') in a month."""

    rule: str
    subject: str
    month: Period
    title: str  # one line, our words with the database's text in it (escaped per channel)
    lines: tuple[str, ...] = ()  # more lines of detail
    facts: dict = field(default_factory=dict)  # the figures, JSON-safe (money as decimal strings)
    link: str | None = None  # the dashboard at the month, when ARCADIA_PUBLIC_URL is set

    @property
    def key(self) -> tuple[str, str, str]:
        return self.rule, self.subject, str(self.month)


def _pct(value: Decimal | None) -> str:
    return "—" if value is None else f"{value} %"


def _link(base: str | None, page: str, month: Period) -> str | None:
    return None if not base else f"{base.rstrip('/')}/{page}?period={month.start:%Y-%m}"


def evaluate(engine: sa.Engine, rules: dict, now: datetime, public_url: str | None = None) -> tuple[list[Finding], list[str]]:
    """Every enabled rule's findings as of `now`, and the rules that could not be evaluated (and why): a rule that
    fails costs only itself."""
    findings, failed = [], []
    current = Period.parse(now)
    last = current.previous()
    accrual = None
    for name, evaluator in RULES.items():
        settings = rules.get(name)
        if settings is None or not settings.get("enabled", True):
            continue
        try:
            if name in ("tenant_margin", "overall_margin", "cost_spike") and accrual is None:
                accrual = analytics.live_accrual(engine, now=now)
            findings += evaluator(engine, settings, now, current, last, accrual, public_url)
        except ArcadiaError as exc:
            failed.append(f"{name}: {exc}")
    return findings, failed


def _tenant_margin(engine, settings, now, current, last, accrual, public_url) -> list[Finding]:
    est = accrual.estimate
    if est is None:
        return []
    threshold = Decimal(str(settings["below_pct"]))
    kinds = _tenant_kinds(engine, last)
    out = []
    for t in est.tenants:
        pct = t.projected_margin_pct
        if kinds.get(t.tenant_id) == "internal" or pct is None or pct >= threshold:
            continue
        out.append(Finding(
            "tenant_margin", t.tenant_id, current,
            f"{t.tenant_name}: projected {current.label} margin {_pct(pct)}, below {threshold} %",
            (f"projected revenue {display(t.projected_revenue_cents, est.currency)}, projected COGS "
             f"{display(t.projected_cogs_cents, est.currency)} (actual so far {display(t.actual_cogs_cents, est.currency)})",),
            {"tenant_id": t.tenant_id, "tenant_name": t.tenant_name, "projected_margin_pct": str(pct),
             "projected_revenue": _money(t.projected_revenue_cents), "projected_cogs": _money(t.projected_cogs_cents)},
            _link(public_url, "accrual", current)))
    return out


def _overall_margin(engine, settings, now, current, last, accrual, public_url) -> list[Finding]:
    est = accrual.estimate
    if est is None:
        return []
    threshold = Decimal(str(settings["below_pct"]))
    pct, margin = est.projected_margin_pct, est.projected_margin_cents
    if margin >= 0 and (pct is None or pct >= threshold):
        return []
    return [Finding(
        "overall_margin", "overall", current,
        f"Projected {current.label} margin {display(margin, est.currency)} ({_pct(pct)}), "
        + ("negative" if margin < 0 else f"below {threshold} %"),
        (f"projected revenue {display(est.projected_revenue_cents, est.currency)}, projected COGS "
         f"{display(est.projected_cogs_cents, est.currency)}",),
        {"projected_margin": _money(margin), "projected_margin_pct": None if pct is None else str(pct)},
        _link(public_url, "accrual", current))]


def _cost_spike(engine, settings, now, current, last, accrual, public_url) -> list[Finding]:
    est = accrual.estimate
    if est is None:
        return []
    up = Decimal(str(settings["up_pct"]))
    floor_cents = int(Decimal(str(settings.get("min_amount", "0"))) * 100)
    before = [analytics.margin_summary(engine, last.minus(back)) for back in range(SPIKE_MONTHS)]
    history: dict[str | None, int] = {}
    months: dict[str | None, int] = {}  # how many of the months the tenant had COGS in: a newcomer is no spike
    for summary in before:
        for t in summary.tenants:
            history[t.tenant_id] = history.get(t.tenant_id, 0) + t.cogs_cents
            months[t.tenant_id] = months.get(t.tenant_id, 0) + (t.cogs_cents != 0)
        history[None] = history.get(None, 0) + summary.unattributed_cogs_cents
        months[None] = months.get(None, 0) + (summary.unattributed_cogs_cents != 0)
    now_cogs = {t.tenant_id: (t.tenant_name, t.projected_cogs_cents) for t in est.tenants}
    now_cogs[None] = ("unattributed", est.unattributed_projected_cogs_cents)
    out = []
    for tenant_id, (name, projected) in now_cogs.items():
        average3 = history.get(tenant_id, 0)  # × 3: compared exactly, in integers
        if months.get(tenant_id, 0) < SPIKE_MONTHS or average3 <= 0 \
                or projected * SPIKE_MONTHS - average3 < floor_cents * SPIKE_MONTHS:
            continue
        rise = margin_pct(projected * SPIKE_MONTHS - average3, average3)  # (projected − average) ÷ average × 100
        if rise is None or rise < up:
            continue
        grew = _grew_most(engine, est, tenant_id, last)
        out.append(Finding(
            "cost_spike", tenant_id or "unattributed", current,
            f"{name}: {current.label} COGS run-rate {display(projected, est.currency)}, up {rise} % on its "
            f"{SPIKE_MONTHS}-month average",
            ("the resources that grew most (projected or last month, against their 3-month average):",
             *(f"  {r_name} ({kind}): {display(now_cents, est.currency)}, up {display(up3 // SPIKE_MONTHS, est.currency)}"
               for r_name, kind, now_cents, up3 in grew)),
            {"tenant_id": tenant_id, "projected_cogs": _money(projected), "rise_pct": str(rise)},
            _link(public_url, "accrual", current)))
    return out


def _grew_most(engine, est, tenant_id, last: Period, count: int = 3) -> list[tuple[str, str, int, int]]:
    """The tenant's resources whose cost grew most: (name, kind, cost now, growth × 3) for the `count` largest.

    A resource's cost now is its projected month-end cost where the estimate lists it (new ones, list prices),
    else last month's lines (the rate the estimate gives it); its average is over the 3 complete months before.
    """
    from arcadia.db import connect, fetch_rows

    with connect(engine) as conn:
        rows = fetch_rows(conn, "alerts/resource_growth", tenant_id=tenant_id, m1_start=last.start,
                          m1_end=last.end, m3_start=last.minus(SPIKE_MONTHS - 1).start,
                          window_start=est.period.start_at, window_end=est.as_of)
    growth = {rid: (r_name, kind, int(last_cents), int(last_cents) * SPIKE_MONTHS - int(three))
              for rid, r_name, kind, last_cents, three in rows}
    for r in est.resources:
        if r.tenant_id == tenant_id:
            before = growth.get(r.resource_id, (None, None, 0, 0))
            three = before[2] * SPIKE_MONTHS - before[3]  # the 3 months' sum back from (cost, growth × 3)
            growth[r.resource_id] = (r.name, r.kind, r.projected_cents, r.projected_cents * SPIKE_MONTHS - three)
    ranked = sorted(growth.values(), key=lambda g: (-g[3], g[0]))
    return [g for g in ranked if g[3] > 0][:count]


def _unattributed(engine, settings, now, current, last, accrual, public_url) -> list[Finding]:
    summary = analytics.margin_summary(engine, last)
    cents, cogs = summary.unattributed_cogs_cents, summary.overall.cogs_cents
    above = int(Decimal(str(settings.get("above_amount", "0"))) * 100)
    share = margin_pct(cents, cogs) if cogs > 0 else None
    limit_pct = Decimal(str(settings.get("above_pct", "100")))
    if cents <= above and (share is None or share <= limit_pct):
        return []
    return [Finding(
        "unattributed", "unattributed", last,
        f"{last.label}: unattributed COGS {display(cents, summary.currency)} ({_pct(share)} of COGS): tagging debt",
        ("cost lines with no tenant: tag their resources or their deployments",),
        {"unattributed_cogs": _money(cents), "share_pct": None if share is None else str(share)},
        _link(public_url, "unattributed", last))]


def _data(engine, settings, now, current, last, accrual, public_url) -> list[Finding]:
    report = health.check(engine, None, now)
    out = []
    errors = [p for p in report.problems if p.level == health.ERROR]
    if errors:
        out.append(Finding("data_errors", "data", current, f"Data health: {len(errors)} kinds of error",
                           tuple(f"{p.title} ({p.count:,})" for p in errors[:10]),
                           {"errors": [p.code for p in errors]}, _link(public_url, "health", current)))
    stale = timedelta(hours=float(settings.get("stale_hours", 36)))  # hours of a threshold, not money
    for sync in report.syncs:
        succeeded = sync["succeeded_at"]
        if succeeded is None or now - succeeded > stale:
            out.append(Finding("stale_sync", sync["account"], current,
                               f"DigitalOcean account {sync['account']}: no successful sync since "
                               f"{'never' if succeeded is None else f'{succeeded:%Y-%m-%d %H:%M} UTC'}",
                               (f"last attempt: {sync['outcome']}",), {"account": sync["account"]},
                               _link(public_url, "health", current)))
    if now.day > int(settings.get("rollup_day", 3)) and not analytics.margin_summary(engine, last).invoice_count:
        out.append(Finding("rollup_missing", "rollup", last,
                           f"{last.label} has no tenant invoices yet ({now:%Y-%m-%d}): run the rollup",
                           (f"python -m arcadia rollup --period {last.start:%Y-%m}",), {},
                           _link(public_url, "pnl", last)))
    return out


def _digest(engine, settings, now, current, last, accrual, public_url) -> list[Finding]:
    if now.day < int(settings.get("day", 2)):
        return []
    summary, before = analytics.margin_summary(engine, last), analytics.margin_summary(engine, last.previous())
    o, p = summary.overall, before.overall
    currency = summary.currency
    worst = [t for t in summary.tenants if not t.internal][:WORST]
    lines = [f"revenue {display(o.revenue_cents, currency)} ({_delta(o.revenue_cents, p.revenue_cents, currency)}), "
             f"COGS {display(o.cogs_cents, currency)} ({_delta(o.cogs_cents, p.cogs_cents, currency)}), "
             f"margin {display(o.margin_cents, currency)}, {_pct(o.margin_pct)} "
             f"({_delta(o.margin_cents, p.margin_cents, currency)})",
             f"unattributed COGS {display(summary.unattributed_cogs_cents, currency)}",
             f"the {len(worst)} worst tenants by margin:"]
    lines += [f"  {t.tenant_name}: margin {display(t.margin_cents, currency)} ({_pct(t.margin_pct)})" for t in worst]
    return [Finding("digest", "digest", last, f"Monthly digest: {last.label}", tuple(lines),
                    {"revenue": _money(o.revenue_cents), "cogs": _money(o.cogs_cents), "margin": _money(o.margin_cents),
                     "margin_pct": None if o.margin_pct is None else str(o.margin_pct),
                     "unattributed_cogs": _money(summary.unattributed_cogs_cents),
                     "worst_tenants": [{"tenant_id": t.tenant_id, "tenant_name": t.tenant_name,
                                        "margin": _money(t.margin_cents)} for t in worst]},
                    _link(public_url, "pnl", last))]


def _delta(now_cents: int, before_cents: int, currency: str) -> str:
    change = now_cents - before_cents
    sign = "+" if change >= 0 else ""
    return f"{sign}{display(change, currency)} vs the month before"


def _money(cents: int) -> str:
    from arcadia.money import fmt

    return fmt(cents)


def _tenant_kinds(engine: sa.Engine, period: Period) -> dict[str, str | None]:
    from arcadia.db import connect, fetch_rows

    with connect(engine) as conn:
        return {tenant_id: kind for tenant_id, _, kind in fetch_rows(conn, "tenant_names")}


RULES = {
    "tenant_margin": _tenant_margin,
    "overall_margin": _overall_margin,
    "cost_spike": _cost_spike,
    "unattributed": _unattributed,
    "data": _data,
    "digest": _digest,
}
