"""`python -m arcadia alerts run`: evaluate the rules, send what is new to each channel once, and what no longer
holds as resolved, remembering it in the database (alert_state) so that cron can run it as often as it likes.

Config: TOML (alerts.toml.example). Secrets only from the environment: a value "env:NAME" is $NAME. The run
reads the figures through the read engine and writes its state through the write engine, in one transaction
that holds a lock: a second run at the same time (another replica's cron) does nothing and says so. Per channel,
at most `max_messages` messages a run: the rest are summarised in the last one. A channel that fails does not
stop the others; its alerts are tried again on the next run.
"""

from __future__ import annotations

import os
import time
import tomllib
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

import sqlalchemy as sa

from arcadia import alert_rules, channels, db, schema
from arcadia.alert_rules import Finding
from arcadia.channels import Channel, ChannelError, Message
from arcadia.errors import ArcadiaError, DatabaseUnavailable, InputError, shown
from arcadia.period import Period, iso

CONFIG_ENV = "ARCADIA_ALERTS_CONFIG"
PUBLIC_URL_ENV = "ARCADIA_PUBLIC_URL"
DEFAULT_MAX_MESSAGES = 20
# The thresholds each rule needs, and their defaults (None: required).
RULE_SETTINGS = {
    "tenant_margin": {"below_pct": None},
    "overall_margin": {"below_pct": None},
    "cost_spike": {"up_pct": None, "min_amount": "0"},
    "unattributed": {"above_amount": None, "above_pct": None},
    "data": {"stale_hours": "36", "rollup_day": "3"},
    "digest": {"day": "2"},
}


@dataclass(frozen=True)
class AlertConfig:
    rules: dict[str, dict]
    channels: tuple[Channel, ...]
    public_url: str | None = None
    max_messages: int = DEFAULT_MAX_MESSAGES


def load(path: str | None, env=None) -> AlertConfig:
    """The config file (or $ARCADIA_ALERTS_CONFIG), checked: InputError naming the key that is wrong."""
    env = os.environ if env is None else env
    path = path or env.get(CONFIG_ENV)
    if not path:
        raise InputError(f"no alerts config: give --config FILE or ${CONFIG_ENV} (alerts.toml.example shows one)")
    try:
        doc = tomllib.loads(Path(path).read_text())
    except OSError as exc:
        raise InputError(f"{path}: cannot read the file ({exc.strerror or exc})") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: not TOML ({exc})") from None
    rules = {}
    for name, settings in (doc.get("rules") or {}).items():
        if name not in RULE_SETTINGS:
            raise InputError(f"{path}: rules.{name}: no such rule (one of {', '.join(RULE_SETTINGS)})")
        if not isinstance(settings, dict):
            raise InputError(f"{path}: rules.{name}: expected a table of settings")
        checked = {"enabled": settings.get("enabled", True)}
        if not isinstance(checked["enabled"], bool):
            raise InputError(f"{path}: rules.{name}.enabled: expected true or false")
        for key, default in RULE_SETTINGS[name].items():
            value = settings.get(key, default)
            if value is None:
                raise InputError(f"{path}: rules.{name}.{key} is missing")
            try:
                number = Decimal(str(value))
            except InvalidOperation:
                number = None
            if number is None or not number.is_finite() or isinstance(value, bool):
                raise InputError(f"{path}: rules.{name}.{key}: {shown(value)} is not a number")
            checked[key] = number
        rules[name] = checked
    found = []
    for n, raw in enumerate(doc.get("channels") or []):
        where = f"{path}: channels[{n}]"
        if not isinstance(raw, dict):
            raise InputError(f"{where}: expected a table")
        kind = raw.get("kind")
        if kind not in channels.KINDS:
            raise InputError(f"{where}.kind: {shown(kind)}: one of {', '.join(channels.KINDS)}")
        url = _value(raw.get("url"), f"{where}.url", env)
        schemes = ("smtp", "smtps") if kind == "email" else ("http", "https")
        if url is None or url.split(":", 1)[0].lower() not in schemes:
            raise InputError(f"{where}.url: expected a {' or '.join(schemes)} URL")
        secret = _value(raw.get("secret"), f"{where}.secret", env, required=False)
        found.append(Channel(str(raw.get("name") or f"{kind}-{n}"), kind, url, secret))
    maximum = doc.get("max_messages", DEFAULT_MAX_MESSAGES)
    if not isinstance(maximum, int) or isinstance(maximum, bool) or not 2 <= maximum <= 1000:
        raise InputError(f"{path}: max_messages: {shown(maximum)}: a whole number from 2 to 1000")
    public = _value(doc.get("public_url", f"env:{PUBLIC_URL_ENV}"), f"{path}: public_url", env, required=False)
    return AlertConfig(rules, tuple(found), public, maximum)


def _value(raw, where: str, env, required: bool = True) -> str | None:
    """A config value, or $NAME for "env:NAME"; InputError when it is required and missing."""
    if raw is None:
        if required:
            raise InputError(f"{where} is missing")
        return None
    if not isinstance(raw, str):
        raise InputError(f"{where}: expected text")
    if raw.startswith("env:"):
        value = env.get(raw[4:], "").strip()
        if not value:
            if required:
                raise InputError(f"{where}: ${raw[4:]} is not set")
            return None
        return value
    return raw


# --- the run -------------------------------------------------------------------------------------------------

@dataclass
class RunResult:
    now: datetime
    findings: list[Finding]
    sent: list[dict] = field(default_factory=list)  # channel, rule, subject, month, status
    failures: list[str] = field(default_factory=list)  # channels that failed (their alerts are tried again)
    rule_failures: list[str] = field(default_factory=list)
    locked_out: bool = False  # another run held the lock: nothing done
    dry_run: bool = False

    @property
    def failed(self) -> bool:
        return bool(self.failures or self.rule_failures)


def run(read_engine: sa.Engine, write_engine: sa.Engine, config: AlertConfig, now: datetime,
        dry_run: bool = False, sleep=time.sleep) -> RunResult:
    findings, rule_failures = alert_rules.evaluate(read_engine, config.rules, now, config.public_url)
    result = RunResult(now, findings, rule_failures=rule_failures, dry_run=dry_run)
    if dry_run:
        with db.connect(read_engine) as conn:
            state = _state(conn)
        for channel in config.channels:
            for status, items in _plan(channel, findings, state):
                result.sent += [_row(channel, f, status) for f in items]
        return result
    try:
        with db.connect(write_engine) as conn, conn.begin():
            if not _lock(conn):
                result.locked_out = True
                return result
            state = _state(conn)
            for channel in config.channels:
                _deliver(conn, channel, config, findings, state, now, result, sleep)
    except sa.exc.DBAPIError as exc:
        text = str(exc.orig).splitlines()[0] if exc.orig else "the database refused"
        if "locked" in text.lower() or "lock timeout" in text.lower():
            result.locked_out = True
            return result
        raise DatabaseUnavailable(f"the alerts' state could not be written: {text}") from None
    return result


def _lock(conn: sa.Connection) -> bool:
    """One run at a time, across replicas: PostgreSQL's advisory lock (tried, never waited for); SQLite's write lock."""
    if conn.dialect.name == "postgresql":
        return bool(conn.exec_driver_sql("SELECT pg_try_advisory_xact_lock(hashtextextended('arcadia/alerts', 0))")
                    .scalar())
    conn.execute(schema.alert_state.delete().where(sa.false()))  # takes the write lock now
    return True


def _state(conn: sa.Connection) -> dict[tuple, dict]:
    table = schema.alert_state
    return {(r.rule, r.subject, r.month, r.channel): dict(r._mapping) for r in conn.execute(sa.select(table))}


def _plan(channel: Channel, findings: list[Finding], state: dict) -> list[tuple[str, list]]:
    """What this channel is told now: the findings it was not told of (or told were resolved), and the ones it was
    told of that no longer hold (resolved; a digest is never 'resolved')."""
    holding = {f.key for f in findings}
    new = [f for f in findings if (row := state.get((*f.key, channel.name))) is None or row["resolved_at"] is not None]
    gone = [row for key, row in sorted(state.items(), key=lambda kv: kv[0])
            if key[3] == channel.name and row["resolved_at"] is None and key[:3] not in holding]
    return [("firing", new), ("resolved", gone)]


def _deliver(conn, channel: Channel, config: AlertConfig, findings, state, now, result: RunResult, sleep) -> None:
    (_, new), (_, gone) = _plan(channel, findings, state)
    # Each message with what it tells: [(status, finding or state row)].
    messages = [(_firing(f), [("firing", f)]) for f in new]
    messages += [(_resolved(row), [("resolved", row)]) for row in gone if row["rule"] != "digest"]
    if len(messages) > config.max_messages:  # the rest in one summary message
        kept, rest = messages[:config.max_messages - 1], messages[config.max_messages - 1:]
        summary = Message(f"{len(rest)} more alerts", tuple(m.subject for m, _ in rest), "summary",
                          tuple(fact for m, _ in rest for fact in m.facts))
        messages = kept + [(summary, [told for _, tells in rest for told in tells])]
    for message, tells in messages:
        try:
            channels.send(channel, message, sleep)
        except ChannelError as exc:
            result.failures.append(str(exc))
            return  # this channel's other alerts wait for the next run; the state says what it has had
        for status, item in tells:
            _record(conn, channel, item, status, now)
            result.sent.append(_row(channel, item, status))
    for row in gone:
        if row["rule"] == "digest":  # a month's digest closes silently
            _record(conn, channel, row, "resolved", now)


def _row(channel: Channel, item, status: str) -> dict:
    rule, subject, month = item.key if isinstance(item, Finding) else (item["rule"], item["subject"], item["month"])
    return {"channel": channel.name, "rule": rule, "subject": subject, "month": month, "status": status}


def _record(conn, channel: Channel, item, status: str, now: datetime) -> None:
    table = schema.alert_state
    rule, subject, month = item.key if isinstance(item, Finding) else (item["rule"], item["subject"], item["month"])
    key = (table.c.rule == rule, table.c.subject == subject, table.c.month == month, table.c.channel == channel.name)
    if status == "firing":
        conn.execute(table.delete().where(*key))
        conn.execute(table.insert().values(rule=rule, subject=subject, month=month, channel=channel.name,
                                           title=item.title[:500], sent_at=now, resolved_at=None))
    else:
        conn.execute(table.update().where(*key).values(resolved_at=now))


def _firing(f: Finding) -> Message:
    return Message(f.title, f.lines, "firing", ({"rule": f.rule, "subject": f.subject, "month": str(f.month),
                                                 "status": "firing", **f.facts},), f.link)


def _resolved(row: dict) -> Message:
    return Message(f"Resolved: {row['title']}", (), "resolved",
                   ({"rule": row["rule"], "subject": row["subject"], "month": row["month"], "status": "resolved"},))


def to_json(result: RunResult) -> dict:
    return {"now": iso(result.now), "dry_run": result.dry_run, "locked_out": result.locked_out,
            "findings": [{"rule": f.rule, "subject": f.subject, "month": str(f.month), "title": f.title,
                          "lines": list(f.lines), "link": f.link} for f in result.findings],
            "sent": result.sent, "channel_failures": result.failures, "rule_failures": result.rule_failures}


def to_text(result: RunResult) -> str:
    if result.locked_out:
        return "another alerts run holds the lock: nothing done"
    verb = "would send" if result.dry_run else "sent"
    out = [f"alerts as of {iso(result.now)}: {len(result.findings)} holding"]
    out += [f"  {f.rule} · {f.title}" for f in result.findings]
    out += [f"{verb}: {s['channel']} {s['status']} {s['rule']} {s['subject']} ({s['month'][:7]})" for s in result.sent]
    if not result.sent:
        out.append(f"nothing to send")
    out += [f"error: {failure}" for failure in result.failures + result.rule_failures]
    return "\n".join(out)


# --- for the Alerts page (read-only) ------------------------------------------------------------------------------

HISTORY_ROWS = 200


def history(conn: sa.Connection) -> list[dict]:
    """What was told to which channel, newest first (at most HISTORY_ROWS); [] before the first run."""
    table = schema.alert_state
    try:
        rows = conn.execute(sa.select(table).order_by(table.c.sent_at.desc(), table.c.rule, table.c.subject)
                            .limit(HISTORY_ROWS)).mappings().all()
    except sa.exc.DBAPIError:  # no alert_state yet: `alerts run` makes it
        return []
    return [dict(r) for r in rows]


def rules_rows(config: AlertConfig) -> list[dict]:
    """The rules in force and their thresholds."""
    return [{"rule": name, "enabled": settings.get("enabled", True),
             "thresholds": ", ".join(f"{k} {v}" for k, v in settings.items() if k != "enabled")}
            for name, settings in config.rules.items()]


def holding_rows(findings: list[Finding], past: list[dict]) -> list[dict]:
    """What holds now, with when each was first told (its oldest unresolved send), if it was."""
    since: dict[tuple, datetime] = {}
    for row in past:
        key = (row["rule"], row["subject"], row["month"])
        if row["resolved_at"] is None and (key not in since or row["sent_at"] < since[key]):
            since[key] = row["sent_at"]
    return [{"rule": f.rule, "subject": f.subject, "month": f.month.label, "alert": f.title,
             "told since": iso(since.get(f.key)) or "not yet"} for f in findings]


def send_test(config: AlertConfig, sleep=time.sleep) -> list[str]:
    """A test message to every channel; what each said ('ok' or why not)."""
    out = []
    for channel in config.channels:
        try:
            channels.send(channel, Message("Test from Arcadia", ("If you read this, alerts reach this channel.",),
                                           "test"), sleep)
            out.append(f"{channel.shown}: ok")
        except ChannelError as exc:
            out.append(str(exc))
    return out
