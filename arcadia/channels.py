"""Where alerts go: a signed JSON webhook, Slack and Microsoft Teams incoming webhooks, and e-mail (SMTP).

Each channel is a URL. Standard library only (urllib, smtplib): every request has a timeout, 429 and 5xx answers
are retried (3 tries, Retry-After honoured up to MAX_WAIT_SECONDS), redirects are not followed, and a channel is
only ever named by its kind and host (its URL holds secrets: a Slack or Teams path, a password).

Text is text: every value from the database is escaped for the format it goes into (Slack mrkdwn: &, <, >;
Teams markdown: its specials backslashed; e-mail: plain text and HTML-escaped HTML; JSON: json.dumps).

The JSON webhook is signed when a secret is configured: `X-Arcadia-Signature: t=<unix seconds>,v1=<hex>` with
v1 = HMAC-SHA256(secret, "<t>." + body), so a receiver can check the body and refuse old replays.
"""

from __future__ import annotations

import hashlib
import hmac
import html
import json
import re
import smtplib
import ssl
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import parse_qs, unquote, urlsplit

from arcadia.errors import ArcadiaError

TIMEOUT_SECONDS = 10.0
TRIES = 3
MAX_WAIT_SECONDS = 10.0
KINDS = ("webhook", "slack", "teams", "email")


@dataclass(frozen=True)
class Message:
    """One message: a subject line and the lines under it, the figures (for JSON), and a link."""

    subject: str
    lines: tuple[str, ...]
    status: str  # "firing", "resolved" or "summary"
    facts: tuple[dict, ...] = ()
    link: str | None = None


@dataclass(frozen=True)
class Channel:
    name: str
    kind: str  # one of KINDS
    url: str
    secret: str | None = None  # the webhook's signing secret

    @property
    def shown(self) -> str:
        """The channel for logs and pages: its name, kind and host, never its secrets."""
        return f"{self.name} ({self.kind}, {urlsplit(self.url).hostname or '?'})"


class ChannelError(ArcadiaError):
    """A channel refused or could not be reached (the message names the channel, never its URL's secrets)."""


def send(channel: Channel, message: Message, sleep=time.sleep) -> None:
    """Deliver one message; ChannelError when the channel does not take it."""
    if channel.kind == "email":
        _email(channel, message)
        return
    body, headers = {
        "webhook": _webhook_body, "slack": _slack_body, "teams": _teams_body,
    }[channel.kind](message)
    data = json.dumps(body, ensure_ascii=False).encode()
    headers = {"Content-Type": "application/json", "User-Agent": "arcadia-alerts", **headers}
    if channel.kind == "webhook" and channel.secret:
        headers["X-Arcadia-Signature"] = signature(channel.secret, data)
    _post(channel, data, headers, sleep)


def signature(secret: str, body: bytes, now: float | None = None) -> str:
    """The X-Arcadia-Signature header for a body: t=<unix seconds>,v1=<HMAC-SHA256 of "<t>." + body, hex>."""
    stamp = int(time.time() if now is None else now)
    mac = hmac.new(secret.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={stamp},v1={mac}"


def verify(secret: str, body: bytes, header: str, tolerance: int = 300, now: float | None = None) -> bool:
    """Whether a signature header is ours for this body and at most `tolerance` seconds old (the README's snippet)."""
    parts = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    try:
        stamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    expected = hmac.new(secret.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    fresh = abs((time.time() if now is None else now) - stamp) <= tolerance
    return fresh and hmac.compare_digest(expected, parts.get("v1", ""))


# --- formats -----------------------------------------------------------------------------------------------

def slack_escape(text: str) -> str:
    """Slack mrkdwn: &, < and > are its only specials (links and mentions need them)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


_TEAMS_SPECIALS = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~])")


def teams_escape(text: str) -> str:
    """Teams (MessageCard) markdown: every special backslashed, so a name is shown as typed."""
    return _TEAMS_SPECIALS.sub(r"\\\1", text)


def _webhook_body(message: Message) -> tuple[dict, dict]:
    return {"source": "arcadia", "status": message.status, "subject": message.subject, "lines": list(message.lines),
            "link": message.link, "alerts": list(message.facts)}, {}


def _slack_body(message: Message) -> tuple[dict, dict]:
    text = f"*{slack_escape(message.subject)}*\n" + "\n".join(slack_escape(line) for line in message.lines)
    if message.link:
        text += f"\n<{slack_escape(message.link)}|Open the dashboard>"
    return {"text": text, "mrkdwn": True}, {}


def _teams_body(message: Message) -> tuple[dict, dict]:
    text = "\n\n".join(teams_escape(line) for line in message.lines)
    card = {"@type": "MessageCard", "@context": "https://schema.org/extensions", "summary": message.subject[:100],
            "title": teams_escape(message.subject), "text": text}
    if message.link:
        card["potentialAction"] = [{"@type": "OpenUri", "name": "Open the dashboard",
                                    "targets": [{"os": "default", "uri": message.link}]}]
    return card, {}


def email_message(message: Message, sender: str, recipients: list[str]) -> EmailMessage:
    """The e-mail: plain text, and the same as HTML with every value escaped."""
    mail = EmailMessage()
    mail["Subject"] = f"[Arcadia] {message.subject}"[:250]
    mail["From"], mail["To"] = sender, ", ".join(recipients)
    text = "\n".join(message.lines) + (f"\n\n{message.link}" if message.link else "")
    mail.set_content(text)
    rows = "".join(f"<li>{html.escape(line)}</li>" for line in message.lines)
    link = f'<p><a href="{html.escape(message.link, quote=True)}">Open the dashboard</a></p>' if message.link else ""
    mail.add_alternative(f"<html><body><h3>{html.escape(message.subject)}</h3><ul>{rows}</ul>{link}</body></html>",
                         subtype="html")
    return mail


# --- transport -------------------------------------------------------------------------------------------------

class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def _post(channel: Channel, data: bytes, headers: dict, sleep) -> None:
    request = urllib.request.Request(channel.url, data=data, headers=headers, method="POST")
    for attempt in range(1, TRIES + 1):
        wait = None
        try:
            with _OPENER.open(request, timeout=TIMEOUT_SECONDS) as response:
                response.read(65536)
            return
        except urllib.error.HTTPError as exc:
            if exc.code not in (429, 500, 502, 503, 504) or attempt == TRIES:
                raise ChannelError(f"{channel.shown} answered {exc.code}") from None
            wait = _retry_after(exc.headers.get("Retry-After"), attempt)
        except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as exc:
            if attempt == TRIES:
                raise ChannelError(f"{channel.shown} cannot be reached ({type(exc).__name__})") from None
            wait = _retry_after(None, attempt)
        sleep(wait)


def _retry_after(value: str | None, attempt: int) -> float:
    if value and value.strip().isdigit():
        return min(MAX_WAIT_SECONDS, float(value.strip()))
    return min(MAX_WAIT_SECONDS, 0.5 * 2 ** (attempt - 1))


def _email(channel: Channel, message: Message) -> None:
    """smtp://user:password@host:587?from=…&to=a@x,b@y (STARTTLS when the server offers it; `starttls=required`
    refuses a server that does not) or smtps://…:465 (TLS from the start)."""
    parts = urlsplit(channel.url)
    query = parse_qs(parts.query)
    sender = query.get("from", ["arcadia@localhost"])[0]
    recipients = [r.strip() for value in query.get("to", []) for r in value.split(",") if r.strip()]
    if not recipients:
        raise ChannelError(f"{channel.shown}: no recipient (add ?to=ops@example.com)")
    mail = email_message(message, sender, recipients)
    try:
        if parts.scheme == "smtps":
            client = smtplib.SMTP_SSL(parts.hostname, parts.port or 465, timeout=TIMEOUT_SECONDS,
                                      context=_tls_context(query))
        else:
            client = smtplib.SMTP(parts.hostname, parts.port or 587, timeout=TIMEOUT_SECONDS)
        with client:
            if parts.scheme != "smtps":
                client.ehlo()
                if client.has_extn("starttls"):
                    client.starttls(context=_tls_context(query))
                    client.ehlo()
                elif query.get("starttls", [""])[0] == "required":
                    raise ChannelError(f"{channel.shown}: the server offers no STARTTLS")
            if parts.username:
                client.login(unquote(parts.username), unquote(parts.password or ""))
            client.send_message(mail)
    except (smtplib.SMTPException, OSError, ssl.SSLError) as exc:
        raise ChannelError(f"{channel.shown}: {type(exc).__name__}") from None


def _tls_context(query: dict) -> ssl.SSLContext:
    context = ssl.create_default_context()
    if query.get("verify", ["yes"])[0] == "no":  # a test server's self-signed certificate, said explicitly
        context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    return context
