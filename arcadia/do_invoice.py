"""DigitalOcean invoices read into items: the control panel's CSV export and the API's JSON pages.

Pure: bytes or JSON documents in, items out (no database, no network). Every item knows where it came
from (a file's line, a JSON item, an API page's item), so every error names the place to look, and
every error is an InputError: nothing of a malformed invoice is imported.

- CSV (Billing → an invoice → Download CSV): `product,group_description,description,hours,start,end,USD,
  project_name[,category]`; amounts like `$13.27`, `-$5.00`, `$1,234.56`; times like
  `2019-01-13 09:39:51 +0000`. A CSV names no resource ids: items are matched to the inventory by name.
- JSON (`GET /v2/customers/my/invoices/{uuid}`): `{"invoice_items": [...], "links": {"pages": ...},
  "meta": {"total": N}}`; any key of an item may be missing except `amount`.

Amounts stay exact Decimals; cents are the amount rounded half-up (ties away from zero) to the cent,
which changes nothing for DigitalOcean's two-decimal amounts (a sub-cent amount is counted, see
`Item.rounded`). Every item must start inside the month being imported (the `--period`).

The invoice id the lines are stored under (what a re-import replaces): given (`--invoice`), else for a
CSV `csv-YYYY-MM-<first 12 hex digits of the file's SHA-256>`, for JSON pages the invoice UUID in their
links, else `json-YYYY-MM-<digest of the pages>`.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from arcadia.errors import InputError, shown
from arcadia.period import UTC, Period, parse_instant

PROVIDER = "digitalocean"
CURRENCY = "USD"
CSV_COLUMNS = ("product", "group_description", "description", "hours", "start", "end", "usd", "project_name")

# Product name → contract kind: the first pattern found in the product (case-insensitive, singular or plural)
# wins, so "Droplet Backups" is a backup and "Volume Snapshots" a snapshot, not a droplet or a volume.
KINDS: tuple[tuple[str, re.Pattern], ...] = tuple((kind, re.compile(pattern, re.IGNORECASE)) for kind, pattern in (
    ("snapshot", r"\bsnapshots?\b"),
    ("backup", r"\bbackups?\b"),
    ("load_balancer", r"\bload[ _-]?balancers?\b"),
    ("database", r"\bdatabases?\b"),
    ("kubernetes", r"\bkubernetes\b"),
    ("spaces", r"\bspaces?\b"),
    ("bandwidth", r"\bbandwidth\b"),
    ("volume", r"\bvolumes?\b"),
    ("droplet", r"\bdroplets?\b"),
))
OTHER = "other"
_TAX = re.compile(r"\s*tax(es)?\s*", re.IGNORECASE)

# $1,234.56 · -$5.00 · $-5.00 · 13.27: a sign, a dollar sign, digits with or without thousands separators.
_AMOUNT = re.compile(r"\s*(-)?\s*\$?\s*(-)?(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?\s*", re.ASCII)
_QUANTITY = re.compile(r"\s*(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?\s*", re.ASCII)
# Beyond these a value cannot be a DigitalOcean line, and its cents could overflow a bigint or numeric(20,6).
MAX_AMOUNT_DIGITS, MAX_QUANTITY_DIGITS = 13, 14
CENT, MICRO_UNIT = Decimal("0.01"), Decimal("0.000001")
_INVOICE_URL = re.compile(r"/v2/customers/my/invoices/([0-9A-Za-z-]+)")


@dataclass(frozen=True, slots=True)
class Item:
    """One invoice item, parsed and checked."""

    where: str                  # "march.csv line 7", "page-2.json item 3", "API page 2 item 3"
    product: str
    description: str            # DigitalOcean's text ("group: description" when both are given)
    kind: str                   # the contract's normalised kind
    amount: Decimal             # exact, in dollars
    amount_cents: int           # half-up to the cent
    quantity: Decimal | None    # hours (CSV) or duration (API)
    unit: str | None
    start_at: datetime | None
    end_at: datetime | None
    resource_ids: tuple[str, ...]   # resource_uuid, resource_id as given (API); empty for CSV
    names: tuple[str, ...]          # names to look the resource up by, in order
    detail: str | None              # the text in parentheses after the name (size slug, region)
    is_tax: bool

    @property
    def rounded(self) -> bool:
        """Whether the amount had sub-cent precision (rounded half-up to the cent)."""
        return self.amount != Decimal(self.amount_cents).scaleb(-2)


@dataclass(frozen=True)
class Invoice:
    """The items of one provider invoice and the id its cost lines are stored under.

    `source` says what it is, which decides what it may replace in place (arcadia/do_import.py): FINAL (an
    issued invoice from the API), PREVIEW (the API's daily preview of the month in progress, as of `as_of`, its
    updated_at) or FILE (an export: a CSV or saved JSON pages).
    """

    invoice_id: str
    sources: tuple[str, ...]
    items: tuple[Item, ...]
    source: str = "file"
    as_of: datetime | None = None


FINAL, PREVIEW, FILE = "invoice", "preview", "file"


def kind_of(product: str) -> str:
    """The contract kind of a DigitalOcean product name (`other` when none matches)."""
    for kind, pattern in KINDS:
        if pattern.search(product):
            return kind
    return OTHER


def is_tax(product: str) -> bool:
    return _TAX.fullmatch(product) is not None


def name_of(description: str) -> tuple[str, str | None]:
    """A resource name and the text in its first parentheses: 'eth (s-4vcpu-8gb)' → ('eth', 's-4vcpu-8gb'),
    'volume-sfo2-01 (sfo2) 100GB' → ('volume-sfo2-01', 'sfo2'), 'web' → ('web', None)."""
    name, paren, rest = description.partition(" (")
    detail = rest.split(")", 1)[0].strip() if paren and ")" in rest else None
    return name.strip(), detail or None


def parse_amount(text: object) -> Decimal:
    """A DigitalOcean amount as an exact Decimal ('$1,234.56', '-$5.00', '12.34'); ValueError if it is not one."""
    if isinstance(text, (int, Decimal)) and not isinstance(text, bool):
        value = Decimal(text)
        if not value.is_finite():
            raise ValueError(f"bad amount {str(text)!r}")
        text = str(value)  # a JSON number: checked like text
    match = _AMOUNT.fullmatch(text) if isinstance(text, str) else None
    if not match or (match[1] and match[2]):
        raise ValueError(f"bad amount {shown(text)}: expected dollars such as $13.27, -$5.00 or $1,234.56")
    digits = match[3].replace(",", "")
    if len(digits.lstrip("0")) > MAX_AMOUNT_DIGITS:
        raise ValueError(f"bad amount {shown(text)}: out of range")
    value = Decimal(digits + (match[4] or ""))
    return -value if (match[1] or match[2]) else value


def to_cents(amount: Decimal) -> int:
    """Dollars → cents, half-up (ties away from zero) when the amount has sub-cent precision."""
    return int(amount.quantize(CENT, rounding=ROUND_HALF_UP).scaleb(2))


def parse_quantity(text: object, what: str) -> Decimal | None:
    """Hours or a duration ('744', '1,488', '12.5'); None when empty; at most six decimals are kept (half-up)."""
    if text is None or (isinstance(text, str) and not text.strip()):
        return None
    if isinstance(text, (int, Decimal)) and not isinstance(text, bool):
        text = str(text)
    match = _QUANTITY.fullmatch(text) if isinstance(text, str) else None
    if not match or len(match[1].replace(",", "").lstrip("0")) > MAX_QUANTITY_DIGITS:
        raise ValueError(f"bad {what} {shown(text)}: expected a number such as 744 or 12.5")
    value = Decimal(match[1].replace(",", "") + (match[2] or ""))
    value = value if value.as_tuple().exponent >= -6 else value.quantize(MICRO_UNIT, rounding=ROUND_HALF_UP)
    if value >= Decimal(10) ** MAX_QUANTITY_DIGITS:  # 99999999999999.9999999 rounds up to 15 integer digits
        raise ValueError(f"bad {what} {shown(text)}: out of range")
    return value


def _unit(duration_unit: str | None) -> str:
    unit = (duration_unit or "hour").strip().lower()
    return "hour" if unit in ("hour", "hours", "hr", "hrs", "h") else unit


class _Times:
    """Instants parsed once each: an invoice repeats a handful of start and end times thousands of times."""

    def __init__(self):
        self._seen: dict[object, datetime] = {}

    def __call__(self, value: object, what: str) -> datetime | None:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        try:
            return self._seen[value]
        except (KeyError, TypeError):
            pass
        instant = None
        if isinstance(value, str):
            try:  # the CSV's '2019-01-13 09:39:51 +0000'
                instant = datetime.strptime(value.strip(), "%Y-%m-%d %H:%M:%S %z").astimezone(UTC)
            except ValueError:
                pass
        if instant is None:
            try:  # the API's '2020-01-01T00:00:00Z', or any ISO-8601
                instant = parse_instant(value)
            except InputError:
                raise ValueError(f"bad {what} time {shown(value)}: expected e.g. 2019-01-13 09:39:51 +0000") from None
        if isinstance(value, str):
            self._seen[value] = instant
        return instant


def _item(where: str, period: Period, times: _Times, *, product, group, description, amount, quantity, unit,
          start, end, resource_ids: Sequence[object]) -> Item:
    """One item from its raw fields (CSV cells or JSON values); InputError naming `where` when one is bad."""
    try:
        texts = {name: _text(value, name) for name, value in
                 (("product", product), ("group_description", group), ("description", description),
                  ("duration_unit", unit))}
        exact = parse_amount(amount)
        hours = parse_quantity(quantity, "hours" if unit is None else "duration")
        start_at, end_at = times(start, "start"), times(end, "end")
    except ValueError as exc:
        raise InputError(f"{where}: {exc}") from None
    if start_at is not None and not period.start_at <= start_at < period.end_at:
        raise InputError(f"{where}: the item starts {start_at:%Y-%m-%d %H:%M} UTC, outside {period.label} (the period "
                         f"being imported): is this {Period.of(start_at.date()).label}'s invoice?")
    if start_at is not None and end_at is not None and end_at < start_at:
        raise InputError(f"{where}: the item ends ({end_at:%Y-%m-%d %H:%M}) before it starts ({start_at:%Y-%m-%d %H:%M})")
    product, group, description = texts["product"], texts["group_description"], texts["description"]
    name, detail = name_of(description)
    names = tuple(dict.fromkeys(n for n in (name, group.strip()) if n))
    shown = f"{group}: {description}" if group and description and group != description else description or group
    ids = tuple(dict.fromkeys(str(i).strip() for i in resource_ids
                              if isinstance(i, (str, int)) and not isinstance(i, bool) and str(i).strip()
                              and len(str(i)) <= 200 and "\x00" not in str(i)))
    return Item(where, product, shown or product, kind_of(product), exact, to_cents(exact), hours,
                None if hours is None else _unit(texts["duration_unit"] if unit is not None else None), start_at,
                end_at, ids, names, detail, is_tax(product))


MAX_TEXT = 2_000  # characters of a product, description or unit: DigitalOcean's are well under 200


def _text(value: object, name: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValueError(f"bad {name} {shown(value)}: expected text")
    if "\x00" in value:  # PostgreSQL text cannot hold it: refused here, not half-way through the write
        raise ValueError(f"bad {name} {shown(value)}: it contains a NUL character")
    if len(value) > MAX_TEXT:
        raise ValueError(f"bad {name}: {len(value):,} characters, more than {MAX_TEXT:,}")
    return value


# --- CSV ---------------------------------------------------------------------------------------------------


def read_csv(name: str, data: bytes, period: Period) -> list[Item]:
    """The items of an invoice CSV export; InputError naming the file and line of the first problem."""
    text = _decode(name, data)
    lines = iter(text.splitlines(keepends=True))
    reader = csv.reader(lines, strict=True)
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise InputError(f"{name} line 1: not a CSV header ({exc})") from None
    if not header or not any(cell.strip() for cell in header):
        raise InputError(f"{name} line 1: empty file, expected the header {','.join(CSV_COLUMNS).replace('usd', 'USD')}")
    columns = [cell.strip().lower() for cell in header]
    twice = [c for c in CSV_COLUMNS if columns.count(c) > 1]
    if twice:
        raise InputError(f"{name} line 1: column {twice[0].replace('usd', 'USD')} is given twice: which one is meant "
                         "cannot be told; export the invoice again")
    missing = [c for c in CSV_COLUMNS if c not in columns]
    if missing:
        raise InputError(f"{name} line 1: missing column{'s' if len(missing) > 1 else ''} "
                         f"{', '.join(c.replace('usd', 'USD') for c in missing)} (a DigitalOcean invoice CSV has "
                         f"{','.join(CSV_COLUMNS).replace('usd', 'USD')}[,category])")
    at = {c: columns.index(c) for c in CSV_COLUMNS}
    times, items, line = _Times(), [], reader.line_num
    while True:
        first = line + 1
        try:
            row = next(reader, None)
        except csv.Error as exc:  # e.g. a quoted field cut off by the end of the file
            raise InputError(f"{name} line {first}: malformed or truncated row ({exc})") from None
        if row is None:
            break
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue  # a blank line
        where = f"{name} line {first}"
        if len(row) != len(columns):
            what = "truncated row" if len(row) < len(columns) else "too many fields"
            raise InputError(f"{where}: {what}: {len(row)} fields, the header has {len(columns)}")
        items.append(_item(where, period, times, product=row[at["product"]], group=row[at["group_description"]],
                           description=row[at["description"]], amount=row[at["usd"]], quantity=row[at["hours"]],
                           unit=None, start=row[at["start"]], end=row[at["end"]], resource_ids=()))
    return items


def _decode(name: str, data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise InputError(f"{name} line {line}: not UTF-8 text (byte {exc.start}); export the invoice again") from None


# --- JSON (API pages) --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    """One page of `GET /v2/customers/my/invoices/{uuid}`: its items and what it says about the others."""

    items: tuple[Item, ...]
    total: int | None
    next_url: str | None
    invoice_uuid: str | None


def parse_page(doc: object, source: str, period: Period, locate=None, times: _Times | None = None) -> Page:
    """The items of one API page (a parsed JSON document). `locate(i)`, when given, names item i's line."""
    if not isinstance(doc, dict) or not isinstance(doc.get("invoice_items"), list):
        raise InputError(f"{source}: not a DigitalOcean invoice page (no \"invoice_items\" list)")
    times = times or _Times()
    items = []
    for number, raw in enumerate(doc["invoice_items"], start=1):
        where = f"{source} item {number}" if locate is None else f"{source} line {locate(number - 1)} (item {number})"
        if not isinstance(raw, dict):
            raise InputError(f"{where}: an invoice item is a JSON object, not {type(raw).__name__}")
        if raw.get("amount") is None:
            raise InputError(f"{where}: the item has no \"amount\"")
        items.append(_item(where, period, times, product=raw.get("product"), group=raw.get("group_description"),
                           description=raw.get("description"), amount=raw.get("amount"),
                           quantity=raw.get("duration"), unit=raw.get("duration_unit") or "hours",
                           start=raw.get("start_time"), end=raw.get("end_time"),
                           resource_ids=(raw.get("resource_uuid"), raw.get("resource_id"))))
    links = doc.get("links") if isinstance(doc.get("links"), dict) else {}
    pages = links.get("pages") if isinstance(links.get("pages"), dict) else {}
    meta = doc.get("meta") if isinstance(doc.get("meta"), dict) else {}
    total = meta.get("total")
    if total is not None and (not isinstance(total, int) or isinstance(total, bool) or total < 0):
        raise InputError(f"{source}: bad meta.total {shown(total)}")
    uuids = {m[1] for url in pages.values() if isinstance(url, str) for m in [_INVOICE_URL.search(url)] if m}
    if len(uuids) > 1:
        raise InputError(f"{source}: its links name more than one invoice ({', '.join(sorted(uuids))})")
    next_url = pages.get("next") if isinstance(pages.get("next"), str) else None
    return Page(tuple(items), total, next_url, uuids.pop() if uuids else None)


MAX_NUMBER_DIGITS = 40  # a JSON number longer than this is no DigitalOcean amount or count
MAX_DEPTH = 32  # an invoice page nests four deep


def loads(text: str | bytes) -> object:
    """JSON with its numbers (exact Decimals) and nesting bounded: ValueError, never a crash, when they are not."""
    def number(kind):
        def parse(digits: str):
            if len(digits) > MAX_NUMBER_DIGITS:
                raise ValueError(f"not an invoice: a number of {len(digits):,} characters")
            return kind(digits)
        return parse

    try:
        doc = json.loads(text, parse_float=number(Decimal), parse_int=number(int))
    except RecursionError:
        raise ValueError("not an invoice: the JSON is nested too deep") from None
    if _depth(doc) > MAX_DEPTH:
        raise ValueError(f"not an invoice: the JSON is nested more than {MAX_DEPTH} deep")
    return doc


def _depth(doc: object) -> int:
    """How deep lists and objects nest (iteratively: no recursion of our own)."""
    deepest, stack = 0, [(doc, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, (list, dict)):
            deepest = max(deepest, depth)
            if depth <= MAX_DEPTH:
                stack.extend((v, depth + 1) for v in (value.values() if isinstance(value, dict) else value))
    return deepest


def read_json(name: str, data: bytes, period: Period) -> Page:
    """One API page saved to a file; InputError naming the file and line of the first problem."""
    text = _decode(name, data)
    try:
        doc = loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{name} line {exc.lineno} column {exc.colno}: not JSON ({exc.msg})") from None
    except ValueError as exc:  # loads' own bounds
        raise InputError(f"{name}: {exc}") from None
    try:
        return parse_page(doc, name, period)
    except InputError:
        if not isinstance(doc, dict) or not isinstance(doc.get("invoice_items"), list):
            raise
        # Say which line: parse again, slowly, noting where each item starts (only when there is an error).
        starts = _item_offsets(text)
        parse_page(doc, name, period, locate=lambda i: text.count("\n", 0, starts[i]) + 1 if i < len(starts) else "?")
        raise


class _Located(dict):
    """A JSON object that remembers the offset it started at."""

    __slots__ = ("offset",)


def _item_offsets(text: str) -> list[int]:
    """Offsets of the objects in the document's `invoice_items` list (pure-Python JSON scanner: slow, exact)."""
    decoder = json.JSONDecoder(parse_float=Decimal)

    def parse_object(s_and_end, *args):
        obj, end = json.decoder.JSONObject(s_and_end, *args)
        located = _Located(obj)
        located.offset = s_and_end[1] - 1
        return located, end

    decoder.parse_object = parse_object
    decoder.scan_once = json.scanner.py_make_scanner(decoder)
    doc = decoder.decode(text)
    return [getattr(item, "offset", 0) for item in doc.get("invoice_items", [])]


def combine_pages(pages: Sequence[Page], sources: str) -> tuple[Item, ...]:
    """All the items of an invoice's pages, checked against the item count the pages state (meta.total)."""
    items = tuple(item for page in pages for item in page.items)
    totals = {page.total for page in pages if page.total is not None}
    if len(totals) > 1:
        raise InputError(f"{sources}: the pages disagree on the invoice's item count (meta.total {sorted(totals)})")
    if totals and len(items) != (total := totals.pop()):
        raise InputError(f"{sources}: the pages hold {len(items)} items but meta.total says {total}: "
                         + ("a page is missing" if len(items) < total else "a page is given twice or is of another invoice"))
    return items


# --- Files → invoices ----------------------------------------------------------------------------------------


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _same_lines(data: bytes) -> bytes:
    """The file with LF line ends and no BOM: a copy saved with CRLF is the same export."""
    return data.removeprefix(b"\xef\xbb\xbf").replace(b"\r\n", b"\n")


def csv_invoice_id(period: Period, data: bytes) -> str:
    """The id a CSV's lines are stored under: its month and the first 12 hex digits of the file's SHA-256.

    The same file imported again replaces its lines; a different export (another account's invoice) is
    another invoice. A CSV names no invoice UUID: `--invoice` gives one (then a corrected export replaces it).
    """
    return f"csv-{period.start:%Y-%m}-{digest(_same_lines(data))[:12]}"


def is_json(data: bytes) -> bool:
    return data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{")


MAX_MB_ENV, MAX_LINES_ENV = "ARCADIA_IMPORT_MAX_MB", "ARCADIA_IMPORT_MAX_LINES"
DEFAULT_MAX_MB, DEFAULT_MAX_LINES = 100, 1_000_000  # a large reseller's month is ~100,000 lines, ~15 MB


def limits(env=None) -> tuple[int, int]:
    """The largest file (bytes) and the most lines an import reads: $ARCADIA_IMPORT_MAX_MB, $ARCADIA_IMPORT_MAX_LINES."""
    env = os.environ if env is None else env
    values = []
    for name, default in ((MAX_MB_ENV, DEFAULT_MAX_MB), (MAX_LINES_ENV, DEFAULT_MAX_LINES)):
        text = env.get(name, "").strip()
        if text and not (text.isdigit() and int(text) > 0):
            raise InputError(f"${name} {shown(text)}: expected a whole number above 0")
        values.append(int(text) if text else default)
    return values[0] * 2**20, values[1]


def check_sizes(files: Sequence[tuple[str, bytes]]) -> None:
    """InputError naming the first file over the size or line limit, before anything is parsed."""
    max_bytes, max_lines = limits()
    for name, data in files:
        if len(data) > max_bytes:
            raise InputError(f"{name}: {len(data) / 2**20:,.1f} MiB, more than the {max_bytes // 2**20:,} MiB an import "
                             f"reads (${MAX_MB_ENV})")
        if (lines := data.count(b"\n")) > max_lines:
            raise InputError(f"{name}: {lines:,} lines, more than the {max_lines:,} an import reads (${MAX_LINES_ENV})")


def read_uploads(files: Sequence[tuple[str, bytes]], period: Period, invoice_id: str | None = None) -> list[Invoice]:
    """Invoices from files (name, bytes): each CSV file is an invoice; the JSON files are the pages of one.

    `invoice_id` names the invoice instead of the id derived from the files (e.g. the DigitalOcean invoice
    UUID of a CSV export, so that an API import of the same invoice replaces it).
    """
    if not files:
        raise InputError("no invoice file given: a CSV export or the API's JSON pages")
    check_sizes(files)
    if invoice_id is not None and not (0 < len(invoice_id) <= 200 and invoice_id.isprintable()):
        raise InputError(f"invalid invoice id {shown(invoice_id)}: up to 200 printable characters")
    seen: dict[str, str] = {}
    for name, data in files:
        if (twin := seen.get(digest(_same_lines(data)))) is not None:
            raise InputError(f"{name} and {twin} are the same file: give each page or invoice once")
        seen[digest(_same_lines(data))] = name
    json_files = [(n, d) for n, d in files if is_json(d)]
    csv_files = [(n, d) for n, d in files if not is_json(d)]
    if json_files and csv_files:
        raise InputError(f"give CSV exports or the API's JSON pages, not both ({csv_files[0][0]}, {json_files[0][0]})")
    if csv_files:
        if invoice_id is not None and len(csv_files) > 1:
            raise InputError(f"an invoice id names one invoice: give one CSV export with it, not {len(csv_files)}")
        return [Invoice(invoice_id or csv_invoice_id(period, data), (name,), tuple(read_csv(name, data, period)))
                for name, data in csv_files]
    pages = [read_json(name, data, period) for name, data in json_files]
    names = ", ".join(name for name, _ in json_files)
    uuids = {page.invoice_uuid for page in pages if page.invoice_uuid}
    if len(uuids) > 1:
        raise InputError(f"{names}: pages of different invoices ({', '.join(sorted(uuids))})")
    if invoice_id is None:
        whole = digest("".join(sorted(digest(data) for _, data in json_files)).encode())
        invoice_id = uuids.pop() if uuids else f"json-{period.start:%Y-%m}-{whole[:12]}"
    return [Invoice(invoice_id, tuple(name for name, _ in json_files), combine_pages(pages, names))]


def read_files(paths: Iterable[str], period: Period, invoice_id: str | None = None) -> list[Invoice]:
    """`read_uploads` over files on disk; a missing or unreadable file is an InputError naming it."""
    files = []
    for path in paths:
        try:
            files.append((path, Path(path).read_bytes()))
        except OSError as exc:
            raise InputError(f"{path}: cannot read the file ({exc.strerror or exc})") from None
    return read_uploads(files, period, invoice_id)
