"""Load and concurrency evidence against a real `streamlit run app.py` (issue 8, "Load and fuzz").

    .venv/bin/python benchmarks/load.py [--database-url URL] [--clients 50] [--seconds 30] [--browsers 10]

Starts a fresh server on a free localhost port (benchmarks/browser.py: a
temporary project copy, ARCADIA_API_JWT_SECRET set to a secret made for the
run, ARCADIA_DATABASE_URL unless the database is the embedded demo, which
the copy serves as its own), then:

1. computes each API document once in this process with arcadia.analytics +
   arcadia.report, exactly as the API route does;
2. warms up with one request per route, then runs `--clients` threads, each
   with its own httpx client and an admin token, round-robin over the margin,
   by-kind and accrual routes for `--seconds`; every response must be 200 and
   equal that document (margin: everything but its warnings, where "the month
   is not over yet" depends on the clock; the time-independent warnings must
   still be there; accrual: at a pinned `as_of`, so its body is fixed);
3. with `--browsers N`, opens N Chromium pages at once (one browser, one
   context each, so N Streamlit sessions; logged in through a mock OIDC
   provider unless the database is the demo) over the dashboard's pages and
   reports, per page, whether it rendered without a Streamlit exception and
   its time to settle (as benchmarks/pages.py defines it).

Prints counts, errors, a status histogram, p50/p95/p99/max latency per route
and overall, throughput, the CPU the server and the clients used, and the
server's RSS (VmRSS of the streamlit process and its children) before, every
5 s during, and after the load. Exit 1 when any response or page failed. It
only reads the database. Run it from the project root; figures and commands:
docs/reliability.md.
"""

from __future__ import annotations

import argparse
import logging
import math
import os
import resource
import secrets
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

# Run as a script from the project root: its folder, not the root, is on sys.path.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx  # noqa: E402
import orjson  # noqa: E402

from arcadia import analytics, db, embedded, report  # noqa: E402
from arcadia.auth import REQUIRED_ROLE, AuthConfig, mint_token  # noqa: E402
from arcadia.errors import InputError  # noqa: E402
from arcadia.period import Period, accrual_period, parse_instant  # noqa: E402
from benchmarks.browser import launch_chromium  # noqa: E402
from benchmarks.pages import COUNT_CONTENT, FINISHED, PAGES, SETTLE_S, Dashboard  # noqa: E402

DEFAULT_AS_OF = "2026-11-27T01:00:00Z"  # the demo's "now" in the tests; any instant with data will do
REQUEST_TIMEOUT_S = 60
BROWSER_TIMEOUT_S = 180  # a page not settled by then counts as failed
POLL_S = 0.05
RSS_EVERY_S = 5
# One round trip per page and poll: title, script run over, content count, exceptions.
PROBE = f"""title => [
    [...document.querySelectorAll('h1, h2, h3')].some(h => h.textContent.trim().startsWith(title)),
    document.querySelector('{FINISHED}') !== null,
    ({COUNT_CONTENT})(),
    [...document.querySelectorAll('[data-testid="stException"]')].map(e => e.innerText.slice(0, 300)),
]"""


# --- the documents the API must return ---------------------------------------------------------------------

@dataclass(frozen=True)
class Target:
    """One route under load: its path and how to tell a correct body."""

    name: str
    path: str
    correct: Callable[[bytes], bool]


def _same_margin(expected: dict) -> Callable[[bytes], bool]:
    """Equal but for warnings; the expected (clock-free) warnings must all be there."""
    wanted = dict(expected)
    must_warn = set(wanted.pop("warnings", []))

    def correct(body: bytes) -> bool:
        doc = orjson.loads(body)
        warned = doc.pop("warnings", [])
        return doc == wanted and must_warn <= set(warned)

    return correct


def _same(expected: dict) -> Callable[[bytes], bool]:
    return lambda body: orjson.loads(body) == expected


def targets(url: str, period: Period, as_of: str) -> list[Target]:
    """The three figure routes and their documents, computed here as the API computes them."""
    engine = embedded.get_engine(url)
    # now=None: no "not over yet" warning, which depends on the clock; the server adds it when due.
    margin = report.margin_json(analytics.margin_summary(engine, period))
    if not margin["tenants"]:
        raise SystemExit(f"{period} has no tenants in {db.describe(url)}: pick a --period with data")
    by_kind = report.by_kind_json(analytics.by_kind(engine, period))
    accrual = report.accrual_json(analytics.live_accrual(engine, parse_instant(as_of)))
    # Round trip through JSON: the server's body parses to str/float/None, not Decimal.
    margin, by_kind, accrual = (orjson.loads(orjson.dumps(doc)) for doc in (margin, by_kind, accrual))
    return [
        Target("margin", f"/api/v1/dashboard/margin?period={period}", _same_margin(margin)),
        Target("by-kind", f"/api/v1/dashboard/by-kind?period={period}", _same(by_kind)),
        Target("accrual", f"/api/v1/dashboard/accrual?as_of={quote(as_of)}", _same(accrual)),
    ]


# --- the server's memory -----------------------------------------------------------------------------------

def _status_kb(pid: int, field: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError):
        pass  # a child that exited between listing and reading
    return 0


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(child) for child in (task / "children").read_text().split()]
        except FileNotFoundError:
            continue
    return found


def server_memory_mb(pid: int) -> dict:
    """VmRSS of the process and all its descendants, and the process's own peak (VmHWM), in MB."""
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo += _children(current)
    return {"rss_mb": round(sum(_status_kb(p, "VmRSS") for p in tree) / 1024, 1),
            "peak_rss_mb": round(_status_kb(pid, "VmHWM") / 1024, 1), "processes": len(tree)}


def server_cpu_s(pid: int) -> float:
    """CPU seconds (user + system) the process and its reaped children have used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(tick) for tick in fields[11:15]) / os.sysconf("SC_CLK_TCK")  # utime stime cutime cstime


def own_cpu_s() -> float:
    """CPU seconds this process (the clients, or the browser driver) has used so far."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# --- API load ----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Sample:
    route: str
    status: int | str  # the HTTP status, or the name of the transport error
    correct: bool
    ms: float
    detail: str = ""  # what came back, when it was wrong


def _client(index: int, base: str, token: str, routes: list[Target], deadline: float, out: list[Sample]) -> None:
    """One client: requests back to back until the deadline, starting at route `index` (round robin)."""
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base, headers=headers, timeout=REQUEST_TIMEOUT_S) as client:
        turn = index
        while time.perf_counter() < deadline:
            target = routes[turn % len(routes)]
            turn += 1
            started = time.perf_counter()
            try:
                response = client.get(target.path)
                status, correct = response.status_code, response.status_code == 200 and target.correct(response.content)
                detail = "" if correct else response.text[:300]
            except httpx.HTTPError as exc:
                status, correct, detail = type(exc).__name__, False, str(exc)[:300]
            out.append(Sample(target.name, status, correct, (time.perf_counter() - started) * 1000, detail))


def run_clients(base: str, token: str, routes: list[Target], clients: int, seconds: float,
                pid: int) -> tuple[list[Sample], float, list[float]]:
    """All samples of `clients` concurrent clients over `seconds`, the wall time they took, and the
    server's RSS (MB) every RSS_EVERY_S meanwhile (does it level off or keep growing?)."""
    samples: list[Sample] = []  # list.append is atomic: the threads share it without a lock
    started = time.perf_counter()
    deadline = started + seconds
    threads = [threading.Thread(target=_client, args=(i, base, token, routes, deadline, samples), daemon=True)
               for i in range(clients)]
    for thread in threads:
        thread.start()
    rss = []
    while time.perf_counter() < deadline:
        time.sleep(min(RSS_EVERY_S, max(0.0, deadline - time.perf_counter())))
        rss.append(server_memory_mb(pid)["rss_mb"])
    for thread in threads:
        thread.join()
    return samples, time.perf_counter() - started, rss


def _percentile(sorted_ms: list[float], p: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    return sorted_ms[max(0, math.ceil(p / 100 * len(sorted_ms)) - 1)]


def latency(samples: list[Sample]) -> dict:
    ms = sorted(s.ms for s in samples)
    if not ms:
        return {"count": 0}
    return {"count": len(ms), "errors": sum(not s.correct for s in samples),
            "statuses": dict(Counter(str(s.status) for s in samples)),
            **{f"p{p}_ms": round(_percentile(ms, p), 1) for p in (50, 95, 99)}, "max_ms": round(ms[-1], 1)}


def warm_up(base: str, token: str, routes: list[Target]) -> dict:
    """One request per route, in turn, before the load: each one's ms, and whether it was right."""
    first = {}
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=REQUEST_TIMEOUT_S) as client:
        for target in routes:
            started = time.perf_counter()
            response = client.get(target.path)
            ok = response.status_code == 200 and target.correct(response.content)
            first[target.name] = {"ms": round((time.perf_counter() - started) * 1000, 1), "status": response.status_code,
                                  "correct": ok}
    return first


# --- concurrent browsers -----------------------------------------------------------------------------------

class _Watch:
    """One page's progress towards settling: title shown, script run over, its content unchanged for SETTLE_S."""

    def __init__(self, slug: str, title: str, started: float):
        self.slug, self.title, self.started = slug, title, started
        self.count, self.changed, self.drawn = -1, 0.0, None
        self.outcome: dict | None = None

    def _ms(self, at: float) -> int:
        return round((at - self.started) * 1000)

    def see(self, now: float, titled: bool, over: bool, content: int, raised: list[str]) -> None:
        if raised:
            self.outcome = {"page": self.slug, "ok": False, "error": raised[0]}
            return
        if not (titled and over and content > 0):
            self.count = -1  # not drawn yet, or a rerun started: the settling window starts again
            return
        if self.drawn is None:
            self.drawn = now  # the script run is over and something shows; more tables and charts may follow
        if content != self.count:
            self.count, self.changed = content, now
        elif now - self.changed >= SETTLE_S:
            self.outcome = {"page": self.slug, "ok": True, "settled_ms": self._ms(self.changed),
                            "first_drawn_ms": self._ms(self.drawn)}


def run_browsers(dashboard: Dashboard, base: str, count: int, query: str) -> list[dict]:
    """`count` pages loading at once, round-robin over the dashboard's pages; each one's outcome.

    One thread drives them all: every page is sent to its URL first, then all are
    polled in turn until each has settled or raised (or BROWSER_TIMEOUT_S passed).
    """
    from playwright.sync_api import Error as PlaywrightError

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # the mock provider's request log is not this run's output
    manager, browser = launch_chromium()
    try:
        # Logins (when the database is not the demo) happen before the clock starts.
        pages = [dashboard.page(browser, base) for _ in range(count)]
        plan = [PAGES[i % len(PAGES)] for i in range(count)]
        started = time.perf_counter()
        for page, (_, path, _) in zip(pages, plan):
            page.goto(f"{base}/{path}?{query}", wait_until="commit")
        watches = [_Watch(slug, title, started) for slug, _, title in plan]
        while any(w.outcome is None for w in watches):
            for page, watch in zip(pages, watches):
                if watch.outcome is not None:
                    continue
                try:
                    watch.see(time.perf_counter(), *page.evaluate(PROBE, watch.title))
                except PlaywrightError:
                    pass  # the document was being replaced: look again next round
                if watch.outcome is None and time.perf_counter() - started > BROWSER_TIMEOUT_S:
                    shown = page.locator('[data-testid="stMain"]').inner_text()[:200]
                    watch.outcome = {"page": watch.slug, "ok": False,
                                     "error": f"not settled after {BROWSER_TIMEOUT_S} s; it shows {shown!r}"}
            time.sleep(POLL_S)
        for page in pages:
            page.context.close()
        return [w.outcome for w in watches]
    finally:
        browser.close()
        manager.stop()


# --- the run -----------------------------------------------------------------------------------------------

def _print_table(per_route: dict, overall: dict) -> None:
    print(f"{'route':<10}{'requests':>9}{'errors':>7}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}  statuses")
    for name, row in [*per_route.items(), ("overall", overall)]:
        if not row["count"]:
            print(f"{name:<10}{0:>9}")
            continue
        print(f"{name:<10}{row['count']:>9}{row['errors']:>7}{row['p50_ms']:>9}{row['p95_ms']:>9}{row['p99_ms']:>9}"
              f"{row['max_ms']:>9}  {row['statuses']}")


def _load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=None, help="default: $ARCADIA_DATABASE_URL, else the embedded demo")
    parser.add_argument("--clients", type=int, default=50, help="concurrent API clients (0: no API load)")
    parser.add_argument("--seconds", type=float, default=30, help="how long the API load lasts")
    parser.add_argument("--browsers", type=int, default=0, help="concurrent Chromium pages after the API load")
    parser.add_argument("--as-of", default=DEFAULT_AS_OF, help="the accrual's pinned instant")
    parser.add_argument("--period", default=None, help="the month of margin and by-kind (default: the month before "
                                                       "--as-of's accrual month)")
    args = parser.parse_args(argv)
    url = db.database_url(args.database_url)
    try:
        as_of = parse_instant(args.as_of)
        period = Period.parse(args.period) if args.period else accrual_period(as_of).previous()
    except InputError as exc:
        parser.error(str(exc))
    as_of_text = as_of.isoformat().replace("+00:00", "Z")
    routes = targets(url, period, as_of_text)
    secret = secrets.token_urlsafe(48)
    token = mint_token(REQUIRED_ROLE, timedelta(hours=2), AuthConfig(secret=secret), sub="arcadia-load")
    print(f"database: {db.describe(url)}; period {period}; as_of {as_of_text}; "
          f"{args.clients} clients × {args.seconds:g} s; {args.browsers} browsers")
    # The machine may be shared: its load says how much of the CPU the run really had.
    print(f"cpus: {os.cpu_count()}; load average at start: {_load()}")
    failed = False
    with tempfile.TemporaryDirectory(prefix="arcadia-load-") as workdir:
        dashboard = Dashboard(url, Path(workdir), secret)
        with dashboard.server() as served:
            pid = served.process.pid
            print(f"server pid {pid} at {served.base}; memory at start: {server_memory_mb(pid)}")
            first = warm_up(served.base, token, routes)
            print(f"first requests: {first}")
            failed |= not all(row["correct"] for row in first.values())
            before = server_memory_mb(pid)
            print(f"memory before the load: {before}")
            if args.clients > 0:
                cpu = server_cpu_s(pid), own_cpu_s()
                samples, wall, rss = run_clients(served.base, token, routes, args.clients, args.seconds, pid)
                cpu = server_cpu_s(pid) - cpu[0], own_cpu_s() - cpu[1]
                per_route = {t.name: latency([s for s in samples if s.route == t.name]) for t in routes}
                overall = latency(samples)
                _print_table(per_route, overall)
                print(f"throughput: {len(samples) / wall:.1f} requests/s over {wall:.1f} s; "
                      f"all 200 and correct: {overall['count'] > 0 and overall['errors'] == 0}")
                print(f"CPU during the load: server {cpu[0]:.1f} s, clients {cpu[1]:.1f} s, in {wall:.1f} s on "
                      f"{os.cpu_count()} cores")
                print(f"memory after the load: {server_memory_mb(pid)}; RSS every {RSS_EVERY_S} s during it: {rss}")
                for wrong in [s for s in samples if not s.correct][:5]:
                    print(f"wrong: {wrong.route} {wrong.status}: {wrong.detail!r}")
                failed |= overall["count"] == 0 or overall["errors"] > 0
            if args.browsers > 0:
                query = f"period={period.start:%Y-%m}&as_of={quote(as_of_text)}"
                cpu, started = server_cpu_s(pid), time.perf_counter()
                outcomes = run_browsers(dashboard, served.base, args.browsers, query)
                cpu, wall = server_cpu_s(pid) - cpu, time.perf_counter() - started
                for outcome in outcomes:
                    print(f"browser {outcome}")
                settled = sorted(o["settled_ms"] for o in outcomes if o["ok"])
                print(f"browsers: {len(settled)} of {len(outcomes)} rendered without an error; "
                      f"settled in {settled[0] if settled else '-'}–{settled[-1] if settled else '-'} ms")
                print(f"CPU of the server during the browsers (logins included): {cpu:.1f} s in {wall:.1f} s")
                print(f"memory after the browsers: {server_memory_mb(pid)}")
                failed |= len(settled) != len(outcomes)
    print(f"load average at the end: {_load()}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
