"""DigitalOcean invoices into cloud_cost_lines: match each item to the inventory, replace the invoice's lines.

The CLI (`python -m arcadia import-do`) and the Import page call the same two functions: `preview`
(match, count what would be replaced, write nothing) and `import_invoices` (the same, then write).

Matching (CONTRACT §1: resource_id NULL = not matched = unattributed):
- an item with a resource id (API: resource_uuid, resource_id) matches the provider's resource with that
  provider_id, whatever its age; an id the inventory does not hold stays unmatched (no name fallback: a
  resource re-created under the same name is another resource);
- an item without one (every CSV item) matches by kind and the name in its description (the part before
  ' ('), else its group description, among the resources alive in the month; backups are billed under
  their droplet's name. When several resources have the name, the text in parentheses (a droplet's size
  slug, a volume's region) picks among them; it never rules out a single one (a droplet resized during
  the month bills its old size under the same name).

Writing: one transaction per import. Each invoice's lines of the month are deleted and the new ones
inserted (so an import run twice leaves one copy, with the same totals); taxes are skipped unless
asked for (then they are kind `other`). On PostgreSQL the insert is one statement, so the pre-aggregate
triggers run once per import, however many lines.
"""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache, cached_property
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa

from arcadia import db, schema
from arcadia.do_invoice import CURRENCY, FILE, FINAL, PREVIEW, PROVIDER, Invoice, Item
from arcadia.errors import ArcadiaError, DatabaseUnavailable, DataError, InputError, shown
from arcadia.labels import plural
from arcadia.money import display, fmt
from arcadia.period import Period, iso

NO_MATCH = "no resource id and no name match"
SEVERAL = "several candidates"
UNKNOWN_ID = "resource id not in inventory"
REASONS = (NO_MATCH, SEVERAL, UNKNOWN_ID)
# Which inventory kinds an item's name is looked up in (default: its own kind). Backups are not resources
# of their own at DigitalOcean: they bill under the droplet's name, to the droplet's tenant.
LOOKUP_KINDS = {"backup": ("droplet",)}
DEFAULT_ACCOUNT = "default"
SOURCE_WORDS = {FINAL: "final invoice", PREVIEW: "preview", FILE: "file export"}
GRANTS = ("nothing was written. The writing role needs SELECT on cloud_resources and cloud_deployments, SELECT, "
          "INSERT and DELETE on cloud_cost_lines, provider_invoices and provider_syncs and, on PostgreSQL (the pre-aggregate triggers run as the caller), "
          "SELECT, INSERT, UPDATE and DELETE on agg_cost_tenant, agg_cost_kind and agg_pnl_deployment: the README "
          "gives the SQL")


@dataclass(frozen=True, slots=True)
class Resource:
    id: str
    provider_id: str
    kind: str
    name: str
    region: str | None
    size_slug: str | None


@dataclass(frozen=True, slots=True)
class Line:
    """An item as it is (or would be) stored: matched to a resource, or why not."""

    item: Item
    resource: Resource | None
    provider_resource_id: str | None
    unmatched: str | None   # one of REASONS; None when matched
    matched_by: str | None  # "id" or "name"


@dataclass(frozen=True)
class InvoiceImport:
    invoice: Invoice
    lines: tuple[Line, ...]
    taxes: tuple[Item, ...]        # skipped (not COGS) unless include_tax
    replaced_lines: int            # lines of this invoice and month already stored (deleted by the import)
    replaced_cents: int

    @property
    def total_cents(self) -> int:
        return sum(line.item.amount_cents for line in self.lines)


@dataclass(frozen=True)
class InPlace:
    """What a provider account's month holds (a row of provider_invoices): the one source of its cost lines."""

    account: str
    period: Period
    provider_invoice_id: str
    source: str  # FINAL, PREVIEW or FILE
    as_of: datetime | None  # a preview's updated_at
    lines_through: datetime | None  # the instant its lines run to
    described: str
    line_count: int
    amount_cents: int
    imported_at: datetime | None

    @property
    def words(self) -> str:
        """'final invoice 2a1b…', 'preview as of 2026-12-05 06:00 UTC', 'file export invoice.csv'."""
        if self.source == PREVIEW and self.as_of is not None:
            return f"preview {self.provider_invoice_id} as of {self.as_of:%Y-%m-%d %H:%M} UTC"
        if self.source == FILE:
            return f"file export {self.described}"
        return f"{SOURCE_WORDS.get(self.source, self.source)} {self.provider_invoice_id}"


@dataclass(frozen=True)
class ImportResult:
    """What an import wrote (or, for a preview, would write), with the matching counted every way."""

    period: Period
    database: str
    written: bool
    include_tax: bool
    invoices: tuple[InvoiceImport, ...]
    kept: tuple[tuple[str, int, int], ...]  # other invoices of the month, left as they are: id, lines, cents
    warnings: tuple[str, ...] = field(default=())
    account: str = DEFAULT_ACCOUNT
    before: InPlace | None = None  # what was in place for the account's month
    skipped: str | None = None  # why nothing is (or would be) written: what is in place already wins

    @cached_property
    def lines(self) -> tuple[Line, ...]:
        return tuple(line for invoice in self.invoices for line in invoice.lines)

    @cached_property
    def taxes(self) -> tuple[Item, ...]:
        return tuple(item for invoice in self.invoices for item in invoice.taxes)

    @property
    def total_cents(self) -> int:
        return sum(invoice.total_cents for invoice in self.invoices)

    @cached_property
    def matched(self) -> tuple[int, int]:
        found = [line.item.amount_cents for line in self.lines if line.resource is not None]
        return len(found), sum(found)

    @cached_property
    def unmatched(self) -> dict[str, tuple[int, int]]:
        """Reason → (lines, cents), every reason listed."""
        counts = {reason: [0, 0] for reason in REASONS}
        for line in self.lines:
            if line.unmatched is not None:
                counts[line.unmatched][0] += 1
                counts[line.unmatched][1] += line.item.amount_cents
        return {reason: (n, cents) for reason, (n, cents) in counts.items()}

    @cached_property
    def by_kind(self) -> list[tuple[str, int, int]]:
        """(kind, lines, cents), largest amount first."""
        cents, counts = Counter(), Counter()
        for line in self.lines:
            cents[line.item.kind] += line.item.amount_cents
            counts[line.item.kind] += 1
        return sorted(((kind, counts[kind], cents[kind]) for kind in counts), key=lambda k: (-k[2], k[0]))

    @property
    def replaced(self) -> tuple[int, int]:
        return (sum(i.replaced_lines for i in self.invoices), sum(i.replaced_cents for i in self.invoices))

    @property
    def rounded(self) -> int:
        """How many amounts had sub-cent precision (each rounded half-up to the cent)."""
        return sum(1 for line in self.lines if line.item.rounded)


class Inventory:
    """The provider's resources: every one by provider id, the month's living ones by (kind, name)."""

    def __init__(self, rows: Sequence):
        self.by_provider_id: dict[str, Resource] = {}
        self.alive: dict[tuple[str, str], list[Resource]] = defaultdict(list)
        for row in rows:
            resource = Resource(str(row["id"]), row["provider_id"], row["kind"], row["name"], row["region"],
                                row["size_slug"])
            self.by_provider_id[resource.provider_id] = resource
            if row["alive"]:
                self.alive[(resource.kind, resource.name)].append(resource)

    def match(self, item: Item) -> Line:
        """The item's resource, or the reason it has none."""
        if item.resource_ids:
            for provider_id in item.resource_ids:
                if (resource := self.by_provider_id.get(provider_id)) is not None:
                    return Line(item, resource, provider_id, None, "id")
            return Line(item, None, item.resource_ids[0], UNKNOWN_ID, None)
        kinds = LOOKUP_KINDS.get(item.kind, (item.kind,))
        for name in item.names:
            candidates = [r for kind in kinds for r in self.alive.get((kind, name), ())]
            if len(candidates) > 1 and item.detail:
                candidates = [r for r in candidates if item.detail in (r.size_slug, r.region)] or candidates
            if len(candidates) == 1:
                return Line(item, candidates[0], None, None, "name")
            if candidates:
                return Line(item, None, None, SEVERAL, None)
        return Line(item, None, None, NO_MATCH, None)


def preview(engine: sa.Engine, invoices: Sequence[Invoice], period: Period, include_tax: bool = False,
            account: str = DEFAULT_ACCOUNT) -> ImportResult:
    """What `import_invoices` would do, without writing (a read-only engine will do)."""
    with db.connect(engine) as conn, conn.begin():
        return _plan(conn, invoices, period, include_tax, written=False, account=account)


def import_invoices(engine: sa.Engine, invoices: Sequence[Invoice], period: Period,
                    include_tax: bool = False, account: str = DEFAULT_ACCOUNT) -> ImportResult:
    """Put the invoice in place for the account's month, in one transaction: its items, matched to the inventory,
    replace the cost lines of what was in place (and any earlier copy of the same invoice). A preview never
    replaces the final invoice, nor a newer preview: then nothing is written (`skipped` says why)."""
    with _writing(engine) as conn:
        result = _plan(conn, invoices, period, include_tax, written=True, account=account)
        if result.skipped is None:
            _write(conn, result)
    return result if result.skipped is None else _unwritten(result)


def remove(engine: sa.Engine, period: Period, account: str = DEFAULT_ACCOUNT) -> InPlace:
    """Take the account's month back out: delete the cost lines of what is in place, and its record, in one
    transaction. Lines the importer did not write are not touched. InputError when nothing is in place."""
    account = check_account(account)
    with _writing(engine) as conn:
        before = in_place(conn, period).get(account)
        if before is None:
            raise InputError(f"nothing is in place for account {shown(account)} in {period.label}: "
                             "`python -m arcadia check` lists what is")
        _delete_lines(conn, period, [before.provider_invoice_id])
        _forget(conn, period, account)
    return before


@contextmanager
def _writing(engine: sa.Engine) -> Iterator[sa.Connection]:
    """A transaction that holds the importer's lock: one import (or removal) at a time, on the whole database
    (whatever the month: the pre-aggregates' rows of tenants two months share would otherwise deadlock)."""
    try:
        with db.connect(engine) as conn, conn.begin():
            db.fetch(conn, "do_import/lock_invoice", lock_key=f"{PROVIDER}/import")
            yield conn
    except sa.exc.DBAPIError as exc:
        raise write_error(exc, engine) from None
    except DataError as exc:  # a read of the import refused (db.fetch's message): say which grants it needs
        if "permission denied" in str(exc).lower():
            raise ArcadiaError(f"{exc}; {GRANTS}") from None
        raise


def _unwritten(result: ImportResult) -> ImportResult:
    return ImportResult(result.period, result.database, False, result.include_tax, result.invoices, result.kept,
                        result.warnings, result.account, result.before, result.skipped)


def check_account(account: str | None) -> str:
    """A provider account's name as given (`--account`): 1-100 printable characters; default 'default'."""
    account = DEFAULT_ACCOUNT if account is None else account.strip()
    if not (0 < len(account) <= 100 and account.isprintable()):
        raise InputError(f"invalid account {shown(account)}: a name of 1 to 100 printable characters, e.g. 'default' "
                         "or the DigitalOcean team's name")
    return account


def in_place(conn: sa.Connection, period: Period) -> dict[str, InPlace]:
    """What is in place for each account in `period` (provider_invoices), by account."""
    table = schema.provider_invoices
    rows = conn.execute(sa.select(table).where(table.c.provider == PROVIDER, table.c.period == period.start))
    return {row.account: _in_place(row) for row in rows}


def in_place_rows(conn: sa.Connection, period: Period | None, limit: int = 100) -> list[InPlace]:
    """What is in place per account for `period` (every month when None, the newest `limit` rows): newest first."""
    table = schema.provider_invoices
    query = sa.select(table).where(table.c.provider == PROVIDER)
    if period is not None:
        query = query.where(table.c.period == period.start)
    query = query.order_by(table.c.period.desc(), table.c.account).limit(limit)
    return [_in_place(row) for row in conn.execute(query)]


def _in_place(row) -> InPlace:
    return InPlace(row.account, Period(row.period), row.provider_invoice_id, row.source, row.as_of,
                   row.lines_through, row.described, int(row.line_count), int(row.amount_cents), row.imported_at)


def _why_not(before: InPlace | None, invoice: Invoice) -> str | None:
    """Why `invoice` does not replace what is in place, or None when it does: a preview never replaces the final
    invoice, nor a newer (or the same) preview; an invoice or a file export replaces anything."""
    if before is None or invoice.source != PREVIEW:
        return None
    if before.source == FINAL:
        return f"the final invoice {before.provider_invoice_id} is in place: a preview does not replace it"
    if before.source == PREVIEW and before.as_of is not None and invoice.as_of is not None:
        if before.as_of > invoice.as_of:
            return (f"a newer preview is in place (as of {before.as_of:%Y-%m-%d %H:%M} UTC; this one is of "
                    f"{invoice.as_of:%Y-%m-%d %H:%M} UTC)")
        if before.as_of == invoice.as_of and before.provider_invoice_id == invoice.invoice_id:
            return f"this preview (as of {invoice.as_of:%Y-%m-%d %H:%M} UTC) is in place already"
    return None


def _plan(conn: sa.Connection, invoices: Sequence[Invoice], period: Period, include_tax: bool,
          written: bool, account: str = DEFAULT_ACCOUNT) -> ImportResult:
    account = check_account(account)
    if len(invoices) != 1:  # one source per account and month (CONTRACT §3 "Provider invoices in place")
        raise InputError(f"one invoice per import, not {len(invoices)}: an account's month holds one source "
                         "(another DigitalOcean team's invoice: import it with its own --account)")
    invoice = invoices[0]
    places = in_place(conn, period)
    before = places.get(account)
    elsewhere = {p.provider_invoice_id: p.account for p in places.values() if p.account != account}
    if invoice.invoice_id in elsewhere:
        raise InputError(f"invoice {invoice.invoice_id} is in place for account {shown(elsewhere[invoice.invoice_id])} "
                         f"in {period.label}: import it under that account, or remove it there first")
    inventory = Inventory(db.fetch(conn, "do_import/inventory", provider=PROVIDER,
                                   period_start=period.start_at, period_end=period.end_at))
    stored: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for row in db.fetch(conn, "do_import/period_invoices", provider=PROVIDER,
                        period_start=period.start, period_end=period.end):
        stored[row["provider_invoice_id"]][0] += int(row["line_count"])
        stored[row["provider_invoice_id"]][1] += int(row["amount_cents"])
    # What the import replaces: the lines of what is in place, and any earlier copy of this very invoice.
    replaced = {invoice.invoice_id} | ({before.provider_invoice_id} if before else set())
    taxes = () if include_tax else tuple(item for item in invoice.items if item.is_tax)
    lines = tuple(inventory.match(item) for item in invoice.items if include_tax or not item.is_tax)
    _check_totals(invoice, lines, period, stored, replaced)
    old = [stored.get(invoice_id, [0, 0]) for invoice_id in replaced]
    planned = (InvoiceImport(invoice, lines, taxes, sum(n for n, _ in old), sum(c for _, c in old)),)
    kept = tuple((invoice_id, n, cents) for invoice_id, (n, cents) in sorted(stored.items())
                 if invoice_id not in replaced and invoice_id not in elsewhere)
    warnings = []
    if kept:
        warnings.append(f"{period.label} also holds {plural(sum(k[1] for k in kept), 'DigitalOcean cost line')} of "
                        f"{plural(len(kept), 'other invoice')} that no account has in place, kept as they are: "
                        + ", ".join(f"{invoice_id} ({plural(n, 'line')}, {display(cents)})" for invoice_id, n, cents in kept)
                        + ". They were written by another program or by an import before invoices were kept in place: "
                        "if one is this account's invoice, its COGS is counted twice (`check` flags the month).")
    where = db.describe(conn.engine.url.render_as_string(hide_password=False))
    return ImportResult(period, where, written, include_tax, planned, kept, tuple(warnings), account, before,
                        _why_not(before, invoice))


# No import may make a figure unaddable: an invoice's lines and a month's cost lines stay far below 64-bit sums.
MAX_INVOICE_CENTS = 10**13  # $100 billion of lines (in absolute value) in one invoice
MAX_MONTH_CENTS = 10**15  # $10 trillion in a month (health.HUGE): beyond it `check` reports the month


def _check_totals(invoice: Invoice, lines, period: Period, stored: dict, replaced: set) -> None:
    """InputError when the invoice's lines, or the month with them, add up beyond what any figure can hold."""
    total = sum(abs(line.item.amount_cents) for line in lines)
    if total > MAX_INVOICE_CENTS:
        raise InputError(f"invoice {invoice.invoice_id}: its lines add up to {display(total)} in absolute value, more "
                         f"than {display(MAX_INVOICE_CENTS)}: not a DigitalOcean invoice (an amount in the wrong unit?)")
    kept = sum(abs(cents) for invoice_id, (_, cents) in stored.items() if invoice_id not in replaced)
    if kept + total > MAX_MONTH_CENTS:
        raise InputError(f"with invoice {invoice.invoice_id}, {period.label}'s cost lines would add up to more than "
                         f"{display(MAX_MONTH_CENTS)}: the month's figures could not be computed; nothing was written")


def _delete_lines(conn: sa.Connection, period: Period, invoice_ids) -> int:
    lines = schema.cloud_cost_lines
    return conn.execute(lines.delete().where(
        lines.c.provider == PROVIDER, lines.c.provider_invoice_id.in_(sorted(invoice_ids)),
        lines.c.period >= period.start, lines.c.period < period.end)).rowcount


def _forget(conn: sa.Connection, period: Period, account: str) -> None:
    table = schema.provider_invoices
    conn.execute(table.delete().where(table.c.provider == PROVIDER, table.c.account == account,
                                      table.c.period == period.start))


def lines_through(invoice: Invoice, period: Period) -> datetime | None:
    """The instant an invoice's lines run to: a final invoice's month end; else the latest end of its items,
    no later than a preview's as-of (its lines are usage up to then) nor the month's end."""
    if invoice.source == FINAL:
        return period.end_at
    ends = [item.end_at for item in invoice.items if item.end_at is not None]
    bounds = [period.end_at] + ([invoice.as_of] if invoice.as_of is not None else [])
    if not ends:
        return invoice.as_of if invoice.as_of is not None and invoice.as_of < period.end_at else None
    return min([max(ends), *bounds])


def _record(conn: sa.Connection, result: ImportResult) -> None:
    """The account's month now holds this invoice (provider_invoices), replacing what it held."""
    _forget(conn, result.period, result.account)
    invoice = result.invoices[0]
    conn.execute(schema.provider_invoices.insert().values(
        provider=PROVIDER, account=result.account, period=result.period.start,
        provider_invoice_id=invoice.invoice.invoice_id, source=invoice.invoice.source, as_of=invoice.invoice.as_of,
        lines_through=lines_through(invoice.invoice, result.period), described=", ".join(invoice.invoice.sources)[:500],
        line_count=len(invoice.lines), amount_cents=invoice.total_cents, currency=CURRENCY))


def _write(conn: sa.Connection, result: ImportResult) -> None:
    """Delete the replaced lines of the month, insert the new ones and record what is in place: what `result`
    says, checked to the cent."""
    replaced = {result.invoices[0].invoice.invoice_id} | ({result.before.provider_invoice_id} if result.before else set())
    deleted = _delete_lines(conn, result.period, replaced)
    if deleted != result.replaced[0]:  # the lock makes this impossible; say so rather than miscount
        raise DataError(f"the import expected to replace {plural(result.replaced[0], 'line')} and deleted {deleted}")
    _record(conn, result)
    rows = [(invoice.invoice.invoice_id, line) for invoice in result.invoices for line in invoice.lines]
    if not rows:
        return
    if conn.dialect.name == "postgresql":
        written = conn.execute(sa.text(_sql("postgresql/do_import/insert_lines")), {
            **_columns(rows), "provider": PROVIDER, "period": result.period.start, "currency": CURRENCY}).one()._mapping
        if (int(written["line_count"]), int(written["amount_cents"])) != (len(rows), result.total_cents):
            raise DataError(f"the import wrote {plural(int(written['line_count']), 'line')}, {fmt(int(written['amount_cents']))}; "
                            f"it meant {len(rows)}, {fmt(result.total_cents)}")
    else:
        conn.execute(schema.cloud_cost_lines.insert(), [_row(invoice_id, line, result.period) for invoice_id, line in rows])


@cache
def _sql(name: str) -> str:
    # Read here, not through db.fetch: a refused write must reach write_error as the driver's error.
    return (db.QUERIES / f"{name}.sql").read_text()


def _columns(rows: list[tuple[str, Line]]) -> dict[str, list]:
    """The lines as one array per column (the PostgreSQL insert's binds)."""
    return {
        "ids": [str(uuid.uuid4()) for _ in rows],
        "invoice_ids": [invoice_id for invoice_id, _ in rows],
        "provider_resource_ids": [line.provider_resource_id for _, line in rows],
        "resource_ids": [line.resource.id if line.resource else None for _, line in rows],
        "kinds": [line.item.kind for _, line in rows],
        "products": [line.item.product for _, line in rows],
        "descriptions": [line.item.description for _, line in rows],
        "quantities": [line.item.quantity for _, line in rows],
        "units": [line.item.unit for _, line in rows],
        "starts": [line.item.start_at for _, line in rows],
        "ends": [line.item.end_at for _, line in rows],
        "amounts": [line.item.amount_cents for _, line in rows],
    }


def _row(invoice_id: str, line: Line, period: Period) -> dict:
    item = line.item
    return {"id": str(uuid.uuid4()), "provider": PROVIDER, "provider_invoice_id": invoice_id, "period": period.start,
            "provider_resource_id": line.provider_resource_id, "resource_id": line.resource.id if line.resource else None,
            "kind": item.kind, "product": item.product, "description": item.description, "quantity": item.quantity,
            "unit": item.unit, "start_at": item.start_at, "end_at": item.end_at, "amount_cents": item.amount_cents,
            "currency": CURRENCY}


def write_error(exc: sa.exc.DBAPIError, engine: sa.Engine) -> ArcadiaError:
    """A failed write as a message: a role without the grants the import needs, an outage, or the data."""
    text = str(exc.orig).strip().splitlines()[0] if exc.orig else "the database refused the write"
    where = db.describe(engine.url.render_as_string(hide_password=False))
    if "permission denied" in text.lower():
        return ArcadiaError(f"the import was refused by {where} ({text}); {GRANTS}")
    if "lock timeout" in text.lower():
        return DatabaseUnavailable(f"the import waited {db.WRITE_LOCK_TIMEOUT_SECONDS:g} s for a lock another session "
                                   f"holds on {where} ({text}); nothing was written: try again when it is done")
    if isinstance(exc, (sa.exc.OperationalError, sa.exc.InterfaceError)) or exc.connection_invalidated:
        return DatabaseUnavailable(f"the database failed during the import ({where}): {text}; nothing was written")
    return DataError(f"the database refused the import ({where}): {text}; nothing was written")


# --- Summaries ------------------------------------------------------------------------------------------------


UNMATCHED_SHOWN = 20


def summary_text(result: ImportResult) -> str:
    """The import summary the CLI prints."""
    verb = "Imported" if result.written else "Would import (nothing written)"
    if result.skipped is not None:
        verb = "Nothing imported"
    out = [f"{verb}: DigitalOcean {plural(len(result.invoices), 'invoice')} for {result.period.label}, account "
           f"{result.account}, into {result.database}"]
    if result.skipped is not None:
        out.append(f"  {result.skipped}")
    out.append(f"  in place before: {result.before.words if result.before else 'nothing'}")
    for invoice in result.invoices:
        replaced = (f"replaced {plural(invoice.replaced_lines, 'line')}, {display(invoice.replaced_cents)}"
                    if invoice.replaced_lines else "new")
        out.append(f"  {invoice.invoice.invoice_id} ({', '.join(invoice.invoice.sources)}): "
                   f"{plural(len(invoice.lines), 'line')}, {display(invoice.total_cents)} ({replaced})")
    n_matched, matched_cents = result.matched
    out += [f"  lines: {len(result.lines):,}   total: {display(result.total_cents)}",
            f"  matched to inventory: {plural(n_matched, 'line')}, {display(matched_cents)}",
            f"  unmatched (unattributed): {plural(len(result.lines) - n_matched, 'line')}, "
            f"{display(result.total_cents - matched_cents)}"]
    out += [f"    {reason}: {plural(n, 'line')}, {display(cents)}" for reason, (n, cents) in result.unmatched.items()]
    tax_cents = sum(item.amount_cents for item in result.taxes)
    if result.taxes:
        out.append(f"  taxes skipped (not COGS): {plural(len(result.taxes), 'line')}, {display(tax_cents)}; "
                   "--include-tax imports them as kind other")
    elif result.include_tax:
        out.append("  taxes: imported as kind other")
    if result.rounded:
        out.append(f"  {plural(result.rounded, 'amount')} had sub-cent precision: each rounded half-up to the cent")
    out.append("  by kind:")
    width = max((len(kind) for kind, _, _ in result.by_kind), default=0)
    out += [f"    {kind.ljust(width)}  {display(cents):>14}  {plural(n, 'line')}" for kind, n, cents in result.by_kind]
    unmatched = [line for line in result.lines if line.unmatched is not None]
    if unmatched:
        out.append(f"  unmatched lines{f' (first {UNMATCHED_SHOWN})' if len(unmatched) > UNMATCHED_SHOWN else ''}:")
        out += [f"    {line.item.where}: {line.item.kind} {line.item.description!r} {display(line.item.amount_cents)}"
                f" — {line.unmatched}" for line in unmatched[:UNMATCHED_SHOWN]]
    out += [f"warning: {warning}" for warning in result.warnings]
    return "\n".join(out)


def summary_json(result: ImportResult) -> dict:
    """The import summary as a JSON document (money as decimal strings, as in CONTRACT §3)."""
    n_matched, matched_cents = result.matched
    return {
        "period": str(result.period), "provider": PROVIDER, "currency": CURRENCY, "written": result.written,
        "database": result.database, "account": result.account, "skipped": result.skipped,
        "in_place_before": in_place_json(result.before),
        "invoices": [{"provider_invoice_id": i.invoice.invoice_id, "sources": list(i.invoice.sources),
                      "source": i.invoice.source, "as_of": iso(i.invoice.as_of),
                      "lines": len(i.lines), "total": fmt(i.total_cents),
                      "replaced_lines": i.replaced_lines, "replaced_total": fmt(i.replaced_cents)}
                     for i in result.invoices],
        "lines": len(result.lines), "total": fmt(result.total_cents),
        "matched": {"lines": n_matched, "total": fmt(matched_cents)},
        "unmatched": {"lines": len(result.lines) - n_matched, "total": fmt(result.total_cents - matched_cents),
                      "by_reason": [{"reason": reason, "lines": n, "total": fmt(cents)}
                                    for reason, (n, cents) in result.unmatched.items()]},
        "taxes_skipped": {"lines": len(result.taxes), "total": fmt(sum(t.amount_cents for t in result.taxes))},
        "rounded_amounts": result.rounded,
        "by_kind": [{"kind": kind, "lines": n, "total": fmt(cents)} for kind, n, cents in result.by_kind],
        "unmatched_lines": [{"where": line.item.where, "kind": line.item.kind, "description": line.item.description,
                             "amount": fmt(line.item.amount_cents), "provider_resource_id": line.provider_resource_id,
                             "reason": line.unmatched} for line in result.lines if line.unmatched is not None],
        "kept_invoices": [{"provider_invoice_id": invoice_id, "lines": n, "total": fmt(cents)}
                          for invoice_id, n, cents in result.kept],
        "warnings": list(result.warnings),
    }


def in_place_json(place: InPlace | None) -> dict | None:
    """What is in place for an account's month, as JSON (None: nothing)."""
    if place is None:
        return None
    return {"account": place.account, "period": str(place.period), "provider_invoice_id": place.provider_invoice_id,
            "source": place.source, "as_of": iso(place.as_of), "lines_through": iso(place.lines_through),
            "described": place.described, "lines": place.line_count, "total": fmt(place.amount_cents),
            "imported_at": iso(place.imported_at)}


def removal_text(place: InPlace, database: str) -> str:
    return (f"Removed from {database}: {place.period.label}, account {place.account}: {place.words} "
            f"({plural(place.line_count, 'line')}, {display(place.amount_cents)})")


def preview_rows(result: ImportResult) -> list[dict]:
    """One row per line for a table (the Import page): where, what, amount in cents, the match or why not."""
    return [{"where": line.item.where, "kind": line.item.kind, "product": line.item.product,
             "description": line.item.description, "amount": line.item.amount_cents,
             "resource": line.resource.name if line.resource else None,
             "matched by": line.matched_by, "unmatched because": line.unmatched} for line in result.lines]


def same_database(shown_url: str, write_url: str) -> bool:
    """Whether two URLs reach the same database (other roles and passwords allowed), asked of the servers
    themselves: the database each connection is in and the server it is on (URL text can mislead:
    `…/a?dbname=b` connects to b). SQLite: the same file, by its real path. False when either cannot be reached."""
    shown, write = sa.engine.make_url(db.database_url(shown_url)), sa.engine.make_url(db.database_url(write_url))
    if shown.get_backend_name() != write.get_backend_name():
        return False
    if shown.get_backend_name() == "sqlite":
        paths = [db._sqlite_path(u) for u in (shown, write)]
        return all(p and p != ":memory:" for p in paths) and Path(paths[0]).resolve() == Path(paths[1]).resolve()
    try:
        identities = [_server_identity(db.engine_for(db.database_url(url), reader=reader))
                      for url, reader in ((shown_url, True), (write_url, False))]
    except (ArcadiaError, sa.exc.SQLAlchemyError):
        return False
    return identities[0] == identities[1]


def _server_identity(engine: sa.Engine) -> tuple:
    """The database a connection is in and the server it is on: (name, address, port, postmaster start)."""
    with db.connect(engine) as conn:
        return tuple(conn.exec_driver_sql(
            "SELECT current_database(), CAST(inet_server_addr() AS text), inet_server_port(), "
            "CAST(pg_postmaster_start_time() AS text)").one())
