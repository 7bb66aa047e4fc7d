"""The JSON API: token auth (HS256 and JWKS), fail-closed demo mode, input and database errors, and
the same figures as the CLI."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from starlette.testclient import TestClient

from arcadia import analytics, api, report
from arcadia.auth import AuthConfig, Forbidden, Unauthorized, mint_token, parse_ttl, verify_bearer
from arcadia.db import DEMO_URL, PROJECT_ROOT
from arcadia.errors import MixedCurrencyError
from arcadia.openapi import openapi_document
from arcadia.period import Period
from tests.conftest import DEMO_NOW

SECRET = "test-secret-for-the-arcadia-api-0123456789"
OTHER_SECRET = "another-secret-nobody-configured-0123456789"
ENV = {"ARCADIA_API_JWT_SECRET": SECRET}
ADMIN = "platform_admin"
UNREACHABLE = "postgresql+psycopg://postgres@127.0.0.1:5999/nope"

MARGIN = "/api/v1/dashboard/margin"
BY_KIND = "/api/v1/dashboard/by-kind"
ACCRUAL = "/api/v1/dashboard/accrual"
FIGURES = {
    MARGIN: {"period": "2026-04-01"},
    BY_KIND: {"period": "2026-04-01"},
    ACCRUAL: {"as_of": DEMO_NOW},
}


def claims(**extra) -> dict:
    now = int(time.time())
    return {"sub": "someone", "iat": now, "exp": now + 600, **extra}


def hs256(payload: dict, key: str = SECRET) -> str:
    return "Bearer " + jwt.encode(payload, key, algorithm="HS256")


def admin() -> str:
    return hs256(claims(role=ADMIN))


def assert_refused(response, status: int) -> None:
    """A refusal is a small JSON error: no figures, no traceback."""
    assert response.status_code == status, response.text
    assert set(response.json()) == {"error", "message"}
    text = response.text
    assert "71.12" not in text and "revenue" not in text.lower() and "Traceback" not in text
    assert "\n" not in response.json()["message"]


@pytest.fixture(scope="module")
def client(demo_sqlite_url):
    """The API on the demo data (as of DEMO_NOW) with an HS256 secret configured."""
    return TestClient(api.create_api(demo_sqlite_url, ENV))


# --- who gets in --------------------------------------------------------------

# name: (Authorization header, status, WWW-Authenticate error code or None)
AUTH_CASES = {
    "no token": (lambda: None, 401, None),
    "not bearer": (lambda: "Basic YWRtaW46YWRtaW4=", 401, "invalid_request"),
    "bearer without token": (lambda: "Bearer", 401, "invalid_request"),
    "malformed": (lambda: "Bearer not-a-jwt", 401, "invalid_token"),
    "wrong signature": (lambda: hs256(claims(role=ADMIN), OTHER_SECRET), 401, "invalid_token"),
    "alg none": (lambda: "Bearer " + jwt.encode(claims(role=ADMIN), None, algorithm="none"), 401, "invalid_token"),
    "expired": (lambda: hs256(claims(role=ADMIN, exp=int(time.time()) - 3600)), 401, "invalid_token"),
    "not yet valid": (lambda: hs256(claims(role=ADMIN, nbf=int(time.time()) + 3600)), 401, "invalid_token"),
    "no exp": (lambda: hs256({"sub": "someone", "role": ADMIN}), 401, "invalid_token"),
    "exp 100 years ahead": (lambda: hs256(claims(role=ADMIN, exp=int(time.time()) + 100 * 365 * 86400)), 401,
                            "invalid_token"),
    "exp 1e300": (lambda: hs256(claims(role=ADMIN, exp=1e300)), 401, "invalid_token"),
    "exp 29 days ahead": (lambda: hs256(claims(role=ADMIN, exp=int(time.time()) + 29 * 86400)), 200, None),
    "exp as text": (lambda: hs256(claims(role=ADMIN, exp="tomorrow")), 401, "invalid_token"),
    "exp as a numeric string": (lambda: hs256(claims(role=ADMIN, exp=str(int(time.time()) + 3600))), 401,
                                "invalid_token"),
    "exp true": (lambda: hs256(claims(role=ADMIN, exp=True)), 401, "invalid_token"),
    "no role": (lambda: hs256(claims()), 403, "insufficient_scope"),
    "tenant user, tenant_id platform-admin": (
        lambda: hs256(claims(tenant_id="platform-admin", role="tenant_admin")), 403, "insufficient_scope"),
    "tenant user, uuid tenant_id": (
        lambda: hs256(claims(tenant_id=str(uuid.uuid4()), roles=["tenant_admin"])), 403, "insufficient_scope"),
    "roles as a string": (lambda: hs256(claims(roles="not_platform_admin")), 403, "insufficient_scope"),
    "platform_admin role": (lambda: hs256(claims(role=ADMIN)), 200, None),
    "platform_admin in roles": (lambda: hs256(claims(roles=["viewer", ADMIN])), 200, None),
}


@pytest.mark.parametrize("path", list(FIGURES))
@pytest.mark.parametrize("case", list(AUTH_CASES))
def test_access_by_token(client, path, case):
    header, status, error = AUTH_CASES[case]
    authorization = header()
    response = client.get(path, params=FIGURES[path], headers={"Authorization": authorization} if authorization else {})
    if status == 200:
        assert response.status_code == 200, response.text
        assert "WWW-Authenticate" not in response.headers and api.DEMO_HEADER not in response.headers
        assert response.headers["Cache-Control"] == "no-store"
        return
    assert_refused(response, status)
    challenge = response.headers["WWW-Authenticate"]
    assert challenge.startswith('Bearer realm="arcadia"')
    assert (f'error="{error}"' in challenge) if error else ("error=" not in challenge)


@pytest.mark.parametrize("case", list(AUTH_CASES))
def test_openapi_is_public_and_holds_no_figures(client, case):
    authorization = AUTH_CASES[case][0]()
    response = client.get("/api/v1/openapi.json", headers={"Authorization": authorization} if authorization else {})
    assert response.status_code == 200
    assert response.json()["openapi"] == "3.1.0" and "71.12" not in response.text


def test_auth_comes_before_parameters_and_database():
    unreachable = TestClient(api.create_api(UNREACHABLE, ENV))
    assert_refused(unreachable.get(MARGIN, params={"period": "nonsense"}), 401)
    assert_refused(unreachable.get(MARGIN, params={"period": "nonsense"}, headers={"Authorization": hs256(claims())}), 403)
    assert_refused(unreachable.get(MARGIN, params={"period": "nonsense"}, headers={"Authorization": admin()}), 400)


def test_only_get_is_allowed(client):
    assert client.post(MARGIN, params=FIGURES[MARGIN], headers={"Authorization": admin()}).status_code == 405


# --- issuer and audience --------------------------------------------------------

ISS_AUD_ENV = {**ENV, "ARCADIA_API_JWT_ISSUER": "https://login.arcadia.example", "ARCADIA_API_JWT_AUDIENCE": "arcadia-api"}


@pytest.mark.parametrize("extra, status", [
    ({"iss": "https://login.arcadia.example", "aud": "arcadia-api"}, 200),
    ({"iss": "https://login.arcadia.example", "aud": ["other", "arcadia-api"]}, 200),
    ({"iss": "https://evil.example", "aud": "arcadia-api"}, 401),
    ({"iss": "https://login.arcadia.example", "aud": "other"}, 401),
    ({"aud": "arcadia-api"}, 401),
    ({"iss": "https://login.arcadia.example"}, 401),
])
def test_issuer_and_audience_are_checked_when_configured(demo_sqlite_url, extra, status):
    response = TestClient(api.create_api(demo_sqlite_url, ISS_AUD_ENV)).get(
        MARGIN, params=FIGURES[MARGIN], headers={"Authorization": hs256(claims(role=ADMIN, **extra))})
    if status == 200:
        assert response.status_code == 200
    else:
        assert_refused(response, status)
        assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_verify_bearer_returns_the_claims_and_raises_distinct_errors():
    config = AuthConfig(secret=SECRET)
    assert verify_bearer(admin(), config)["role"] == ADMIN
    with pytest.raises(Unauthorized):
        verify_bearer(hs256(claims(role=ADMIN), OTHER_SECRET), config)
    with pytest.raises(Forbidden):
        verify_bearer(hs256(claims(role="tenant_admin", tenant_id="platform-admin")), config)


# --- JWKS (RS256 / ES256) -------------------------------------------------------

class _Keys:
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ec_key = ec.generate_private_key(ec.SECP256R1())
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _jwk(private_key, kid: str, algorithm) -> dict:
    return {**algorithm.to_jwk(private_key.public_key(), as_dict=True), "kid": kid, "use": "sig"}


@pytest.fixture(scope="module")
def jwks_url():
    """A JWKS document with one RSA and one EC key, served on 127.0.0.1."""
    body = json.dumps({"keys": [
        _jwk(_Keys.rsa_key, "rsa-1", jwt.algorithms.RSAAlgorithm),
        _jwk(_Keys.ec_key, "ec-1", jwt.algorithms.ECAlgorithm),
    ]}).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):  # keep test output quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/.well-known/jwks.json"
    server.shutdown()
    server.server_close()


def _signed(key, algorithm: str, kid: str | None, **extra) -> str:
    headers = {"kid": kid} if kid else {}
    return "Bearer " + jwt.encode(claims(**extra), key, algorithm=algorithm, headers=headers)


def _public_pem() -> bytes:
    return _Keys.rsa_key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


JWKS_CASES = {
    "RS256 platform_admin": (lambda: _signed(_Keys.rsa_key, "RS256", "rsa-1", role=ADMIN), 200),
    "ES256 platform_admin": (lambda: _signed(_Keys.ec_key, "ES256", "ec-1", roles=[ADMIN]), 200),
    "RS256 tenant user": (lambda: _signed(_Keys.rsa_key, "RS256", "rsa-1", role="tenant_admin", tenant_id="platform-admin"), 403),
    "RS256 expired": (lambda: _signed(_Keys.rsa_key, "RS256", "rsa-1", role=ADMIN, exp=int(time.time()) - 3600), 401),
    "signed by a stranger's key": (lambda: _signed(_Keys.stranger, "RS256", "rsa-1", role=ADMIN), 401),
    "unknown kid": (lambda: _signed(_Keys.stranger, "RS256", "rsa-9", role=ADMIN), 401),
    "no kid": (lambda: _signed(_Keys.rsa_key, "RS256", None, role=ADMIN), 401),
    "alg confusion: HS256 keyed with the public key": (
        lambda: "Bearer " + _hs256_with_public_key(claims(role=ADMIN), "rsa-1"), 401),
    "HS256 with a configured-looking secret": (lambda: _signed(SECRET, "HS256", "rsa-1", role=ADMIN), 401),
    "key of another type than the header says": (lambda: _signed(_Keys.rsa_key, "RS256", "ec-1", role=ADMIN), 401),
}


def _hs256_with_public_key(payload: dict, kid: str) -> str:
    # PyJWT refuses to HMAC with a PEM, which is the attack; sign by hand to forge one.
    import base64
    import hashlib
    import hmac

    b64 = lambda raw: base64.urlsafe_b64encode(raw).rstrip(b"=")  # noqa: E731
    signing_input = b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": kid}).encode()) + b"." + b64(json.dumps(payload).encode())
    return (signing_input + b"." + b64(hmac.new(_public_pem(), signing_input, hashlib.sha256).digest())).decode()


@pytest.mark.parametrize("case", list(JWKS_CASES))
def test_jwks_tokens(demo_sqlite_url, jwks_url, case):
    header, status = JWKS_CASES[case]
    client = TestClient(api.create_api(demo_sqlite_url, {"ARCADIA_API_JWKS_URL": jwks_url}))
    response = client.get(MARGIN, params=FIGURES[MARGIN], headers={"Authorization": header()})
    if status == 200:
        assert response.status_code == 200, response.text
        assert response.json()["overall"]["revenue"] == "71.12"
    else:
        assert_refused(response, status)


def test_jwks_unreachable_is_503_not_401(demo_sqlite_url):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = TestClient(api.create_api(demo_sqlite_url, {"ARCADIA_API_JWKS_URL": f"http://127.0.0.1:{port}/jwks.json"}))
    response = client.get(MARGIN, params=FIGURES[MARGIN], headers={"Authorization": _signed(_Keys.rsa_key, "RS256", "rsa-1", role=ADMIN)})
    assert_refused(response, 503)
    assert "JWKS" in response.json()["message"]


# --- parameters ----------------------------------------------------------------

HOSTILE_PERIODS = [
    "", " ", "2026-13-01", "2026-02-30", "2026-04-01' OR 1=1 --", "x" * 10240, "２０２６-04-01", "2026-04-01\x00",
    "😀", "../../etc/passwd", "2026-04-01T00:00:00Z", "0000-01-01", "9999-12-01", "-2026-04-01", "2026/04/01",
]
HOSTILE_INSTANTS = [
    "", " ", "yesterday", "2026-13-01T00:00:00Z", "2026-11-27T25:00:00Z", "' OR 1=1 --", "x" * 10240,
    "2026-11-27T01:00:00 00:00", "２０２６-11-27", "2026-11-27T01:00:00Z\x00", "😀",
    "9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00Z", "9999-12-31T12:00:00Z",
]
HOSTILE = [(MARGIN, "period", v) for v in HOSTILE_PERIODS] + [(BY_KIND, "period", v) for v in HOSTILE_PERIODS] + [
    (ACCRUAL, "as_of", v) for v in HOSTILE_INSTANTS]


@pytest.mark.parametrize("path, name, value", HOSTILE, ids=lambda v: v[:20] if isinstance(v, str) else v)
def test_hostile_parameters_are_400(client, path, name, value):
    response = client.get(path, params={name: value}, headers={"Authorization": admin()})
    assert_refused(response, 400)
    message = response.json()["message"]
    assert len(message) < 200
    if len(value) < 30 and value.isascii() and value.isprintable():
        assert repr(value) in message  # the message names the value


@pytest.mark.parametrize("path", [MARGIN, BY_KIND])
def test_missing_or_repeated_period_is_400(client, path):
    missing = client.get(path, headers={"Authorization": admin()})
    assert_refused(missing, 400)
    assert "'period'" in missing.json()["message"]
    twice = client.get(f"{path}?period=2026-04-01&period=2026-05-01", headers={"Authorization": admin()})
    assert_refused(twice, 400)


def test_accrual_without_as_of_is_now(client):
    response = client.get(ACCRUAL, headers={"Authorization": admin()})
    assert response.status_code == 200
    assert set(response.json()) >= {"as_of", "period", "currency", "totals", "subscriptions"}


# --- the database --------------------------------------------------------------

@pytest.mark.parametrize("path", list(FIGURES))
def test_database_unreachable_is_503_json(path):
    response = TestClient(api.create_api(UNREACHABLE, ENV)).get(path, params=FIGURES[path], headers={"Authorization": admin()})
    assert_refused(response, 503)
    assert "cannot reach the database" in response.json()["message"]


def test_unexpected_error_is_a_generic_500_logged(client, monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(analytics, "margin_summary", broken)
    response = client.get(MARGIN, params=FIGURES[MARGIN], headers={"Authorization": admin()})
    assert_refused(response, 500)
    assert "secret internals" not in response.text
    assert "secret internals" in caplog.text


def test_mixed_currencies_is_a_500_with_its_message(client, monkeypatch):
    def mixed(*args, **kwargs):
        raise MixedCurrencyError("the by-kind breakdown of 2026-04-01", {"USD", "AUD"})

    monkeypatch.setattr(analytics, "by_kind", mixed)
    response = client.get(BY_KIND, params=FIGURES[BY_KIND], headers={"Authorization": admin()})
    assert_refused(response, 500)
    assert "AUD, USD" in response.json()["message"]


# --- fail closed ---------------------------------------------------------------

def test_without_auth_the_embedded_demo_is_served_marked_as_demo():
    response = TestClient(api.create_api(None, {})).get(MARGIN, params=FIGURES[MARGIN])
    assert response.status_code == 200
    assert response.headers[api.DEMO_HEADER]
    doc = response.json()
    assert api.DEMO_WARNING in doc["warnings"]
    assert (doc["overall"]["revenue"], doc["overall"]["cogs"]) == ("71.12", "86.92")


@pytest.mark.parametrize("env, database_url", [
    ({}, "demo_sqlite_url"),
    ({"ARCADIA_API_JWT_SECRET": "   "}, "demo_sqlite_url"),
    ({"ARCADIA_DATABASE_URL": "demo_sqlite_url"}, None),
    ({}, UNREACHABLE),
])
@pytest.mark.parametrize("path", list(FIGURES))
def test_without_auth_any_other_database_is_refused(request, env, database_url, path):
    resolve = lambda v: request.getfixturevalue(v) if v == "demo_sqlite_url" else v  # noqa: E731
    client = TestClient(api.create_api(resolve(database_url), {k: resolve(v) for k, v in env.items()}))
    response = client.get(path, params=FIGURES[path], headers={"Authorization": admin()})
    assert_refused(response, 503)
    assert "ARCADIA_API_JWT_SECRET" in response.json()["message"]
    assert api.DEMO_HEADER not in response.headers


def test_with_auth_configured_even_the_demo_needs_a_token():
    client = TestClient(api.create_api(DEMO_URL, ENV))
    assert_refused(client.get(MARGIN, params=FIGURES[MARGIN]), 401)
    assert client.get(MARGIN, params=FIGURES[MARGIN], headers={"Authorization": admin()}).status_code == 200


@pytest.mark.parametrize("env, says", [
    ({**ENV, "ARCADIA_API_JWKS_URL": "https://login.example/jwks.json"}, "only one"),
    ({"ARCADIA_API_JWT_SECRET": "short"}, "too short"),
    ({"ARCADIA_API_JWKS_URL": "http://login.example/jwks.json"}, "https"),
])
def test_bad_auth_configuration_is_503_even_for_the_demo(env, says):
    response = TestClient(api.create_api(DEMO_URL, env)).get(MARGIN, params=FIGURES[MARGIN], headers={"Authorization": admin()})
    assert_refused(response, 503)
    assert says in response.json()["message"]


# --- the same figures as the CLI ------------------------------------------------

def _cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith("ARCADIA_")}
    return subprocess.run([sys.executable, "-m", "arcadia", *args], capture_output=True, text=True,
                          cwd=PROJECT_ROOT, env={**base, **(env or {})}, timeout=120)


@pytest.mark.parametrize("path, command", [
    (MARGIN, ["margin", "--period", "2026-04-01"]),
    (BY_KIND, ["by-kind", "--period", "2026-04-01"]),
    (ACCRUAL, ["accrual", "--as-of", DEMO_NOW]),
])
def test_api_returns_exactly_the_cli_json(client, demo_sqlite_url, path, command):
    cli = _cli("--database-url", demo_sqlite_url, *command, "--json")
    assert cli.returncode == 0, cli.stderr
    response = client.get(path, params=FIGURES[path], headers={"Authorization": admin()})
    assert response.json() == json.loads(cli.stdout)


def test_april_figures_and_shape(client):
    doc = client.get(MARGIN, params={"period": "2026-04-17"}, headers={"Authorization": admin()}).json()
    assert doc["period"] == "2026-04-01"
    assert doc["overall"] == {"revenue": "71.12", "cogs": "86.92", "attributed_cogs": "30.53",
                              "unattributed_cogs": "56.39", "margin": "-15.80", "margin_pct": -22.2}


def test_api_on_both_backends(small):
    url = small.url.render_as_string(hide_password=False)
    response = TestClient(api.create_api(url, ENV)).get(MARGIN, params={"period": "2026-03-01"}, headers={"Authorization": admin()})
    assert response.status_code == 200, response.text
    doc = response.json()
    assert (doc["overall"]["revenue"], doc["overall"]["cogs"]) == ("26.00", "29.00")
    assert doc == report.margin_json(analytics.margin_summary(small, Period.parse("2026-03-01")))


# --- the OpenAPI document matches what is served --------------------------------

def test_openapi_paths_are_the_routes():
    assert {route.path for route in api.routes(env=ENV)} == set(openapi_document()["paths"])
    assert openapi_document()["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"


def test_responses_match_the_openapi_schemas(client):
    jsonschema = pytest.importorskip("jsonschema")
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    registry = Registry().with_resource("urn:arcadia-api", Resource(openapi_document(), DRAFT202012))

    def check(doc, schema):
        validator = jsonschema.Draft202012Validator({"$ref": f"urn:arcadia-api#/components/schemas/{schema}"}, registry=registry)
        validator.validate(doc)

    for path, schema in [(MARGIN, "Margin"), (BY_KIND, "ByKind"), (ACCRUAL, "Accrual")]:
        check(client.get(path, params=FIGURES[path], headers={"Authorization": admin()}).json(), schema)
    check(client.get(MARGIN, params={"period": "2026-11-01"}, headers={"Authorization": admin()}).json(), "Margin")
    check(client.get(MARGIN).json(), "Error")
    check(TestClient(api.create_api(None, {})).get(MARGIN, params=FIGURES[MARGIN]).json(), "Margin")


# --- the token command ----------------------------------------------------------

def test_token_command_round_trips(client):
    admin_token = _cli("token", "--role", ADMIN, "--ttl", "10m", "--sub", "ops", env=ENV)
    assert admin_token.returncode == 0, admin_token.stderr
    response = client.get(MARGIN, params=FIGURES[MARGIN], headers={"Authorization": f"Bearer {admin_token.stdout.strip()}"})
    assert response.status_code == 200 and response.json()["overall"]["revenue"] == "71.12"

    tenant = _cli("token", "--role", "tenant_admin", "--tenant-id", "platform-admin", env=ENV)
    assert tenant.returncode == 0
    assert_refused(client.get(MARGIN, params=FIGURES[MARGIN], headers={"Authorization": f"Bearer {tenant.stdout.strip()}"}), 403)


@pytest.mark.parametrize("args, env, says", [
    (["--role", ADMIN], {}, "ARCADIA_API_JWT_SECRET is not set"),
    (["--role", ADMIN, "--ttl", "1y"], ENV, "invalid ttl"),
    (["--role", ADMIN, "--ttl", "0"], ENV, "invalid ttl"),
    (["--role", ADMIN, "--ttl", "90d"], ENV, "at most 30 days"),
    (["--role", ADMIN, "--ttl", "10d"], {**ENV, "ARCADIA_API_JWT_MAX_TTL": "7d"}, "at most 7 days"),
    (["--role", ADMIN], {"ARCADIA_API_JWT_SECRET": "short"}, "too short"),
])
def test_token_command_usage_errors_exit_2(args, env, says):
    result = _cli("token", *args, env=env)
    assert result.returncode == 2 and result.stdout == ""
    assert says in result.stderr and len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("text, seconds", [("90", 90), ("90s", 90), ("15m", 900), ("1h", 3600), ("7d", 604800), (" 2h ", 7200)])
def test_parse_ttl(text, seconds):
    assert parse_ttl(text).total_seconds() == seconds


def test_minted_token_carries_issuer_and_audience_when_configured():
    config = AuthConfig.from_env(ISS_AUD_ENV)
    token = mint_token(ADMIN, parse_ttl("5m"), config, tenant_id="platform-admin")
    payload = verify_bearer(f"Bearer {token}", config)
    assert (payload["iss"], payload["aud"], payload["tenant_id"]) == ("https://login.arcadia.example", "arcadia-api", "platform-admin")
    assert payload["exp"] - payload["iat"] == 300


def test_an_as_of_whose_accrual_month_is_before_1970_is_a_400_naming_it(client):
    response = client.get(ACCRUAL, params={"as_of": "1970-01-01T00:00:00Z"}, headers={"Authorization": admin()})
    assert response.status_code == 400 and "1970-01-01" in response.json()["message"]
    assert "December 1969" in response.json()["message"] and "subscriptions" not in response.json()


@pytest.mark.parametrize("max_ttl, days_ahead, status", [
    ("7d", 6, 200), ("7d", 8, 401), ("12h", 1, 401), ("90d", 60, 200), ("soon", 1, 503), ("0d", 1, 503),
    ("400d", 1, 503),
])
def test_the_longest_token_lifetime_is_configurable(demo_sqlite_url, max_ttl, days_ahead, status):
    client = TestClient(api.create_api(demo_sqlite_url, {**ENV, "ARCADIA_API_JWT_MAX_TTL": max_ttl}))
    token = hs256(claims(role=ADMIN, exp=int(time.time()) + days_ahead * 86400 - 60))
    response = client.get("/api/v1/dashboard/by-kind", params={"period": "2026-04"}, headers={"Authorization": token})
    assert response.status_code == status, response.text
    if status == 503:
        assert max_ttl in response.json()["message"] and "ARCADIA_API_JWT_MAX_TTL" in response.json()["message"]
