"""`python -m arcadia sync-do`: bring one DigitalOcean account's cost lines up to date, for a daily cron.

One run lists the account's invoices (`GET /v2/customers/my/invoices`), imports every final invoice of the
last N months that is not in place yet, then the current preview for the month the API names (its
`invoice_period`), unless the final invoice of that month is in, or the same preview (its `updated_at`) is
in place already. Each import is the importer's own (arcadia/do_import.py): one transaction, under its lock,
deciding again what is in place, so two runs at once import each invoice once and a re-run changes no cost
line. The preview's total is reconciled with the balance's `month_to_date_usage` (a warning when they differ).

The run is recorded per account in provider_syncs (attempted, last success, outcome) for Data health. The
token is sent only to the API's origin and never printed: errors name the API, not the token.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa

from arcadia import db, do_api, do_import, schema
from arcadia.do_invoice import FINAL, PREVIEW, PROVIDER, to_cents
from arcadia.errors import ArcadiaError, DatabaseUnavailable
from arcadia.labels import plural
from arcadia.money import display, fmt
from arcadia.period import Period, iso

DEFAULT_MONTHS = 3
STALE_HOURS = 36  # Data health warns when an account's last successful sync is older


@dataclass(frozen=True)
class Step:
    """One invoice the run looked at: imported (with what it replaced), or left as it was and why."""

    period: Period
    invoice_uuid: str
    source: str  # FINAL or PREVIEW
    imported: bool
    lines: int
    amount_cents: int
    replaced: str  # what was in place before ('nothing', 'preview … as of …')
    reason: str  # why not imported; '' when imported


@dataclass(frozen=True)
class SyncResult:
    account: str
    api: str
    started_at: datetime
    steps: tuple[Step, ...]
    usage_cents: int | None  # the balance's month_to_date_usage
    usage_at: datetime | None
    warnings: tuple[str, ...] = field(default=())

    @property
    def changed(self) -> bool:
        return any(step.imported for step in self.steps)


def sync(engine: sa.Engine, token: str, now: datetime, api_url: str = do_api.DEFAULT_API_URL,
         account: str = do_import.DEFAULT_ACCOUNT, months: int = DEFAULT_MONTHS,
         sleep: Callable[[float], None] = time.sleep) -> SyncResult:
    """Import what the account's months lack; record the run. ArcadiaError (after recording it) when the API or
    the database fails; the invoices imported before the failure stay imported."""
    account = do_import.check_account(account)
    origin = do_api.api_origin(api_url)
    try:
        result = _sync(engine, token, now, api_url, account, months, sleep)
    except DatabaseUnavailable:
        raise
    except ArcadiaError as exc:
        _record(engine, account, now, None, f"failed: {exc}")
        raise
    _record(engine, account, now, now, "ok: " + outcome_words(result))
    return SyncResult(result.account, origin, result.started_at, result.steps, result.usage_cents, result.usage_at,
                      result.warnings)


def _sync(engine, token, now, api_url, account, months, sleep) -> SyncResult:
    listing = do_api.list_invoices(token, api_url, sleep)
    current = Period.parse(now)
    first = current.minus(months)
    steps, warnings = [], []
    for listed in sorted(listing.invoices, key=lambda i: i.period.start):
        if first.start <= listed.period.start < current.end:
            steps.append(_bring(engine, token, api_url, account, listed, now, sleep))
    usage_cents = usage_at = None
    preview = listing.preview
    if preview is not None:
        steps.append(_bring(engine, token, api_url, account, preview, now, sleep))
        try:
            usage, usage_at = do_api.month_to_date_usage(token, api_url, sleep)
            usage_cents = to_cents(usage)
        except ArcadiaError as exc:  # the preview is in; only the cross-check is missing
            warnings.append(f"the balance could not be read to reconcile the preview: {exc}")
        else:
            warnings += _reconcile(preview, usage_cents)
    return SyncResult(account, do_api.api_origin(api_url), now, tuple(steps), usage_cents, usage_at, tuple(warnings))


def _bring(engine, token, api_url, account, listed: do_api.Listed, now, sleep) -> Step:
    """One listed invoice in place for the account, unless it (or what outranks it) is already."""
    before = _in_place(engine, listed.period, account)
    reason = _already(before, listed)
    if reason:
        return Step(listed.period, listed.invoice_uuid, listed.source, False, 0, 0, _words(before), reason)
    invoice = do_api.fetch_invoice(listed.invoice_uuid, listed.period, token, api_url, sleep, source=listed.source,
                                   as_of=listed.updated_at or now if listed.source == PREVIEW else None,
                                   ask_as=do_api.PREVIEW_KEYWORD if listed.source == PREVIEW else None)
    result = do_import.import_invoices(engine, [invoice], listed.period, account=account)
    if result.skipped:  # another run put it (or a newer one) in place meanwhile
        return Step(listed.period, listed.invoice_uuid, listed.source, False, 0, 0, _words(result.before),
                    result.skipped)
    return Step(listed.period, listed.invoice_uuid, listed.source, True, len(result.lines), result.total_cents,
                _words(result.before), "")


def _already(before: do_import.InPlace | None, listed: do_api.Listed) -> str:
    """Why the listed invoice needs no import ('' when it does)."""
    if before is None:
        return ""
    if before.source == FINAL and (listed.source == PREVIEW or before.provider_invoice_id == listed.invoice_uuid):
        return f"the final invoice {before.provider_invoice_id} is in place"
    if listed.source == PREVIEW and before.source == PREVIEW and before.provider_invoice_id == listed.invoice_uuid:
        if listed.updated_at is not None and before.as_of is not None and before.as_of >= listed.updated_at:
            return f"this preview (as of {before.as_of:%Y-%m-%d %H:%M} UTC) is in place"
        if listed.updated_at is None and before.amount_cents == to_cents(listed.amount):
            return "this preview (same total, no updated_at) is in place"
    return ""


def _words(place: do_import.InPlace | None) -> str:
    return "nothing" if place is None else place.words


def _in_place(engine: sa.Engine, period: Period, account: str) -> do_import.InPlace | None:
    with db.connect(engine) as conn, conn.begin():
        return do_import.in_place(conn, period).get(account)


def _reconcile(preview: do_api.Listed, usage_cents: int) -> list[str]:
    """A warning when the preview's total (taxes included, as the API lists it) is not the balance's month-to-date
    usage."""
    total = to_cents(preview.amount)
    if usage_cents == total:
        return []
    return [f"the {preview.period.label} preview totals {display(total)} but the balance's month_to_date_usage is "
            f"{display(usage_cents)} ({display(usage_cents - total)} apart): DigitalOcean updates them at different "
            "times; if they still differ tomorrow, compare the preview with the control panel"]


def _record(engine: sa.Engine, account: str, attempted: datetime, succeeded: datetime | None, outcome: str) -> None:
    """The run in provider_syncs; a failed run keeps the last success's time."""
    table = schema.provider_syncs
    try:
        with db.connect(engine) as conn, conn.begin():
            where = (table.c.provider == PROVIDER, table.c.account == account)
            last = conn.execute(sa.select(table.c.succeeded_at).where(*where)).scalar()
            conn.execute(table.delete().where(*where))
            conn.execute(table.insert().values(provider=PROVIDER, account=account, attempted_at=attempted,
                                               succeeded_at=succeeded or last, outcome=outcome[:1000]))
    except sa.exc.DBAPIError as exc:
        raise do_import.write_error(exc, engine) from None


def last_syncs(conn: sa.Connection) -> list[dict]:
    """Every account's last sync: attempted, last success and outcome (provider_syncs), by account."""
    table = schema.provider_syncs
    rows = conn.execute(sa.select(table).where(table.c.provider == PROVIDER).order_by(table.c.account))
    return [{"account": r.account, "attempted_at": r.attempted_at, "succeeded_at": r.succeeded_at,
             "outcome": r.outcome} for r in rows]


def outcome_words(result: SyncResult) -> str:
    imported = [s for s in result.steps if s.imported]
    if not imported:
        return "nothing new"
    return "imported " + ", ".join(f"{s.period.label} {'preview' if s.source == PREVIEW else 'invoice'} "
                                   f"({display(s.amount_cents)})" for s in imported)


def to_text(result: SyncResult) -> str:
    out = [f"DigitalOcean sync of account {result.account} ({result.api}) at {iso(result.started_at)}"]
    for s in result.steps:
        what = f"{s.period.label} {'preview' if s.source == PREVIEW else 'final invoice'} {s.invoice_uuid}"
        if s.imported:
            out.append(f"  imported {what}: {plural(s.lines, 'line')}, {display(s.amount_cents)} (replaced {s.replaced})")
        else:
            out.append(f"  unchanged {what}: {s.reason}")
    if not result.steps:
        out.append("  no invoice or preview in the months synced")
    if result.usage_cents is not None:
        out.append(f"  balance: month-to-date usage {display(result.usage_cents)}"
                   + (f" as of {iso(result.usage_at)}" if result.usage_at else ""))
    out += [f"warning: {w}" for w in result.warnings]
    return "\n".join(out)


def to_json(result: SyncResult) -> dict:
    return {
        "account": result.account, "provider": PROVIDER, "api": result.api, "synced_at": iso(result.started_at),
        "changed": result.changed,
        "steps": [{"period": str(s.period), "invoice_uuid": s.invoice_uuid, "source": s.source,
                   "imported": s.imported, "lines": s.lines, "total": fmt(s.amount_cents), "replaced": s.replaced,
                   "reason": s.reason or None} for s in result.steps],
        "balance": None if result.usage_cents is None else {
            "month_to_date_usage": fmt(result.usage_cents), "generated_at": iso(result.usage_at)},
        "warnings": list(result.warnings),
    }
