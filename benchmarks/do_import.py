"""Time `import-do` on a large DigitalOcean invoice CSV: parse, match and write N lines (default 100,000).

    python -m benchmarks.do_import --database-url postgresql://…/db [--lines 100000] [--period 2026-04]

Writes the lines into that database (as invoice `bench-<month>`, replaced on every run) and prints the
timings; run it against a scratch database. The items cycle through droplets named after the database's
own resources and some that match nothing, so the matching does real work.
"""

from __future__ import annotations

import argparse
import time

from arcadia import do_import, do_invoice
from arcadia.db import database_url, engine_for
from arcadia.period import Period

PRODUCTS = [("Droplets", "web-{n} (s-1vcpu-1gb)", "$6.00"), ("Volumes", "vol-{n} (sfo2) 100GB", "$10.00"),
            ("Backups", "web-{n} (s-1vcpu-1gb)", "$1.20"), ("Bandwidth", "Outbound transfer", "$0.01"),
            ("Kubernetes Clusters", "pool-{n} (s-2vcpu-4gb)", "$1,234.56"), ("Credits", "Promo", "-$0.50")]


def big_invoice(lines: int, period: Period) -> bytes:
    """A DigitalOcean invoice CSV of `lines` items in `period`."""
    start, end = f"{period.start} 00:00:00 +0000", f"{period.end} 00:00:00 +0000"
    rows = ["product,group_description,description,hours,start,end,USD,project_name,category"]
    for n in range(lines):
        product, description, amount = PRODUCTS[n % len(PRODUCTS)]
        rows.append(f'{product},,{description.format(n=n % 5000)},720,{start},{end},"{amount}",Default,iaas')
    return ("\n".join(rows) + "\n").encode()


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="the database to write into (default: $ARCADIA_DATABASE_URL)")
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--period", default="2026-04")
    args = parser.parse_args(argv)
    period = Period.parse(args.period)
    data = big_invoice(args.lines, period)
    started = time.perf_counter()
    invoices = do_invoice.read_uploads([("bench.csv", data)], period, f"bench-{period.start:%Y-%m}")
    parsed = time.perf_counter()
    result = do_import.import_invoices(engine_for(database_url(args.database_url)), invoices, period)
    done = time.perf_counter()
    print(f"{args.lines:,} lines ({len(data) / 1e6:.1f} MB) into {result.database}: parse {parsed - started:.2f} s, "
          f"match + write {done - parsed:.2f} s (replaced {result.replaced[0]:,} lines); "
          f"total {done - started:.2f} s")


if __name__ == "__main__":
    main()
