"""Security headers on every response and the 431 for oversized request headers (arcadia/headers.py),
and app.py wiring them so that `streamlit run app.py` still serves the st.App with the API."""

from __future__ import annotations

from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.responses import FileResponse, JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route
from starlette.testclient import TestClient
from streamlit.web.server.app_discovery import discover_asgi_app

from arcadia.headers import MAX_HEADER_BYTES, SECURITY_HEADERS, SecurityHeaders, header_bytes, with_security_headers

ROOT = Path(__file__).resolve().parent.parent
EXPECTED = {"x-frame-options": "DENY", "content-security-policy": "frame-ancestors 'none'",
            "x-content-type-options": "nosniff", "referrer-policy": "no-referrer"}


def _nosniff_already(_request):
    return PlainTextResponse("x", headers={"X-Content-Type-Options": "nosniff", "X-Frame-Options": "SAMEORIGIN"})


def _stream(_request):
    return StreamingResponse(iter([b"a", b"b"]), media_type="text/plain")


@pytest.fixture
def client():
    app = Starlette(routes=[
        Route("/json", lambda _r: JSONResponse({"ok": True})),
        Route("/file", lambda _r: FileResponse(ROOT / "dashboard" / "icon.png")),
        Route("/stream", _stream),
        Route("/set", _nosniff_already),
        Route("/empty", lambda _r: Response(status_code=204)),
    ], middleware=[Middleware(SecurityHeaders)])
    return TestClient(app)


@pytest.mark.parametrize("path, status", [
    ("/json", 200), ("/file", 200), ("/stream", 200), ("/set", 200), ("/empty", 204), ("/missing", 404),
])
def test_every_response_carries_the_security_headers_once(client, path, status):
    response = client.get(path)
    assert response.status_code == status
    for name, value in EXPECTED.items():
        assert response.headers.get_list(name) == [value], name


def test_the_application_headers_stay(client):
    response = client.get("/json")
    assert response.headers["content-type"] == "application/json" and response.json() == {"ok": True}
    assert client.get("/stream").text == "ab"


@pytest.mark.parametrize("size, status", [
    (1024, 200),
    (8 * 1024, 200),
    (MAX_HEADER_BYTES - 256, 200),  # with the test client's own headers (~100 bytes), still under the limit
    (MAX_HEADER_BYTES, 431),
    (64 * 1024, 431),
    (100 * 1024, 431),
])
def test_headers_over_the_limit_are_431(client, size, status):
    response = client.get("/json", headers={"X-Big": "a" * size})
    assert response.status_code == status
    assert response.headers["x-frame-options"] == "DENY"  # the refusal is a response like any other


@pytest.mark.parametrize("headers, size", [
    ([], 0),
    ([(b"host", b"x")], len("host: x\r\n")),
    ([(b"a", b"1"), (b"bb", b"22")], len("a: 1\r\nbb: 22\r\n")),
])
def test_header_bytes_counts_lines_as_sent(headers, size):
    assert header_bytes(headers) == size


def test_our_headers_replace_any_of_the_same_name_in_any_case():
    merged = with_security_headers([(b"X-Frame-Options", b"SAMEORIGIN"), (b"content-type", b"text/html")])
    assert merged == [(b"content-type", b"text/html"), *SECURITY_HEADERS]


def test_app_py_is_still_an_st_app_that_streamlit_run_finds():
    # `streamlit run` reads app.py's source for `app = st.App(...)`; a wrapper call would hide it and
    # the server would fall back to the plain page, without the API routes or the headers.
    found = discover_asgi_app(ROOT / "app.py")
    assert found.is_asgi_app and found.app_name == "app"
    assert "middleware=[Middleware(SecurityHeaders)]" in (ROOT / "app.py").read_text()

