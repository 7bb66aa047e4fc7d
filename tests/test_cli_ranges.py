"""CLI ergonomics (issue 9, item 15): --database-url before or after the subcommand (after wins), and
help texts that say which month forms --period, --from and --to take."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from arcadia.cli import build_parser, main
from arcadia.db import PROJECT_ROOT
from tests.conftest import DEMO_NOW

UNREACHABLE = "postgresql+psycopg://postgres@127.0.0.1:5999/nowhere"


def run_cli(capsys, *args):
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def without_clock(result):
    """The output with the instant of the run left out (check prints when it checked)."""
    code, out, err = result
    return code, re.sub(r"checked at \S+", "checked at …", out), err


# every subcommand (with what it needs to parse) → --database-url: before, after, both (after wins)
COMMANDS = [
    ["db", "init"], ["demo"], ["margin", "--period", "2026-04"], ["by-kind", "--from", "2026-04", "--to", "2026-05"],
    ["accrual"], ["cost-lines", "--period", "2026-04", "--unattributed"], ["check"], ["rollup", "--period", "2026-04"],
    ["bench"], ["token", "--role", "platform_admin"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[0])
@pytest.mark.parametrize("before, after, expected", [
    (None, None, None), ("sqlite:///before", None, "sqlite:///before"), (None, "sqlite:///after", "sqlite:///after"),
    ("sqlite:///before", "sqlite:///after", "sqlite:///after"),
])
def test_database_url_is_accepted_after_every_subcommand(command, before, after, expected):
    argv = (["--database-url", before] if before else []) + command + (["--database-url", after] if after else [])
    assert build_parser().parse_args(argv).database_url == expected


def test_database_url_between_db_and_init():
    assert build_parser().parse_args(["db", "--database-url", "sqlite:///x", "init"]).database_url == "sqlite:///x"


# The figures and the data-health check give the same output with the URL after the subcommand,
# also when an unreachable URL comes before it (the one after wins).
FIGURE_COMMANDS = [
    ["margin", "--period", "2026-04", "--json"],
    ["margin", "--from", "2026-04", "--to", "2026-06", "--csv"],
    ["by-kind", "--period", "2026-10-01", "--json"],
    ["accrual", "--as-of", DEMO_NOW, "--json"],
    ["check", "--period", "2026-04"],
]


@pytest.mark.parametrize("command", FIGURE_COMMANDS, ids=lambda c: " ".join(c[:3]))
def test_figures_read_the_database_named_after_the_subcommand(capsys, demo_sqlite_url, command):
    code, out, err = shown = without_clock(run_cli(capsys, "--database-url", demo_sqlite_url, *command))
    assert code in (0, 1) and out and "unrecognized" not in err
    assert without_clock(run_cli(capsys, *command, "--database-url", demo_sqlite_url)) == shown
    assert without_clock(run_cli(capsys, "--database-url", UNREACHABLE, *command, "--database-url", demo_sqlite_url)) \
        == shown
    failed = run_cli(capsys, "--database-url", demo_sqlite_url, *command, "--database-url", UNREACHABLE)
    assert failed[0] == 1 and "cannot reach the database" in failed[2]


def test_db_init_takes_the_url_after_init(capsys, tmp_path):
    url = f"sqlite:///{tmp_path / 'fresh.sqlite'}"
    code, out, _ = run_cli(capsys, "db", "init", "--database-url", url)
    assert code == 0 and out.startswith("schema ready on SQLite") and (tmp_path / "fresh.sqlite").exists()


def test_token_takes_and_ignores_a_url_after_it(capsys, monkeypatch):
    monkeypatch.setenv("ARCADIA_API_JWT_SECRET", "x" * 40)
    code, out, _ = run_cli(capsys, "token", "--role", "platform_admin", "--database-url", UNREACHABLE)
    assert code == 0 and out.count(".") == 2  # a JWT: header.payload.signature


# --- help texts ---------------------------------------------------------------------------------------

# subcommand → what its --help must say about months
HELP = {
    "margin": ["--period", "YYYY-MM", "YYYY-MM-DD", "--from", "--to", "included", "120 months"],
    "by-kind": ["--period", "YYYY-MM", "YYYY-MM-DD", "--from", "--to", "included"],
    "cost-lines": ["--period", "YYYY-MM", "YYYY-MM-DD"],
    "rollup": ["--period", "YYYY-MM", "YYYY-MM-DD"],
    "check": ["--period", "YYYY-MM", "YYYY-MM-DD"],
    "bench": ["--period", "YYYY-MM", "YYYY-MM-DD"],
}


@pytest.mark.parametrize("command, says", HELP.items(), ids=list(HELP))
def test_every_period_help_names_the_month_forms(capsys, monkeypatch, command, says):
    monkeypatch.setenv("COLUMNS", "1000")  # one line per flag: no word of the help broken at a hyphen
    with pytest.raises(SystemExit) as done:
        main([command, "--help"])
    out = capsys.readouterr().out
    assert done.value.code == 0
    assert all(word in out for word in says), out
    assert "--database-url" in out


@pytest.mark.parametrize("command", [["db", "init"], ["demo"], ["accrual"], ["token"]], ids=lambda c: c[0])
def test_every_help_offers_database_url(capsys, command):
    with pytest.raises(SystemExit):
        main([*command, "--help"])
    assert "--database-url" in capsys.readouterr().out


def test_the_issue_s_command_line_runs(demo_sqlite_url):
    """`python -m arcadia margin --period 2026-04 --database-url URL` used to fail with 'unrecognized arguments'."""
    done = subprocess.run([sys.executable, "-m", "arcadia", "margin", "--period", "2026-04", "--database-url",
                           demo_sqlite_url, "--json"], capture_output=True, text=True, cwd=PROJECT_ROOT, timeout=120,
                          env={"PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr
    assert '"period": "2026-04-01"' in done.stdout and '"revenue": "71.12"' in done.stdout
