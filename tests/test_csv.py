"""CSV downloads and `--csv` are safe to open in a spreadsheet: text never runs as a formula."""

from __future__ import annotations

import csv
import io
import json

import pytest

from arcadia import report
from arcadia.cli import main

HOSTILE = '=HYPERLINK("http://evil.example/?x=1","click me")'


@pytest.mark.parametrize("cell, shown", [
    (HOSTILE, "'" + HOSTILE),
    ("+1+2", "'+1+2"),
    ("-2+3", "'-2+3"),
    ("@SUM(A1:A2)", "'@SUM(A1:A2)"),
    ("\t=1", "'\t=1"),
    ("\r=1", "'\r=1"),
    ("-15.80", "-15.80"),       # money stays a number
    ("-22.2", "-22.2"),         # margin %
    ("+7", "+7"),
    ("42", "42"),
    ("Acme Corp", "Acme Corp"),
    ("a=b", "a=b"),             # only the first character matters
    ("", ""),
    (None, ""),
    ("-", "'-"),
    ("--1", "'--1"),
])
def test_spreadsheet_safe(cell, shown):
    assert report.spreadsheet_safe(cell) == shown


def test_every_table_writes_hostile_text_as_text_and_money_as_numbers():
    rows = [{"period": "2026-03-01", "tenant_id": "-evil", "tenant_name": HOSTILE, "internal": "no",
             "revenue": "-15.80", "cogs": "0.00", "margin": "-15.80", "margin_pct": ""}]
    parsed = list(csv.DictReader(io.StringIO(report.to_csv(rows, "tenants"))))
    assert parsed[0]["tenant_name"] == "'" + HOSTILE and parsed[0]["tenant_id"] == "'-evil"
    assert parsed[0]["revenue"] == parsed[0]["margin"] == "-15.80"


def test_cli_csv_of_a_hostile_tenant_name(small, capsys):
    with small.begin() as conn:
        conn.exec_driver_sql("UPDATE tenants SET name = '=HYPERLINK(\"http://evil.example\",\"x\")' WHERE id = 'acme'")
    url = small.url.render_as_string(hide_password=False)
    assert main(["--database-url", url, "margin", "--period", "2026-03", "--csv", "--table", "tenants"]) == 0
    out = capsys.readouterr().out
    acme = next(r for r in csv.DictReader(io.StringIO(out)) if r["tenant_id"] == "acme")
    assert acme["tenant_name"] == "'=HYPERLINK(\"http://evil.example\",\"x\")" and acme["margin"] == "5.50"
    # The JSON keeps the name as it is: escaping is for spreadsheets only.
    assert main(["--database-url", url, "margin", "--period", "2026-03", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert next(t for t in doc["tenants"] if t["tenant_id"] == "acme")["tenant_name"].startswith("=HYPERLINK")
