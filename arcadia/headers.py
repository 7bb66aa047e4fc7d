"""Security headers on every HTTP response, and a fixed limit on the size of a request's headers.

A pure-ASGI middleware (no Starlette request objects, so streamed and file
responses pass through untouched). app.py hands it to st.App as `middleware=`:
that puts it around Streamlit's own routes (page HTML, static files, health)
and the JSON API routes alike. Wrapping the st.App object instead would hide
it from `streamlit run`, which finds the app by reading `app = st.App(...)` in
the script's source and otherwise serves the page without the API.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    # No page of the dashboard may be framed by another site (clickjacking): the old header and the CSP one.
    (b"x-frame-options", b"DENY"),
    (b"content-security-policy", b"frame-ancestors 'none'"),
    (b"x-content-type-options", b"nosniff"),
    # Page URLs carry ?tenant= and ?period=: they are not sent to wherever a link leads.
    (b"referrer-policy", b"no-referrer"),
)
_NAMES = {name for name, _ in SECURITY_HEADERS}

# h11 (uvicorn's HTTP parser here) refuses a request head that is still incomplete past 16 KiB, but
# accepts a larger one that arrives in a single read (up to 256 KiB on loopback). The same limit,
# applied to what got through, makes the answer not depend on how the bytes were split.
MAX_HEADER_BYTES = 16 * 1024


def header_bytes(headers: list[tuple[bytes, bytes]]) -> int:
    """Size of the headers as sent: each 'name: value' line with its CRLF."""
    return sum(len(name) + len(value) + 4 for name, value in headers)


def with_security_headers(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """`headers` with ours added, replacing any of the same name (Streamlit sets nosniff on some files)."""
    return [(name, value) for name, value in headers if name.lower() not in _NAMES] + list(SECURITY_HEADERS)


class SecurityHeaders:
    """ASGI middleware: the security headers on every HTTP response; 431 for headers over MAX_HEADER_BYTES."""

    def __init__(self, app: ASGIApp, max_header_bytes: int = MAX_HEADER_BYTES) -> None:
        self.app = app
        self.max_header_bytes = max_header_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # websocket and lifespan: no HTTP response to decorate
            await self.app(scope, receive, send)
            return

        async def send_secured(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": with_security_headers(list(message.get("headers", [])))}
            await send(message)

        if header_bytes(scope["headers"]) > self.max_header_bytes:
            await _too_large(send_secured)
            return
        await self.app(scope, receive, send_secured)


async def _too_large(send: Send) -> None:
    body = b"Request header fields too large\n"
    headers = [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode()),
               (b"connection", b"close")]
    await send({"type": "http.response.start", "status": 431, "headers": headers})
    await send({"type": "http.response.body", "body": body})
