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
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache, cached_property
from pathlib import Path

import sqlalchemy as sa

from arcadia import db, schema
from arcadia.do_invoice import CURRENCY, PROVIDER, Invoice, Item
from arcadia.errors import ArcadiaError, DatabaseUnavailable, DataError, InputError
from arcadia.labels import plural
from arcadia.money import display, fmt
from arcadia.period import Period

NO_MATCH = "no resource id and no name match"
SEVERAL = "several candidates"
UNKNOWN_ID = "resource id not in inventory"
REASONS = (NO_MATCH, SEVERAL, UNKNOWN_ID)
# Which inventory kinds an item's name is looked up in (default: its own kind). Backups are not resources
# of their own at DigitalOcean: they bill under the droplet's name, to the droplet's tenant.
LOOKUP_KINDS = {"backup": ("droplet",)}
GRANTS = ("nothing was written. The writing role needs SELECT on cloud_resources and cloud_deployments, SELECT, "
          "INSERT and DELETE on cloud_cost_lines and, on PostgreSQL (the pre-aggregate triggers run as the caller), "
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
class ImportResult:
    """What an import wrote (or, for a preview, would write), with the matching counted every way."""

    period: Period
    database: str
    written: bool
    include_tax: bool
    invoices: tuple[InvoiceImport, ...]
    kept: tuple[tuple[str, int, int], ...]  # other invoices of the month, left as they are: id, lines, cents
    warnings: tuple[str, ...] = field(default=())

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


def preview(engine: sa.Engine, invoices: Sequence[Invoice], period: Period, include_tax: bool = False) -> ImportResult:
    """What `import_invoices` would do, without writing (a read-only engine will do)."""
    with db.connect(engine) as conn, conn.begin():
        return _plan(conn, invoices, period, include_tax, written=False)


def import_invoices(engine: sa.Engine, invoices: Sequence[Invoice], period: Period,
                    include_tax: bool = False) -> ImportResult:
    """Replace each invoice's cost lines of `period` with its items, matched to the inventory, in one transaction."""
    try:
        with db.connect(engine) as conn, conn.begin():
            for invoice_id in sorted({invoice.invoice_id for invoice in invoices}):  # sorted: no deadlock
                db.fetch(conn, "do_import/lock_invoice", lock_key=f"{PROVIDER}/{invoice_id}/{period}")
            result = _plan(conn, invoices, period, include_tax, written=True)
            _write(conn, result)
    except sa.exc.DBAPIError as exc:
        raise _write_error(exc, engine) from None
    except DataError as exc:  # a read of the import refused (db.fetch's message): say which grants it needs
        if "permission denied" in str(exc).lower():
            raise ArcadiaError(f"{exc}; {GRANTS}") from None
        raise
    return result


def _check_ids(invoices: Sequence[Invoice]) -> None:
    ids = Counter(invoice.invoice_id for invoice in invoices)
    twice = sorted(invoice_id for invoice_id, n in ids.items() if n > 1)
    if twice:  # the second would replace the first within the same import
        raise InputError(f"invoice {twice[0]} is given twice in one import: give its files once")


def _plan(conn: sa.Connection, invoices: Sequence[Invoice], period: Period, include_tax: bool,
          written: bool) -> ImportResult:
    _check_ids(invoices)
    inventory = Inventory(db.fetch(conn, "do_import/inventory", provider=PROVIDER,
                                   period_start=period.start_at, period_end=period.end_at))
    stored: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for row in db.fetch(conn, "do_import/period_invoices", provider=PROVIDER,
                        period_start=period.start, period_end=period.end):
        stored[row["provider_invoice_id"]][0] += int(row["line_count"])
        stored[row["provider_invoice_id"]][1] += int(row["amount_cents"])
    planned = []
    for invoice in invoices:
        taxes = () if include_tax else tuple(item for item in invoice.items if item.is_tax)
        lines = tuple(inventory.match(item) for item in invoice.items if include_tax or not item.is_tax)
        before = stored.get(invoice.invoice_id, [0, 0])
        planned.append(InvoiceImport(invoice, lines, taxes, before[0], before[1]))
    ours = {invoice.invoice_id for invoice in invoices}
    kept = tuple((invoice_id, n, cents) for invoice_id, (n, cents) in sorted(stored.items()) if invoice_id not in ours)
    warnings = []
    if kept:
        warnings.append(f"{period.label} also holds {plural(sum(k[1] for k in kept), 'DigitalOcean cost line')} of "
                        f"{plural(len(kept), 'other invoice')}, kept as they are: "
                        + ", ".join(f"{invoice_id} ({plural(n, 'line')}, {display(cents)})" for invoice_id, n, cents in kept)
                        + ". If one is this invoice imported another way (a CSV, then the API), its COGS is counted "
                        "twice: import it under the same invoice id (--invoice; the Import page's Invoice id) to replace it.")
    where = db.describe(conn.engine.url.render_as_string(hide_password=False))
    return ImportResult(period, where, written, include_tax, tuple(planned), kept, tuple(warnings))


def _write(conn: sa.Connection, result: ImportResult) -> None:
    """Delete the invoices' lines of the month, insert the new ones: what `result` says, checked to the cent."""
    lines = schema.cloud_cost_lines
    ids = [invoice.invoice.invoice_id for invoice in result.invoices]
    deleted = conn.execute(lines.delete().where(
        lines.c.provider == PROVIDER, lines.c.provider_invoice_id.in_(ids),
        lines.c.period >= result.period.start, lines.c.period < result.period.end))
    if deleted.rowcount != result.replaced[0]:  # the lock makes this impossible; say so rather than miscount
        raise DataError(f"the import expected to replace {plural(result.replaced[0], 'line')} and deleted {deleted.rowcount}")
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
        conn.execute(lines.insert(), [_row(invoice_id, line, result.period) for invoice_id, line in rows])


@cache
def _sql(name: str) -> str:
    # Read here, not through db.fetch: a refused write must reach _write_error as the driver's error.
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


def _write_error(exc: sa.exc.DBAPIError, engine: sa.Engine) -> ArcadiaError:
    """A failed write as a message: a role without the grants the import needs, an outage, or the data."""
    text = str(exc.orig).strip().splitlines()[0] if exc.orig else "the database refused the write"
    where = db.describe(engine.url.render_as_string(hide_password=False))
    if "permission denied" in text.lower():
        return ArcadiaError(f"the import was refused by {where} ({text}); {GRANTS}")
    if isinstance(exc, (sa.exc.OperationalError, sa.exc.InterfaceError)) or exc.connection_invalidated:
        return DatabaseUnavailable(f"the database failed during the import ({where}): {text}; nothing was written")
    return DataError(f"the database refused the import ({where}): {text}; nothing was written")


# --- Summaries ------------------------------------------------------------------------------------------------


UNMATCHED_SHOWN = 20


def summary_text(result: ImportResult) -> str:
    """The import summary the CLI prints."""
    verb = "Imported" if result.written else "Would import (nothing written)"
    out = [f"{verb}: DigitalOcean {plural(len(result.invoices), 'invoice')} for {result.period.label} "
           f"into {result.database}"]
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
        "database": result.database,
        "invoices": [{"provider_invoice_id": i.invoice.invoice_id, "sources": list(i.invoice.sources),
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


def preview_rows(result: ImportResult) -> list[dict]:
    """One row per line for a table (the Import page): where, what, amount in cents, the match or why not."""
    return [{"where": line.item.where, "kind": line.item.kind, "product": line.item.product,
             "description": line.item.description, "amount": line.item.amount_cents,
             "resource": line.resource.name if line.resource else None,
             "matched by": line.matched_by, "unmatched because": line.unmatched} for line in result.lines]


def same_database(shown_url: str, write_url: str) -> bool:
    """Whether two URLs name the same database (other roles and passwords allowed): host, port and name,
    or the same SQLite file."""
    shown, write = sa.engine.make_url(db.database_url(shown_url)), sa.engine.make_url(db.database_url(write_url))
    if shown.get_backend_name() != write.get_backend_name():
        return False
    if shown.get_backend_name() == "sqlite":
        paths = [db._sqlite_path(u) for u in (shown, write)]
        return all(p and p != ":memory:" for p in paths) and Path(paths[0]).resolve() == Path(paths[1]).resolve()
    return ((shown.host or "localhost", shown.port or 5432, shown.database)
            == (write.host or "localhost", write.port or 5432, write.database))
