"""Alerts and the monthly digest (issue 17): rules on both databases, sent once and resolved once, to real local
receivers (a recording HTTP server that checks signatures, an SMTP server with STARTTLS), dedup across runs and
two runs at once, a channel down, --dry-run, and hostile names reaching every channel literally.

The case: tests/fixtures/estimate.sql, May 2026 as of 2026-05-11 (acme's projected margin -17.5 %, the overall
-1.6 %), April holding cost lines and no invoices.
"""

from __future__ import annotations

import datetime as dt
import json
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import sqlalchemy as sa

from arcadia import alert_run, channels, schema
from arcadia.alert_run import AlertConfig
from arcadia.channels import Channel
from arcadia.cli import main
from arcadia.period import parse_instant
from tests.conftest import load_sql

NOW = parse_instant("2026-05-11T00:00:00Z")
SECRET = "whsec-test"
RULES = {"tenant_margin": {"enabled": True, "below_pct": 10}, "overall_margin": {"enabled": True, "below_pct": 15}}


class Receiver:
    """A local HTTP endpoint that records what is posted (headers and JSON); `fail` answers 503 to everything."""

    def __init__(self):
        self.got: list[tuple[dict, bytes]] = []
        self.fail = False
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if receiver.fail:
                    self.send_response(503)
                    self.send_header("Retry-After", "0")
                    self.end_headers()
                    return
                receiver.got.append((dict(self.headers), body))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def docs(self) -> list[dict]:
        return [json.loads(body) for _, body in self.got]

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.stop()


@pytest.fixture
def case(engine):
    load_sql(engine, "estimate.sql")
    return engine


def config(*chans: Channel, rules=RULES, max_messages=20) -> AlertConfig:
    return AlertConfig({name: dict(s) for name, s in rules.items()}, chans, "https://margin.example.com", max_messages)


def hook(receiver, name="hook") -> Channel:
    return Channel(name, "webhook", receiver.url, SECRET)


def state(engine) -> list[tuple]:
    with engine.connect() as conn:
        return sorted(tuple(r) for r in conn.execute(sa.select(
            schema.alert_state.c.rule, schema.alert_state.c.subject, schema.alert_state.c.channel,
            schema.alert_state.c.resolved_at.is_not(None))))


def test_rules_fire_once_then_resolve_once(case, receiver):
    conf = config(hook(receiver))
    first = alert_run.run(case, case, conf, NOW, sleep=lambda s: None)
    assert {(f.rule, f.subject) for f in first.findings} == {("tenant_margin", "acme"), ("overall_margin", "overall")}
    docs = receiver.docs()
    assert [(d["status"], d["alerts"][0]["rule"], d["alerts"][0]["subject"]) for d in docs] == [
        ("firing", "tenant_margin", "acme"), ("firing", "overall_margin", "overall")]
    assert docs[0]["subject"] == "Acme Corp: projected May 2026 margin -17.5 %, below 10 %"
    assert docs[0]["link"] == "https://margin.example.com/accrual?period=2026-05"
    for headers, body in receiver.got:  # every webhook signed, and the signature checks out
        assert channels.verify(SECRET, body, headers["X-Arcadia-Signature"])
        assert not channels.verify("another-secret", body, headers["X-Arcadia-Signature"])
    again = alert_run.run(case, case, conf, NOW, sleep=lambda s: None)  # still holding: nothing new
    assert again.sent == [] and len(receiver.got) == 2
    with case.begin() as conn:  # acme's subscription ends: no revenue, no margin % to be under
        conn.exec_driver_sql("DELETE FROM subscription_items WHERE subscription_id = "
                             "(SELECT id FROM subscriptions WHERE tenant_id = 'acme')")
        conn.exec_driver_sql("DELETE FROM subscriptions WHERE tenant_id = 'acme'")
    resolved = alert_run.run(case, case, conf, NOW, sleep=lambda s: None)
    assert [(s["rule"], s["status"]) for s in resolved.sent] == [("tenant_margin", "resolved")]
    assert receiver.docs()[-1]["subject"].startswith("Resolved: Acme Corp")
    assert state(case) == [("overall_margin", "overall", "hook", False), ("tenant_margin", "acme", "hook", True)]


def test_a_dry_run_sends_and_writes_nothing(case, receiver):
    result = alert_run.run(case, case, config(hook(receiver)), NOW, dry_run=True)
    assert len(result.sent) == 2 and receiver.got == [] and state(case) == []


def test_a_channel_down_leaves_the_others_and_is_tried_again(case, receiver):
    down = Receiver()
    try:
        down.fail = True
        conf = config(Channel("down", "webhook", down.url), hook(receiver))
        result = alert_run.run(case, case, conf, NOW, sleep=lambda s: None)
        assert result.failed and "down (webhook, 127.0.0.1) answered 503" in result.failures[0]
        assert len(receiver.got) == 2 and {c for _, _, c, _ in state(case)} == {"hook"}
        down.fail = False
        retry = alert_run.run(case, case, conf, NOW, sleep=lambda s: None)
        assert not retry.failed and len(down.got) == 2 and len(receiver.got) == 2  # the others not twice
    finally:
        down.stop()


def test_two_runs_at_once_send_each_alert_once(case, receiver):
    conf, errors = config(hook(receiver)), []

    def one():
        try:
            alert_run.run(case, case, conf, NOW, sleep=lambda s: None)
        except Exception as exc:  # noqa: BLE001 — reported below
            errors.append(exc)

    threads = [threading.Thread(target=one) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == [] and len(receiver.got) == 2


def test_more_alerts_than_the_cap_are_summarised(case, receiver):
    rules = {"tenant_margin": {"enabled": True, "below_pct": 100}, "overall_margin": {"enabled": True, "below_pct": 100},
             "digest": {"enabled": True, "day": 2}}
    result = alert_run.run(case, case, config(hook(receiver), rules=rules, max_messages=2), NOW, sleep=lambda s: None)
    docs = receiver.docs()
    assert len(docs) == 2 and docs[-1]["status"] == "summary" and docs[-1]["subject"].endswith("more alerts")
    assert len(result.sent) == len(result.findings) >= 3  # every alert told, in two messages


HOSTILE = "<!channel> *Evil* _co_ [x](https://evil.example) <b>&amp;</b>"


def test_hostile_names_reach_every_channel_literally(case, receiver):
    with case.begin() as conn:
        conn.execute(sa.text("UPDATE tenants SET name = :n WHERE id = 'acme'"), {"n": HOSTILE})
    slack, teams = Receiver(), Receiver()
    try:
        conf = config(hook(receiver), Channel("slack", "slack", slack.url), Channel("teams", "teams", teams.url),
                      rules={"tenant_margin": RULES["tenant_margin"]})
        alert_run.run(case, case, conf, NOW, sleep=lambda s: None)
        assert receiver.docs()[0]["subject"].startswith(HOSTILE)  # JSON: as typed
        text = slack.docs()[0]["text"]
        assert "<!channel>" not in text and "&lt;!channel&gt;" in text and "&lt;b&gt;&amp;amp;&lt;/b&gt;" in text
        title = teams.docs()[0]["title"]
        assert "\\[x\\]\\(https://evil\\.example\\)" in title and "\\*Evil\\*" in title
    finally:
        slack.stop()
        teams.stop()
    mail = channels.email_message(channels.Message(HOSTILE, (HOSTILE,), "firing"), "a@x.test", ["b@x.test"])
    html = mail.get_body(("html",)).get_content()
    assert "<b>&amp;amp;</b>" not in html and "&lt;b&gt;&amp;amp;&lt;/b&gt;" in html


def _certificate(tmp_path):
    """A self-signed certificate for the local SMTP server's STARTTLS."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=1)).sign(key, hashes.SHA256()))
    (tmp_path / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "key.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                                         serialization.PrivateFormat.PKCS8,
                                                         serialization.NoEncryption()))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")
    return context


def test_email_over_starttls_to_a_local_smtp_server(case, tmp_path):
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Message as Handler

    received = []

    class Recorder(Handler):
        def handle_message(self, message):
            received.append(message)

    import socket

    with socket.socket() as probe:  # a free port on loopback for the server
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(Recorder(), hostname="127.0.0.1", port=port, tls_context=_certificate(tmp_path),
                            require_starttls=True)
    controller.start()
    try:
        url = (f"smtp://127.0.0.1:{port}"
               "?from=arcadia@x.test&to=cfo@x.test,ops@x.test&verify=no&starttls=required")
        result = alert_run.run(case, case, config(Channel("mail", "email", url)), NOW, sleep=lambda s: None)
    finally:
        controller.stop()
    assert not result.failed and len(received) == 2
    assert received[0]["Subject"] == "[Arcadia] Acme Corp: projected May 2026 margin -17.5 %, below 10 %"
    assert received[0]["To"] == "cfo@x.test, ops@x.test"


@pytest.mark.parametrize("text, said", [
    ("[rules.nope]\nx = 1", "rules.nope: no such rule"),
    ("[rules.tenant_margin]\nenabled = true", "rules.tenant_margin.below_pct is missing"),
    ("[rules.tenant_margin]\nbelow_pct = 'ten'", "rules.tenant_margin.below_pct: 'ten' is not a number"),
    ("[[channels]]\nkind = 'pager'\nurl = 'https://x'", "channels[0].kind: 'pager'"),
    ("[[channels]]\nkind = 'webhook'\nurl = 'env:ARCADIA_TEST_UNSET_HOOK'", "$ARCADIA_TEST_UNSET_HOOK is not set"),
    ("[[channels]]\nkind = 'email'\nurl = 'https://x'", "channels[0].url: expected a smtp or smtps URL"),
    ("max_messages = 1", "max_messages: 1"),
    ("not toml [", "not TOML"),
])
def test_bad_config_is_exit_2_naming_the_key(tmp_path, capsys, text, said):
    path = tmp_path / "alerts.toml"
    path.write_text(text)
    assert main(["alerts", "run", "--config", str(path)]) == 2
    assert said in capsys.readouterr().err


def test_the_example_config_works_on_the_demo_as_it_is(demo_sqlite_url, receiver, monkeypatch, capsys, tmp_path):
    import shutil

    from arcadia.db import PROJECT_ROOT

    copy = tmp_path / "demo.sqlite"
    shutil.copy(demo_sqlite_url.removeprefix("sqlite:///"), copy)
    monkeypatch.setenv("ARCADIA_ALERTS_WEBHOOK_URL", receiver.url)
    monkeypatch.delenv("ARCADIA_WRITE_DATABASE_URL", raising=False)
    args = ["--database-url", f"sqlite:///{copy}", "alerts", "run", "--config", str(PROJECT_ROOT / "alerts.toml.example")]
    assert main([*args, "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["sent"] and len(receiver.got) == len({(s["rule"], s["subject"]) for s in doc["sent"]}) or \
        receiver.docs()[-1]["status"] == "summary"
    assert main(args) == 0 and "nothing to send" in capsys.readouterr().out  # the second run: nothing new


def test_the_alerts_page_shows_rules_what_holds_and_what_was_sent(case, receiver, monkeypatch):
    from arcadia.db import PROJECT_ROOT
    from dashboard import data
    from tests.test_pages import ADMIN, app_test

    alert_run.run(case, case, config(hook(receiver)), NOW, sleep=lambda s: None)  # something sent
    monkeypatch.setattr(data, "now", lambda: NOW)
    monkeypatch.setenv("ARCADIA_ALERTS_CONFIG", str(PROJECT_ROOT / "alerts.toml.example"))
    monkeypatch.setenv("ARCADIA_ALERTS_WEBHOOK_URL", receiver.url)
    monkeypatch.delenv("ARCADIA_WRITE_DATABASE_URL", raising=False)
    at = app_test(case.url.render_as_string(hide_password=False), monkeypatch, user=ADMIN, page="pages/alerts.py")
    assert not at.exception and at.title[0].value == "Alerts"
    frames = {tuple(f.value.columns): f.value for f in at.dataframe}
    rules = next(v for k, v in frames.items() if "thresholds" in k)
    assert "tenant_margin" in list(rules["rule"]) and "below_pct 10" in list(rules["thresholds"])
    holding = next(v for k, v in frames.items() if "told since" in k)
    assert "acme" in list(holding["subject"])
    sent = next(v for k, v in frames.items() if "resolved" in k and "channel" in k)
    assert set(sent["rule"]) == {"tenant_margin", "overall_margin"} and set(sent["channel"]) == {"hook"}
    assert not [b for b in at.button if b.label == "Send test"]  # no write URL: no test send


LINE = ("INSERT INTO cloud_cost_lines (id, provider, provider_invoice_id, period, resource_id, kind, product, "
        "description, amount_cents, currency) VALUES ('{id}', 'digitalocean', 'x', '{period}', {resource}, 'droplet', "
        "'Droplets', 'case', {cents}, 'USD')")
WEB = "'a0000000-0000-4000-8000-000000000001'"
RULE_CASES = [
    # (rule, its settings, SQL that makes it hold, the finding, SQL that makes it stop holding)
    ("unattributed", {"above_amount": 100, "above_pct": 100},
     [LINE.format(id="e0000000-0000-4000-8000-000000000001", period="2026-04-01", resource="NULL", cents=50000)],
     ("unattributed", "unattributed", "2026-04-01"),
     ["DELETE FROM cloud_cost_lines WHERE id = 'e0000000-0000-4000-8000-000000000001'"]),
    ("cost_spike", {"up_pct": 50, "min_amount": 1},  # acme: COGS in each of Feb-Apr now, May's run-rate 2.5 × them
     [LINE.format(id="e0000000-0000-4000-8000-000000000002", period="2026-02-01", resource=WEB, cents=100)],
     ("cost_spike", "acme", "2026-05-01"),
     ["DELETE FROM cloud_cost_lines WHERE id = 'e0000000-0000-4000-8000-000000000002'"]),
    ("data", {}, [LINE.format(id="e0000000-0000-4000-8000-000000000003", period="2026-01-01", resource="NULL",
                              cents=10**15)],
     ("data_errors", "data", "2026-05-01"),
     ["DELETE FROM cloud_cost_lines WHERE id = 'e0000000-0000-4000-8000-000000000003'"]),
    ("data", {"stale_hours": 36},
     ["INSERT INTO provider_syncs (provider, account, attempted_at, succeeded_at, outcome) VALUES ('digitalocean', "
      "'team-a', '2026-05-09 00:00:00+00:00', '2026-05-09 00:00:00+00:00', 'ok')"],
     ("stale_sync", "team-a", "2026-05-01"),
     ["UPDATE provider_syncs SET succeeded_at = '2026-05-10 23:00:00+00:00'"]),
    ("data", {"rollup_day": 3}, [], ("rollup_missing", "rollup", "2026-04-01"),
     ["INSERT INTO tenant_invoices (id, tenant_id, period, status, currency, subtotal_cents, tax_cents, total_cents) "
      "VALUES ('e1000000-0000-4000-8000-000000000001', 'acme', '2026-04-01', 'issued', 'USD', 0, 0, 0)"]),
]


@pytest.mark.parametrize("rule, settings, make, finding, unmake", RULE_CASES,
                         ids=[c[3][0] for c in RULE_CASES])
def test_each_rule_fires_and_resolves(case, receiver, rule, settings, make, unmake, finding):
    conf = config(hook(receiver), rules={rule: {"enabled": True, **settings}})
    with case.begin() as conn:
        for statement in make:
            conn.exec_driver_sql(statement)
    fired = alert_run.run(case, case, conf, NOW, sleep=lambda s: None)
    assert finding in {f.key for f in fired.findings}, [f.key for f in fired.findings]
    assert {"rule": finding[0], "subject": finding[1], "month": finding[2], "status": "firing",
            "channel": "hook"} in fired.sent
    with case.begin() as conn:
        for statement in unmake:
            conn.exec_driver_sql(statement)
    resolved = alert_run.run(case, case, conf, NOW, sleep=lambda s: None)
    assert finding not in {f.key for f in resolved.findings}
    assert {"rule": finding[0], "subject": finding[1], "month": finding[2], "status": "resolved",
            "channel": "hook"} in resolved.sent


def test_a_cost_spike_names_the_resources_that_grew_most(case):
    from arcadia import alert_rules

    with case.begin() as conn:  # acme: web cost 1.00 in February, 9.99 in March, 30.00 in April; worker new in April
        conn.exec_driver_sql(RULE_CASES[1][2][0])
    findings, _ = alert_rules.evaluate(case, {"cost_spike": {"enabled": True, "up_pct": 50, "min_amount": 1}}, NOW)
    (spike,) = [f for f in findings if f.subject == "acme"]
    assert spike.lines[0].startswith("the resources that grew most")
    # web: last month 30.00 against (1.00 + 9.99 + 30.00) / 3 = 13.66; worker: projected 6.42 against 3.21 / 3
    assert spike.lines[1:] == ("  web (droplet): $30.00, up $16.33", "  worker (droplet): $6.42, up $5.35")
