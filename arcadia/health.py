"""Data health: the rows the figures silently skip or cannot add up, listed before they mislead anyone.

Other programs write the contract tables with plain SQL, and the figures are defined to ignore what
they cannot use (a reading stamped in 2062, usage of an item the subscription does not have). Each
check here counts one kind of such row and names up to five of them; `check` runs them all, each
contained (a check that fails becomes an error-level problem saying so, and the others still run).
The counting and the examples are SQL (queries/health/, one statement per check, cheap at scale);
only the catalog's tiers, a handful of rows, are validated in Python. Every query only reads.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa

from arcadia import db
from arcadia.errors import ArcadiaError, DatabaseUnavailable
from arcadia.money import fmt
from arcadia.period import UTC, Period, iso
from arcadia.billing import pricing_problems
from arcadia.labels import printable
from arcadia.do_import import InPlace, in_place_json, in_place_rows
from arcadia.do_invoice import PROVIDER
from arcadia.sync_do import STALE_HOURS, last_syncs

ERROR, WARNING = "error", "warning"
EXAMPLES = 5  # the LIMIT of every check's query
# 10^15 cents is ten trillion dollars; a month adding ~9,000 such amounts leaves 64-bit integers.
HUGE = 10**15
# Usage this far past now is "in the future": a clock a little ahead is not a data problem.
FUTURE_SLACK = timedelta(days=1)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)  # no figure covers a month before 1970 (arcadia.period)
# Without a period a check looks at every row the figures could ever read: these bounds, not NULLs,
# keep each query a plain range (an index range on PostgreSQL) and stay inside Python's dates.
ALL_FROM = datetime(1000, 1, 1, tzinfo=UTC)
ALL_UNTIL = datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)


@dataclass(frozen=True)
class Problem:
    """One kind of bad row: how many, up to five examples naming them, why it matters and what to do."""

    code: str
    level: str  # ERROR or WARNING
    title: str  # our own text only (never the database's): pages may render it as markdown
    count: int
    examples: tuple[dict, ...]  # small dicts of strings and ints: ids and the offending values
    hint: str


@dataclass(frozen=True)
class Report:
    """Every problem found for a month (or all months: period None), errors first."""

    period: Period | None
    checked_at: datetime
    problems: tuple[Problem, ...]
    # What each DigitalOcean account's months hold (provider_invoices) and each account's last sync: not problems,
    # the record an operator reads beside them.
    in_place: tuple[InPlace, ...] = ()
    syncs: tuple[dict, ...] = ()

    @property
    def errors(self) -> int:
        return sum(p.level == ERROR for p in self.problems)

    @property
    def warnings(self) -> int:
        return sum(p.level == WARNING for p in self.problems)


@dataclass(frozen=True)
class Scope:
    """What the checks look at: one month (or every month the figures could read) and the present."""

    period: Period | None
    now: datetime

    def days(self) -> dict[str, date]:
        """Binds for date columns (period): the month, half-open."""
        if self.period is None:
            return {"period_start": ALL_FROM.date(), "period_end": ALL_UNTIL.date()}
        return {"period_start": self.period.start, "period_end": self.period.end}

    def window(self) -> dict[str, datetime]:
        """Binds for instants (recorded_at, started_at): the month, half-open."""
        if self.period is None:
            return {"window_start": ALL_FROM, "window_end": ALL_UNTIL}
        return {"window_start": self.period.start_at, "window_end": self.period.end_at}


@dataclass(frozen=True)
class Found:
    """What one check found: the count, the examples, and an addition to its title (our own text)."""

    count: int
    examples: list[dict] = field(default_factory=list)
    note: str = ""


@dataclass(frozen=True)
class Check:
    code: str
    level: str
    title: str
    hint: str
    run: Callable[[sa.Connection, Scope], Found]
    dialects: tuple[str, ...] = ()  # empty: every backend


# --- how database values become example cells: strings and ints, JSON-safe -------------------------

def _text(value, limit: int = 80) -> str | None:
    """A database value as a short string (None stays None)."""
    if value is None:
        return None
    text = value.isoformat() if isinstance(value, (date, datetime)) else str(value)
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _money(cents) -> str:
    return fmt(int(cents))


def _quantity(micros) -> str:
    """Millionths of a unit (int or exact Decimal) as a plain decimal string, '100.5'."""
    exact = Decimal(micros) / 1_000_000
    text = format(exact, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _first(rows, key: str = "problem_count") -> int:
    return int(rows[0][key]) if rows else 0


def _query(name: str, binds: Callable[[Scope], dict], example: Callable[[Mapping], dict]):
    """A check that is one query: its rows are the examples, each carrying the problem count."""

    def run(conn: sa.Connection, scope: Scope) -> Found:
        rows = db.fetch(conn, f"health/{name}", **binds(scope))
        return Found(_first(rows), [example(row) for row in rows])

    return run


def _usage_example(row: Mapping) -> dict:
    return {"usage_id": _text(row["usage_id"]), "subscription_id": _text(row["subscription_id"]),
            "catalog_item_id": _text(row["catalog_item_id"]), "recorded_at": _text(row["recorded_at"])}


def _located(row: Mapping) -> dict:
    return {"table": row["source"], "id": _text(row["row_id"]), "column": row["column_name"],
            "value": _text(row["value"])}


def _invoice(row: Mapping, *columns: str) -> dict:
    example = {"invoice_id": _text(row["invoice_id"]), "tenant_id": _text(row["tenant_id"]),
               "period": _text(row["period"], 10)}
    example.update({column.removesuffix("_cents"): _money(row[column]) for column in columns})
    return example


# --- checks that need more than one query's rows ----------------------------------------------------

def _not_subscribed(conn: sa.Connection, scope: Scope) -> Found:
    rows = db.fetch(conn, "health/usage_not_subscribed", **scope.window())
    examples = [{"subscription_id": _text(r["subscription_id"]), "catalog_item_id": _text(r["catalog_item_id"]),
                 "sku": _text(r["sku"]), "readings": int(r["readings"]), "quantity": _quantity(r["quantity_micros"])}
                for r in rows]
    note = f" (Σ quantity {_quantity(rows[0]['total_quantity_micros'])})" if rows else ""
    return Found(_first(rows), examples, note)


def _mixed_currencies(conn: sa.Connection, scope: Scope) -> Found:
    """Months whose live invoices, cost lines (and, for one month, active subscriptions) use >1 currency."""
    counts: dict[str, dict[str, dict[str, int]]] = defaultdict(lambda: defaultdict(dict))
    for row in db.fetch(conn, "health/month_currencies", **scope.days()):
        counts[row["month"]][row["source"]][row["currency"]] = int(row["row_count"])
    if scope.period is not None:
        # Only a month has "the subscriptions active in it"; across all months they may differ by year.
        for row in db.fetch(conn, "health/subscription_currencies", **scope.window()):
            counts[str(scope.period)]["subscriptions"][row["currency"]] = int(row["row_count"])
    mixed = []
    for month in sorted(counts):
        tables = counts[month]
        currencies = sorted({c for per_table in tables.values() for c in per_table}, key=str)
        if len(currencies) > 1:
            example = {"month": month, "currencies": ", ".join(_text(c) or "NULL" for c in currencies)}
            for table in ("tenant_invoices", "cloud_cost_lines", "subscriptions"):
                if table in tables:
                    example[table] = ", ".join(f"{_text(c) or 'NULL'} {n}" for c, n in sorted(
                        tables[table].items(), key=lambda item: str(item[0])))
            mixed.append(example)
    return Found(len(mixed), mixed[:EXAMPLES])


def _two_sources(conn: sa.Connection, scope: Scope) -> Found:
    """Months with an invoice in place and lines of another that no account has in place: one example per month."""
    months: dict[str, list[str]] = defaultdict(list)
    rows = db.fetch(conn, "health/two_sources", provider=PROVIDER, **scope.days())
    for r in rows:
        where = f"in place for {r['account']}" if r["account"] is not None else "in place for no account"
        months[_text(r["period"], 10)].append(f"{_text(r['provider_invoice_id'])} ({where}: "
                                              f"{int(r['line_count']):,} lines, {_money(r['amount_cents'])})")
    return Found(_first(rows), [{"period": month, "invoices": "; ".join(found)} for month, found in months.items()])


def _unreadable_subscriptions(conn: sa.Connection, scope: Scope) -> Found:
    rows = db.fetch(conn, "unreadable_subscriptions")
    note = " (the first 20)" if len(rows) == 20 else ""
    return Found(len(rows), [{"subscription_id": _text(r["subscription_id"]), "tenant_id": _text(r["tenant_id"])}
                             for r in rows[:EXAMPLES]], note)


def _stale_syncs(conn: sa.Connection, scope: Scope) -> Found:
    """Accounts whose last successful sync-do is older than STALE_HOURS (or that never succeeded)."""
    stale = [row for row in last_syncs(conn)
             if row["succeeded_at"] is None or scope.now - row["succeeded_at"] > timedelta(hours=STALE_HOURS)]
    return Found(len(stale), [{"account": _text(r["account"]), "last_success": _text(r["succeeded_at"]),
                               "last_attempt": _text(r["attempted_at"]), "outcome": _text(r["outcome"], 200)}
                              for r in stale[:EXAMPLES]])


def tier_problems(pricing_model, unit_price_micros, tiers_text) -> list[str]:
    """What is wrong with one catalog item's pricing ([] when nothing): the quote engine's rules
    (billing.pricing_problems, the ones the figures refuse to price by), and tier prices too large to add."""
    reasons = pricing_problems(pricing_model, unit_price_micros, tiers_text)
    try:
        tiers = json.loads(tiers_text) if isinstance(tiers_text, str) else None
    except (ValueError, RecursionError):
        tiers = None
    for position, tier in enumerate(tiers if isinstance(tiers, list) else [], start=1):
        price = tier.get("unit_price_micros") if isinstance(tier, dict) else None
        if isinstance(price, int) and not isinstance(price, bool) and price >= HUGE:
            reasons.append(f"tier {position}: unit_price_micros of 10^15 or more")
    return reasons


def _catalog(conn: sa.Connection, scope: Scope) -> Found:
    bad = []
    for row in db.fetch(conn, "health/catalog_pricing"):
        reasons = tier_problems(row["pricing_model"], row["unit_price_micros"], row["tiers"])
        if reasons:
            bad.append({"catalog_item_id": _text(row["catalog_item_id"]), "sku": _text(row["sku"]),
                        "pricing_model": _text(row["pricing_model"]), "problem": "; ".join(reasons),
                        "tiers": _text(row["tiers"], 120)})
    return Found(len(bad), bad[:EXAMPLES])


# --- the checks, in the order they are listed ---------------------------------------------------------

CHECKS: tuple[Check, ...] = (
    Check("usage_future", ERROR, "Usage readings stamped in the future",
          "Readings more than a day after now belong to no month yet: today's accrual and invoices leave them "
          "out. Usually a wrong clock or year at the meter; fix recorded_at in usage_records.",
          _query("usage_future", lambda s: {"future_after": s.now + FUTURE_SLACK}, _usage_example)),
    Check("usage_far_past", ERROR, "Usage readings stamped before 1970",
          "No month before 1970 is ever priced, so these readings count nowhere. Fix recorded_at in "
          "usage_records (often a two-digit year or a zero timestamp).",
          _query("usage_far_past", lambda s: {"past_before": EPOCH}, _usage_example)),
    Check("unreadable_timestamps", ERROR, "Timestamps or dates that cannot be read",
          "SQLite keeps timestamps as text; these are not ISO-8601 dates of years 0–9999, so every figure "
          "skips their rows. Rewrite them as 'YYYY-MM-DD HH:MM:SS+00:00' (dates as 'YYYY-MM-DD').",
          _query("unreadable_timestamps", lambda s: {}, _located), dialects=("sqlite",)),
    Check("subscription_timestamps", ERROR, "Subscriptions whose start or end cannot be read",
          "PostgreSQL holds infinity, -infinity, BC dates and years past 9999, which no client can read as an "
          "instant: every live accrual leaves these subscriptions out (and names them). Set started_at and ended_at "
          "to real instants (NULL for no end).", _unreadable_subscriptions, dialects=("postgresql",)),
    Check("catalog_malformed", ERROR, "Catalog items whose pricing cannot be used",
          "The quote engine prices usage with these fields: a tiered item needs a JSON list of tiers, each "
          "with a numeric up_to (null only on the last, strictly increasing) and an integer "
          "unit_price_micros ≥ 0. Fix the catalog_items row.", _catalog),
    Check("mixed_currencies", ERROR, "Months with amounts in more than one currency",
          "A month's figures are never added across currencies (there is no FX table): its P&L fails with "
          "an error naming them. Check the currency column of these invoices, cost lines and subscriptions.",
          _mixed_currencies),
    Check("invoice_lines_mismatch", ERROR, "Invoices whose lines do not add up to the subtotal",
          "Revenue uses the subtotal; revenue by kind and by deployment use the lines: they disagree while "
          "Σ lines ≠ subtotal. Re-run the rollup for the month, or fix the invoice (void invoices are ignored).",
          _query("invoice_lines_mismatch", Scope.days,
                 lambda r: _invoice(r, "subtotal_cents", "lines_cents"))),
    Check("invoice_total_mismatch", ERROR, "Invoices whose total is not subtotal + tax",
          "total_cents must be subtotal_cents + tax_cents (GST). Re-run the rollup for the month, or fix "
          "the invoice (void invoices are ignored).",
          _query("invoice_total_mismatch", Scope.days,
                 lambda r: _invoice(r, "subtotal_cents", "tax_cents", "total_cents"))),
    Check("amount_overflow", ERROR, "Amounts or prices of ten trillion or more",
          "Amounts of 10^15 cents (or prices of 10^15 micros) and more are almost certainly a unit mistake, "
          "and a month adding them can exceed 64-bit integers. Fix the value at its source.",
          _query("amount_overflow", Scope.days, _located)),
    Check("two_sources", ERROR, "Months holding DigitalOcean cost lines of two sources",
          "Per DigitalOcean account and month one invoice is in place: the final invoice, else the newest daily "
          "preview. These months also hold lines of an invoice that no account has in place (an import from "
          "before invoices were kept in place, such as a preview beside its final invoice, or another program's "
          "lines), so their COGS may count a dollar twice. Import the month again (`import-do` or `sync-do`), "
          "or delete the extra invoice's lines by its provider_invoice_id.", _two_sources),
    Check("stale_sync", WARNING, f"DigitalOcean accounts not synced for {STALE_HOURS} hours",
          "`python -m arcadia sync-do` keeps the month in progress's cost up to date when it runs daily: the "
          "live margin models what the cost lines do not hold yet. Check the cron job or timer and the last "
          "failure's words (README, Daily DigitalOcean sync).", _stale_syncs),
    Check("month_overflow", ERROR, "Months whose amounts add up beyond what a figure can hold",
          "Each amount may be small enough, but the month's cost lines or invoice subtotals add up to ten trillion "
          "or more (in absolute value): its P&L, by kind and trend cannot be computed. Find the rows in the wrong "
          "unit (an import in cents instead of dollars?) and fix or delete them.",
          _query("month_overflow", Scope.days, lambda r: {
              "period": _text(r["period"], 10), "table": r["source"], "sum_cents": _text(r["magnitude"])})),
    Check("usage_not_subscribed", WARNING, "Usage of items the subscription does not have",
          "The quote engine prices a subscription's own items only: these readings are silently not billed. "
          "Add the catalog item to the subscription (subscription_items) or fix the reading's catalog_item_id.",
          _not_subscribed),
    Check("cost_line_unknown_kind", WARNING, "Cost lines with a kind outside the contract's list",
          "Kinds are normalised to droplet, volume, snapshot, backup, load_balancer, database, spaces, "
          "kubernetes, bandwidth or other; these lines still count in COGS but make their own row in "
          "COGS by kind. Fix the importer's kind mapping.",
          _query("cost_line_unknown_kind", Scope.days, lambda r: {
              "cost_line_id": _text(r["cost_line_id"]), "period": _text(r["period"], 10), "kind": _text(r["kind"]),
              "description": _text(r["description"]), "amount": _money(r["amount_cents"]),
              "currency": _text(r["currency"])})),
    Check("resource_tenant_conflict", WARNING, "Resources tagged with another tenant than their deployment's",
          "A resource in a deployment bills to the deployment's tenant, whatever its own tenant tag says. "
          "Fix the tag, or move the resource to the right deployment.",
          _query("resource_tenant_conflict", lambda s: {}, lambda r: {
              "resource_id": _text(r["resource_id"]), "resource_name": _text(r["resource_name"]),
              "resource_tenant_id": _text(r["resource_tenant_id"]), "deployment_id": _text(r["deployment_id"]),
              "deployment_tenant_id": _text(r["deployment_tenant_id"])})),
    Check("cost_line_outside_lifetime", WARNING, "Cost lines for a month their resource did not exist in",
          "The line's month is before the month the resource was first seen, or after the month it was "
          "deleted: the line may be matched to the wrong resource (a reused provider id).",
          _query("cost_line_outside_lifetime", Scope.days, lambda r: {
              "cost_line_id": _text(r["cost_line_id"]), "period": _text(r["period"], 10),
              "resource_id": _text(r["resource_id"]), "resource_name": _text(r["resource_name"]),
              "first_seen_at": _text(r["first_seen_at"]), "deleted_at": _text(r["deleted_at"]),
              "amount": _money(r["amount_cents"])})),
)


def check(engine: sa.Engine, period: Period | None, now: datetime, checks: tuple[Check, ...] = CHECKS) -> Report:
    """Run every check (for `period`, or every month when None) and list the problems, errors first.

    A check that fails becomes an error-level problem saying why; the others still run. The database
    being unreachable is not a check's problem: DatabaseUnavailable propagates.
    """
    now = now.astimezone(UTC) if now.tzinfo else now.replace(tzinfo=UTC)
    scope = Scope(period, now)
    found = [_run(engine, item, scope) for item in checks if not item.dialects or engine.dialect.name in item.dialects]
    problems = sorted((p for p in found if p is not None), key=lambda p: p.level != ERROR)  # stable: check order
    places, syncs = _provider_record(engine, period)
    return Report(period, now, tuple(problems), places, syncs)


def _provider_record(engine: sa.Engine, period: Period | None) -> tuple[tuple[InPlace, ...], tuple[dict, ...]]:
    """What is in place per account and month (the month's, or the newest 24) and the last syncs; empty on a
    database without the importer's tables (the checks above say what else is wrong)."""
    with db.connect(engine) as conn:
        try:
            return tuple(in_place_rows(conn, period)), tuple(last_syncs(conn))
        except sa.exc.DBAPIError:
            return (), ()


def _run(engine: sa.Engine, item: Check, scope: Scope) -> Problem | None:
    """One check on its own connection (and deadline): its problem, None when clean, or its failure."""
    with db.connect(engine) as conn:  # outside the try: an unreachable database fails the whole report
        try:
            found = item.run(conn, scope)
        except Exception as exc:  # noqa: BLE001 — contained: one check's failure is that check's problem
            if type(exc) is ArcadiaError:
                raise  # the database as a whole is unusable (no Arcadia tables): said once, not per check
            failure = exc
        else:
            if not found.count:
                return None
            return Problem(item.code, item.level, item.title + found.note, found.count, tuple(found.examples),
                           item.hint)
    if isinstance(failure, DatabaseUnavailable):
        _still_answers(engine, failure)  # a query timing out is this check's failure; an outage is not
    return _failed(item, failure)


def _still_answers(engine: sa.Engine, failure: DatabaseUnavailable) -> None:
    """Raise `failure` unless the database answers a trivial query on a new connection."""
    try:
        with db.connect(engine) as conn:
            conn.exec_driver_sql("SELECT 1").close()
    except (DatabaseUnavailable, sa.exc.SQLAlchemyError):
        raise failure from None


def _failed(item: Check, exc: Exception) -> Problem:
    reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return Problem(item.code, ERROR, f"Check failed: {item.title}", 0,
                   ({"check": item.code, "error": type(exc).__name__, "reason": _text(reason, 300)},),
                   "This check could not run, so its kind of problem may be present and unreported. The reason "
                   "is the database's or the program's own words; the other checks ran.")


# --- output shapes: the CLI's --json document and its readable text --------------------------------------

def to_json(report: Report) -> dict:
    """The `python -m arcadia check --json` document (JSON-safe: ids, instants and money as strings)."""
    return {
        "period": None if report.period is None else str(report.period),
        "checked_at": report.checked_at.isoformat().replace("+00:00", "Z"),
        "problems": [{"code": p.code, "level": p.level, "title": p.title, "count": p.count,
                      "examples": [{k: _json_value(v) for k, v in e.items()} for e in p.examples],
                      "hint": p.hint} for p in report.problems],
        "errors": report.errors,
        "warnings": report.warnings,
        "in_place": [in_place_json(p) for p in report.in_place],
        "syncs": [{k: _json_value(v) if k not in ("attempted_at", "succeeded_at") else iso(v) for k, v in s.items()}
                  for s in report.syncs],
    }


def _json_value(value):
    return value if value is None or isinstance(value, (str, int)) and not isinstance(value, bool) else str(value)


def to_text(report: Report) -> str:
    """One line per problem (level, count, title), its examples indented; or that nothing was found."""
    scope = "all months" if report.period is None else report.period.label
    lines = [f"Data health of {scope}, checked at {report.checked_at.isoformat()}"]
    lines += [f"in place: {p.period.label}, account {printable(p.account)}: {printable(p.words)} "
              f"({p.line_count:,} lines, {_money(p.amount_cents)})" for p in report.in_place]
    lines += [f"last sync: account {printable(s['account'])}: succeeded {iso(s['succeeded_at']) or 'never'}, "
              f"attempted {iso(s['attempted_at'])} ({printable(s['outcome'])})" for s in report.syncs]
    if not report.problems:
        return "\n".join(lines + ["no problems found"])
    for p in report.problems:
        lines.append(f"{p.level:<7} {p.count:>8}  {p.title}  [{p.code}]")
        lines += ["    " + ", ".join(f"{k}={printable(v)}" for k, v in e.items()) for e in p.examples]
    lines.append(f"{report.errors} error(s), {report.warnings} warning(s)")
    return "\n".join(lines)
