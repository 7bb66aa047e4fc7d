"""`python -m arcadia`: the figures on the command line (table, --json, --csv) and admin tasks."""

from __future__ import annotations

import argparse
import os
import sys
from datetime import datetime

import sqlalchemy as sa

from arcadia import analytics, report
from arcadia.db import database_url, describe, engine_for, is_demo
from arcadia.embedded import get_engine
from arcadia.errors import ArcadiaError, DatabaseUnavailable, InputError
from arcadia.labels import plural, printable
from arcadia.money import display
from arcadia.period import MAX_RANGE_MONTHS, UTC, Period, parse_instant, parse_months

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
DO_API_URL = "https://api.digitalocean.com"
PERIOD_HELP = "the month: YYYY-MM, or any date of it YYYY-MM-DD"
DATABASE_URL_HELP = "SQLAlchemy URL (default: $ARCADIA_DATABASE_URL, else the embedded demo)"


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, exit 2, like every other usage error here
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def _output_flags(parser: argparse.ArgumentParser, tables: list[str]) -> None:
    fmt = parser.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true", help="print the contract's JSON document")
    fmt.add_argument("--csv", action="store_true", help="print one table as CSV (see --table)")
    parser.add_argument("--table", choices=tables, default=tables[0], help=f"table for --csv (default {tables[0]})")


def _month_flags(parser: argparse.ArgumentParser) -> None:
    """--period, or --from and --to (checked together in `run`: argparse cannot say "A, or B and C")."""
    parser.add_argument("--period", help=PERIOD_HELP + "; or give --from and --to")
    parser.add_argument("--from", dest="from_month", metavar="YYYY-MM",
                        help="first month of a range (YYYY-MM or any date of it), included; with --to, instead of "
                             "--period: every amount is the sum over the months")
    parser.add_argument("--to", dest="to_month", metavar="YYYY-MM",
                        help=f"last month of the range (YYYY-MM or any date of it), included; at most "
                             f"{MAX_RANGE_MONTHS} months in all")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m arcadia", description="Arcadia operator margin figures.")
    parser.add_argument("--database-url", help=DATABASE_URL_HELP)
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    db = sub.add_parser("db", help="database administration")
    db_sub = db.add_subparsers(dest="db_command", required=True, parser_class=_Parser)
    db_sub.add_parser("init", help="create the contract's tables and indexes (idempotent)")

    demo = sub.add_parser("demo", help="fill an empty database with the deterministic demo data")
    demo.add_argument("--now", help="the demo's 'now' (ISO-8601; default: the current time)")
    demo.add_argument("--reset", action="store_true",
                      help="rebuild the embedded demo from scratch (built beside and swapped in: a running server "
                           "keeps serving)")
    demo.add_argument("--force", action="store_true",
                      help="with --reset: also replace every row of a database that is not the embedded demo")
    demo.add_argument("--scale", type=float, metavar="N",
                      help="PostgreSQL only: a large reseller's database, N=1 is 5,000 tenants and ~7 M usage rows "
                           "(N may be fractional)")

    margin = sub.add_parser("margin", help="P&L of a month or a range of months: overall, per tenant, per deployment")
    _month_flags(margin)
    margin.add_argument("--tenant", metavar="ID", help="only this tenant: its row, its deployments, and overall its own "
                                                       "figures (as the API's ?tenant=)")
    _output_flags(margin, ["tenants", "deployments", "overall"])

    kind = sub.add_parser("by-kind", help="revenue by billing kind and COGS by provider kind (a month or a range)")
    _month_flags(kind)
    _output_flags(kind, ["revenue", "cogs"])

    accrual = sub.add_parser("accrual", help="live accrual of the month so far")
    accrual.add_argument("--as-of", help="ISO-8601 instant (default: now)")
    accrual.add_argument("--tenant", metavar="ID", help="only this tenant: its subscriptions and its estimate row "
                                                        "(as the API's ?tenant=)")
    accrual.add_argument("--no-lines", dest="lines", action="store_false",
                         help="with --json: each subscription without its lines (as the API's ?lines=false)")
    _output_flags(accrual, ["subscriptions", "lines", "estimate", "estimate_tenants"])

    accuracy = sub.add_parser("estimate-accuracy", help="how good the live COGS estimate has been: its month-end "
                                                        "projection on days 7, 14 and 21 of past months against their "
                                                        "final COGS")
    accuracy.add_argument("--months", type=int, default=6, metavar="N",
                          help="the last N complete months with a final invoice (default 6, 1-36)")
    accuracy.add_argument("--json", action="store_true", help="print the JSON document")

    lines = sub.add_parser("cost-lines", help="the provider cost lines behind a tenant's COGS, or no tenant's")
    lines.add_argument("--period", required=True, help=PERIOD_HELP)
    whose = lines.add_mutually_exclusive_group(required=True)
    whose.add_argument("--tenant", help="tenant id (UUID or slug)")
    whose.add_argument("--unattributed", action="store_true", help="lines with no tenant")
    lines.add_argument("--csv", action="store_true", help="print CSV instead of a table")

    health = sub.add_parser("check", help="data health: rows the figures skip or cannot add up (exit 1 on errors)")
    health.add_argument("--period", help="only this month where a check is by month (YYYY-MM, or any date of it "
                                         "YYYY-MM-DD); default: every month")
    health.add_argument("--json", action="store_true", help="print the problems as JSON")

    roll = sub.add_parser("rollup", help="write (or rewrite) the invoices of a complete month")
    roll.add_argument("--period", required=True, help=PERIOD_HELP)

    imp = sub.add_parser("import-do", help="import a DigitalOcean invoice as cost lines (CSV export, the API's JSON "
                                           "pages, or the API itself): it is put in place for its account and month, "
                                           "replacing what was there")
    imp.add_argument("files", nargs="*", metavar="FILE", help="the invoice's CSV export, or its JSON pages")
    imp.add_argument("--period", help=PERIOD_HELP + "; the invoice's month (every item must start in it); with "
                                      "--api --invoice preview the API names the month")
    imp.add_argument("--account", default=None,
                     help="the DigitalOcean account (team) the invoice is of: each account's month holds one invoice "
                          "(default 'default')")
    imp.add_argument("--api", action="store_true", help="fetch the invoice from the API (token in $DIGITALOCEAN_TOKEN)")
    imp.add_argument("--invoice", metavar="UUID", help="with --api: the invoice to fetch, or 'preview' for the month in "
                                                       "progress; with files: the id to store the lines under "
                                                       "(default: derived from the files)")
    imp.add_argument("--api-url", default=DO_API_URL, help="the API's base URL (default %(default)s)")
    imp.add_argument("--include-tax", action="store_true", help="import Taxes items too, as kind other (not COGS by default)")
    imp.add_argument("--remove", action="store_true", help="take the account's month back out (--period): delete the "
                                                           "cost lines of what is in place, in one transaction")
    imp.add_argument("--dry-run", action="store_true", help="parse and match, print the summary, write nothing")
    imp.add_argument("--json", action="store_true", help="print the import summary as JSON")

    sync = sub.add_parser("sync-do", help="bring a DigitalOcean account's cost lines up to date from the API (daily, "
                                          "from cron): final invoices not in place yet and the current preview")
    sync.add_argument("--api-url", default=DO_API_URL, help="the API's base URL (default %(default)s)")
    sync.add_argument("--account", default=None, help="the account the token is of (default 'default'); one run "
                                                      "per DigitalOcean team, each with its own token")
    sync.add_argument("--months", type=int, default=3, metavar="N",
                      help="final invoices of the last N months are imported when not in place (default 3, 1-24)")
    sync.add_argument("--json", action="store_true", help="print what the run did as JSON")

    alerts = sub.add_parser("alerts", help="alerts and the monthly digest to Slack, Teams, e-mail or a webhook")
    alerts_sub = alerts.add_subparsers(dest="alerts_command", required=True, parser_class=_Parser)
    alerts_run = alerts_sub.add_parser("run", help="evaluate the rules; send what is new once, and what is resolved "
                                                   "(for cron: exit 0 sent or nothing to send, 1 a channel or the "
                                                   "database failed, 2 bad config)")
    alerts_run.add_argument("--config", help="the TOML config (default $ARCADIA_ALERTS_CONFIG; see alerts.toml.example)")
    alerts_run.add_argument("--dry-run", action="store_true", help="say what would be sent; send and write nothing")
    alerts_run.add_argument("--json", action="store_true", help="print what the run found and sent as JSON")

    bench = sub.add_parser("bench", help="time every figure three ways (project, raw SQL, pandas) and the pages")
    from arcadia import bench as bench_module

    bench_module.add_arguments(bench)

    token = sub.add_parser("token", help="print an API bearer token signed with $ARCADIA_API_JWT_SECRET")
    token.add_argument("--role", required=True, help="role claim, e.g. platform_admin")
    token.add_argument("--ttl", default="1h", help="lifetime, e.g. 30m, 1h, 7d (default 1h, at most 30d or $ARCADIA_API_JWT_MAX_TTL)")
    token.add_argument("--sub", help="subject claim (default arcadia-cli)")
    token.add_argument("--tenant-id", help="tenant_id claim (a tenant user's token)")
    # --database-url also after the subcommand (`margin --period 2026-04 --database-url URL`), where it wins
    # over one given before. SUPPRESS: absent there, it leaves the one before the subcommand in place.
    for command in (*sub.choices.values(), *db_sub.choices.values(), *alerts_sub.choices.values()):
        command.add_argument("--database-url", default=argparse.SUPPRESS,
                             help=DATABASE_URL_HELP + "; here or before the subcommand (here wins)")
    return parser


def _table(headers: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(x)) for x in col) for col in zip(headers, *rows)] if rows else [len(h) for h in headers]
    line = lambda cells: "  ".join(str(c).rjust(w) if i else str(c).ljust(w) for i, (c, w) in enumerate(zip(cells, widths)))  # noqa: E731
    return "\n".join([line(headers), line(["-" * w for w in widths]), *(line(r) for r in rows)])


def _pct(value) -> str:
    return "—" if value is None else f"{value}%"


def _of_tenant(figure) -> str:
    return "" if figure.tenant is None else f", tenant {printable(figure.tenant)} only"


def _print_margin(s: analytics.MarginSummary) -> None:
    o = s.overall
    print(f"P&L {s.period.label}{_of_tenant(s)} ({s.currency})")
    print(f"  revenue {display(o.revenue_cents)}   COGS {display(o.cogs_cents)} "
          f"(attributed {display(s.attributed_cogs_cents)}, unattributed {display(s.unattributed_cogs_cents)})")
    print(f"  margin {display(o.margin_cents)} ({_pct(o.margin_pct)})\n")
    print(_table(["tenant", "revenue", "COGS", "margin", "margin %"], [
        [t.tenant_name + (" (internal)" if t.internal else ""), display(t.revenue_cents), display(t.cogs_cents),
         display(t.margin_cents), _pct(t.margin_pct)] for t in s.tenants]))
    print()
    print(_table(["deployment", "tenant", "revenue", "COGS", "margin", "margin %"], [
        [d.deployment_name, d.tenant_id or "", display(d.revenue_cents), display(d.cogs_cents),
         display(d.margin_cents), _pct(d.margin_pct)] for d in s.deployments]))


def _print_by_kind(b: analytics.ByKind) -> None:
    print(f"By kind {b.period.label} ({b.currency})\n")
    print(_table(["billing kind", "revenue"], [[k.kind, display(k.amount_cents)] for k in b.revenue]))
    print()
    print(_table(["provider kind", "COGS"], [[k.kind, display(k.amount_cents)] for k in b.cogs]))


def _print_accrual(a: analytics.Accrual) -> None:
    basis = {analytics.LATEST_READING: ", just after the latest usage reading", analytics.CLOCK: " (the clock: no "
             "usage reading this month yet)"}.get(a.as_of_basis, "")
    print(f"Accrual of {a.period.label}{_of_tenant(a)} as of {a.as_of.isoformat()}{basis} ({a.currency})")
    if a.invoiced:
        print(f"  {a.period.label} is invoiced: its revenue and margin are in the P&L (python -m arcadia margin "
              f"--period {a.period.start:%Y-%m})")
        return
    print(f"  subtotal {display(a.subtotal_cents)}   GST {display(a.tax_cents)}   total {display(a.total_cents)}   "
          f"projected month-end subtotal {display(a.projected_subtotal_cents)}")
    e = a.estimate
    if e is not None:  # an estimate, never part of the invoiced figures
        if e.actual is not None:
            print(f"  actual cost so far (the month's cost lines, to {e.actual.through:%Y-%m-%d %H:%M} UTC): "
                  f"{display(e.actual_cogs_cents)}; the rest is modelled")
        print(f"  estimate: COGS so far {display(e.estimated_cogs_cents)}, margin {display(e.estimated_margin_cents)} "
              f"({_pct(e.estimated_margin_pct)}); month-end COGS {display(e.projected_cogs_cents)}, margin "
              f"{display(e.projected_margin_cents)} ({_pct(e.projected_margin_pct)}); "
              f"{plural(len(e.without_rate), 'resource')} without a rate")
    print()
    print(_table(["tenant", "subscription", "subtotal", "GST", "total", "projected"], [
        [q.subscription.tenant_id, q.subscription.id[:8], display(q.subtotal_cents), display(q.tax_cents),
         display(q.total_cents), display(q.projected_subtotal_cents)] for q in a.quotes]))


def _emit(args, doc: dict, rows: list[dict], printer, figure) -> None:
    if args.json:
        print(report.dumps(doc))
    elif args.csv:
        sys.stdout.write(report.to_csv(rows, args.table))
    else:
        printer(figure)
    for warning in doc.get("warnings", []):
        print(f"warning: {warning}", file=sys.stderr)


def _import_do(args) -> int:
    from arcadia import do_api, do_import, do_invoice

    account = do_import.check_account(args.account)
    engine = get_engine(args.database_url, reader=False)  # the writer: this command writes cost lines
    if args.remove:
        if args.files or args.api or args.invoice or args.dry_run:
            raise InputError("--remove takes --account and --period only: it removes what is in place")
        if args.period is None:
            raise InputError("--remove needs --period (the month to take out)")
        removed = do_import.remove(engine, Period.parse(args.period), account)
        print(do_import.removal_text(removed, describe(engine.url.render_as_string(hide_password=False))))
        return EXIT_OK
    if args.api == bool(args.files) or (args.api and not args.invoice):
        raise InputError("give the invoice's files (its CSV export or JSON pages), or --api --invoice UUID "
                         "(or --invoice preview)")
    if args.api:
        token = do_api.token_from_env()
        try:
            invoice, period = _fetch(args, token)
        except ArcadiaError as exc:
            raise type(exc)(str(exc).replace(token, "[token]")) from None
    else:
        if args.period is None:
            raise InputError("--period is needed with files: the invoice's month (YYYY-MM)")
        period = Period.parse(args.period)
        invoice = do_invoice.read_files(args.files, period, args.invoice)
    result = (do_import.preview if args.dry_run else do_import.import_invoices)(
        engine, invoice, period, include_tax=args.include_tax, account=account)
    print(report.dumps(do_import.summary_json(result)) if args.json else do_import.summary_text(result))
    return EXIT_OK


def _fetch(args, token: str):
    """The invoice --api names (a UUID, or 'preview': the month and as-of come from the API's list)."""
    from arcadia import do_api

    asked = None if args.period is None else Period.parse(args.period)
    if args.invoice.strip().lower() != do_api.PREVIEW_KEYWORD:
        if asked is None:
            raise InputError("--period is needed with --api --invoice UUID: the invoice's month (YYYY-MM)")
        return [do_api.fetch_invoice(args.invoice, asked, token, args.api_url)], asked
    preview = do_api.list_invoices(token, args.api_url).preview
    if preview is None:
        raise ArcadiaError("the API lists no invoice preview for this account")
    if asked is not None and asked != preview.period:
        raise InputError(f"--period {args.period} is not the preview's month: the API's preview is of "
                         f"{preview.period.label}")
    invoice = do_api.fetch_invoice(preview.invoice_uuid, preview.period, token, args.api_url, source="preview",
                                   as_of=preview.updated_at or datetime.now(UTC), ask_as=do_api.PREVIEW_KEYWORD)
    return [invoice], preview.period


def _sync_do(args) -> int:
    from arcadia import do_api, do_import, sync_do

    account = do_import.check_account(args.account)
    if not 1 <= args.months <= 24:
        raise InputError(f"--months {args.months}: expected 1 to 24")
    do_api.api_origin(args.api_url)  # a bad URL is bad input (exit 2), before anything is asked
    token = do_api.token_from_env()
    engine = get_engine(args.database_url, reader=False)  # the writer: cost lines and the sync record
    try:
        result = sync_do.sync(engine, token, datetime.now(UTC).replace(microsecond=0), args.api_url, account,
                              args.months)
    except ArcadiaError as exc:
        raise type(exc)(str(exc).replace(token, "[token]")) from None
    print(report.dumps(sync_do.to_json(result)) if args.json else sync_do.to_text(result))
    return EXIT_OK


def _alerts(args) -> int:
    from arcadia import alert_run, schema

    config = alert_run.load(args.config)
    url = database_url(args.database_url)
    write_url = os.environ.get("ARCADIA_WRITE_DATABASE_URL", "").strip() or url
    reader, writer = get_engine(args.database_url, reader=True), engine_for(database_url(write_url))
    if not args.dry_run:
        schema.metadata.create_all(writer, tables=[schema.alert_state], checkfirst=True)
    result = alert_run.run(reader, writer, config, datetime.now(UTC).replace(microsecond=0), args.dry_run)
    print(report.dumps(alert_run.to_json(result)) if args.json else alert_run.to_text(result))
    return EXIT_FAILED if result.failed else EXIT_OK


def run(args) -> int:
    if args.command == "db":
        engine = engine_for(database_url(args.database_url))
        from arcadia.schema import create_all
        from arcadia.db import connect

        with connect(engine):  # unreachable: a clear error before any DDL
            pass
        try:
            create_all(engine)
        except sa.exc.DBAPIError as exc:  # e.g. no privilege, or a table of that name in another shape
            reason = (str(exc.orig).strip().splitlines() or ["the database refused"])[0]
            raise ArcadiaError(f"db init failed on {describe(str(engine.url))}: {reason}") from None
        print(f"schema ready on {describe(str(engine.url))}")
        return EXIT_OK
    if args.command == "demo":
        from arcadia.demo import build_demo

        url = database_url(args.database_url)
        now = parse_instant(args.now) if args.now else None
        if args.scale is not None:
            from arcadia import scale_demo

            if args.reset:
                raise InputError("--reset goes with the embedded demo, --scale with a PostgreSQL database: not both")
            counts = scale_demo.build(url, args.scale, now or datetime.now(UTC))
            print(f"scale {args.scale:g} demo written to {describe(url)}: " + ", ".join(f"{t} {n}" for t, n in counts.items()))
            return EXIT_OK
        if args.force and not args.reset:
            raise InputError("--force goes with --reset")
        if args.reset or is_demo(url):
            from arcadia.embedded import build_demo_beside

            counts = build_demo_beside(args.database_url, now, reset=args.reset, force=args.force)
        else:
            counts = build_demo(url, now)
        print(f"demo data written to {describe(url)}: " + ", ".join(f"{t} {n}" for t, n in counts.items()))
        return EXIT_OK
    if args.command == "token":
        from arcadia.auth import AuthConfig, mint_token, parse_ttl

        config = AuthConfig.from_env()
        print(mint_token(args.role, parse_ttl(args.ttl, config.max_ttl), config, sub=args.sub, tenant_id=args.tenant_id))
        return EXIT_OK
    if args.command == "bench":
        from arcadia import bench

        return bench.run(args)
    if args.command == "check":
        from arcadia import health

        month = None if args.period is None else Period.parse(args.period)
        found = health.check(get_engine(args.database_url, reader=True), month, datetime.now(UTC))
        print(report.dumps(health.to_json(found)) if args.json else health.to_text(found))
        return EXIT_FAILED if found.errors else EXIT_OK  # for cron: errors fail the run, warnings do not
    if args.command == "import-do":
        return _import_do(args)
    if args.command == "sync-do":
        return _sync_do(args)
    if args.command == "alerts":
        return _alerts(args)
    if args.command == "estimate-accuracy":
        from arcadia import accuracy

        if not 1 <= args.months <= 36:
            raise InputError(f"--months {args.months}: expected 1 to 36")
        found = accuracy.estimate_accuracy(get_engine(args.database_url, reader=True), args.months)
        print(report.dumps(accuracy.to_json(found)) if args.json else accuracy.to_text(found))
        return EXIT_OK
    if args.command in ("margin", "by-kind"):
        period = parse_months(args.period, args.from_month, args.to_month)
    if args.command in ("margin", "accrual") and args.tenant is not None:
        analytics.check_tenant_id(args.tenant)
    if args.command == "accrual" and not args.lines and not args.json:
        raise InputError("--no-lines goes with --json (the JSON document without each subscription's lines)")
    elif args.command in ("rollup", "cost-lines"):
        period = Period.parse(args.period)
    # Figures read on a reader engine (read-only, timeouts); the rollup writes invoices.
    engine = get_engine(args.database_url, reader=args.command != "rollup")
    if args.command == "margin":
        summary = analytics.margin_summary(engine, period, datetime.now(UTC), args.tenant)
        _emit(args, report.margin_json(summary), report.margin_table(summary, args.table), _print_margin, summary)
    elif args.command == "by-kind":
        breakdown = analytics.by_kind(engine, period, datetime.now(UTC))
        _emit(args, report.by_kind_json(breakdown), report.by_kind_table(breakdown, args.table), _print_by_kind, breakdown)
    elif args.command == "accrual":
        accrual = analytics.live_accrual(engine, parse_instant(args.as_of) if args.as_of else None, tenant=args.tenant)
        _emit(args, report.accrual_json(accrual, lines=args.lines), report.accrual_table(accrual, args.table),
              _print_accrual, accrual)
    elif args.command == "cost-lines":
        from arcadia import coverage

        table = "unattributed" if args.unattributed else "tenant_lines"
        found = (coverage.unattributed_cost_lines(engine, period) if args.unattributed
                 else coverage.tenant_cost_lines(engine, args.tenant, period))
        rows = report.cost_lines_table(found, period, table)
        if args.csv:
            sys.stdout.write(report.to_csv(rows, table))
        else:
            print(_table(["description", "kind", "amount"],  # database text, escaped for the terminal
                         [[printable(r["description"]), printable(r["kind"]), r["amount"]] for r in rows]))
    elif args.command == "rollup":
        from arcadia.billing import rollup
        from arcadia.db import connect

        with connect(engine) as conn, conn.begin():
            ids = rollup(conn, period, datetime.now(UTC))
        print(f"rolled up {period.label}: {len(ids)} invoice(s)")
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    """Entry point: parse, run, and turn every failure into a message and an exit code."""
    args = build_parser().parse_args(argv)
    try:
        return run(args)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except DatabaseUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except ArcadiaError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `… | head` closed the pipe: the reader has what it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit's flush
        return EXIT_OK
