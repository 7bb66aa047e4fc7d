"""API bearer tokens: configuration from the environment, verification, and minting (HS256).

Either a shared secret (HS256) or a JWKS URL (RS256/ES256) is configured, never
both: the algorithms accepted follow from which one, so a token can never pick
its own (no `none`, no HS256 signed with a public key when JWKS is in use).
Access needs the `platform_admin` role; a tenant's token, whatever its
`tenant_id`, is valid but forbidden.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from urllib.parse import urlparse

import jwt

from arcadia.errors import ArcadiaError, InputError
from arcadia.period import UTC

SECRET_ENV = "ARCADIA_API_JWT_SECRET"
JWKS_URL_ENV = "ARCADIA_API_JWKS_URL"
ISSUER_ENV = "ARCADIA_API_JWT_ISSUER"
AUDIENCE_ENV = "ARCADIA_API_JWT_AUDIENCE"
MAX_TTL_ENV = "ARCADIA_API_JWT_MAX_TTL"

REQUIRED_ROLE = "platform_admin"
REALM = "arcadia"
HMAC_ALGORITHMS = ["HS256"]
JWKS_ALGORITHMS = ["RS256", "ES256"]
# RFC 7518 §3.2: an HS256 key must be at least as long as the hash (32 bytes).
MIN_SECRET_BYTES = 32
# Tolerates small clock differences between the token issuer and this server.
LEEWAY_SECONDS = 30
# Bearer tokens cannot be revoked here, so none may live long: the default limit on any token's
# remaining lifetime (exp - now), minted here or not; $ARCADIA_API_JWT_MAX_TTL sets another (e.g. 7d).
MAX_TTL = timedelta(days=30)


class Unauthorized(ArcadiaError):
    """No usable credentials: HTTP 401 with a WWW-Authenticate challenge."""

    def __init__(self, message: str, error: str | None = "invalid_token"):
        super().__init__(message)
        self.error = error

    @property
    def challenge(self) -> str:
        # Descriptions are fixed strings of this module, so they never need escaping.
        if self.error is None:
            return f'Bearer realm="{REALM}"'
        return f'Bearer realm="{REALM}", error="{self.error}", error_description="{self}"'


class Forbidden(ArcadiaError):
    """A valid token without the required role: HTTP 403."""

    challenge = f'Bearer realm="{REALM}", error="insufficient_scope", scope="{REQUIRED_ROLE}"'


class AuthUnavailable(ArcadiaError):
    """Tokens cannot be checked (bad configuration, JWKS unreachable): HTTP 503."""


@dataclass(frozen=True)
class AuthConfig:
    """How API tokens are checked; empty when API auth is not configured."""

    secret: str | None = None
    jwks_url: str | None = None
    issuer: str | None = None
    audience: str | None = None
    max_ttl_text: str | None = None  # $ARCADIA_API_JWT_MAX_TTL as given (see max_ttl)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> AuthConfig:
        """The configuration in `env` (default: os.environ); blank values count as unset."""
        env = os.environ if env is None else env
        value = lambda name: (env.get(name) or "").strip() or None  # noqa: E731
        return cls(value(SECRET_ENV), value(JWKS_URL_ENV), value(ISSUER_ENV), value(AUDIENCE_ENV), value(MAX_TTL_ENV))

    @property
    def max_ttl(self) -> timedelta:
        """The longest remaining lifetime a token may have (default 30 days)."""
        return MAX_TTL if self.max_ttl_text is None else _duration(self.max_ttl_text, MAX_TTL_ENV, timedelta(days=365))

    @property
    def configured(self) -> bool:
        return bool(self.secret or self.jwks_url)

    def problem(self) -> str | None:
        """Why this configuration cannot check tokens, or None when it can."""
        if not self.configured:
            return f"API authentication is not configured: set {SECRET_ENV} (HS256) or {JWKS_URL_ENV} (RS256/ES256)"
        if self.secret and self.jwks_url:
            return f"set only one of {SECRET_ENV} and {JWKS_URL_ENV}: which algorithms to accept would be ambiguous"
        if self.max_ttl_text is not None:
            try:
                self.max_ttl  # noqa: B018 - parsed only to say what is wrong with it
            except InputError as exc:
                return str(exc)
        if self.secret and len(self.secret.encode()) < MIN_SECRET_BYTES:
            return f"{SECRET_ENV} is too short: HS256 needs at least {MIN_SECRET_BYTES} bytes"
        if self.jwks_url:
            url = urlparse(self.jwks_url)
            # Keys fetched over plain HTTP could be swapped in transit; loopback is for local tests.
            if url.scheme != "https" and not (url.scheme == "http" and url.hostname in ("127.0.0.1", "localhost", "::1")):
                return f"{JWKS_URL_ENV} must be an https:// URL"
        return None


def auth_configured(env: Mapping[str, str] | None = None) -> bool:
    """Whether API auth is configured (a secret or a JWKS URL) in `env` (default: os.environ)."""
    return AuthConfig.from_env(env).configured


@cache
def _jwks_client(url: str) -> jwt.PyJWKClient:
    # One client per URL keeps its key cache across requests.
    return jwt.PyJWKClient(url, cache_keys=True, lifespan=300, timeout=5)


def _bearer_token(authorization: str | None) -> str:
    if not authorization or not authorization.strip():
        raise Unauthorized("no bearer token", error=None)
    parts = authorization.split()
    if len(parts) != 2 or parts[0].lower() != "bearer":
        raise Unauthorized("the Authorization header is not 'Bearer <token>'", error="invalid_request")
    return parts[1]


def _jwks_key(token: str, url: str) -> jwt.PyJWK:
    try:
        kid = jwt.get_unverified_header(token).get("kid")
    except jwt.InvalidTokenError:
        raise Unauthorized("malformed token") from None
    if not isinstance(kid, str) or not kid:
        raise Unauthorized("the token names no signing key (kid)")
    client = _jwks_client(url)
    try:
        client.get_signing_keys()
    except (jwt.PyJWKClientError, jwt.PyJWKSetError):
        raise AuthUnavailable("the JWKS of the token issuer could not be read") from None
    try:
        return client.get_signing_key(kid)
    except jwt.PyJWKClientConnectionError:
        raise AuthUnavailable("the JWKS of the token issuer could not be read") from None
    except (jwt.PyJWKClientError, jwt.PyJWKSetError):
        raise Unauthorized("the token is signed with an unknown key") from None


# Fixed messages per failure: the library's own text may quote token contents.
_REASONS = [
    (jwt.ExpiredSignatureError, "the token has expired"),
    (jwt.ImmatureSignatureError, "the token is not valid yet"),
    (jwt.InvalidIssuerError, "the token has the wrong issuer"),
    (jwt.InvalidAudienceError, "the token has the wrong audience"),
    (jwt.MissingRequiredClaimError, "the token lacks a required claim"),
    (jwt.InvalidSignatureError, "the token signature is invalid"),
    (jwt.InvalidAlgorithmError, "the token algorithm is not accepted"),
    (jwt.DecodeError, "malformed token"),
]


def _has_role(claims: dict) -> bool:
    roles = claims.get("roles")
    # A list only: `"platform_admin" in "not_platform_admin"` would be a substring match.
    return (isinstance(roles, list) and REQUIRED_ROLE in roles) or claims.get("role") == REQUIRED_ROLE


def verify_bearer(authorization: str | None, config: AuthConfig) -> dict:
    """The claims of the bearer token in an Authorization header value, if it grants access.

    Raises Unauthorized (401), Forbidden (403) or AuthUnavailable (503).
    """
    problem = config.problem()
    if problem:
        raise AuthUnavailable(problem)
    token = _bearer_token(authorization)
    if config.jwks_url:
        key, algorithms = _jwks_key(token, config.jwks_url), JWKS_ALGORITHMS
    else:
        key, algorithms = config.secret, HMAC_ALGORITHMS
    options = {"require": ["exp"], "verify_exp": True, "verify_nbf": True,
               "verify_iss": bool(config.issuer), "verify_aud": True}
    try:
        claims = jwt.decode(token, key, algorithms=algorithms, options=options, issuer=config.issuer,
                            audience=config.audience, leeway=LEEWAY_SECONDS)
    except jwt.InvalidTokenError as exc:
        reason = next((text for kind, text in _REASONS if isinstance(exc, kind)), "invalid token")
        raise Unauthorized(reason) from None
    # The lifetime limit holds for every token, not only those this project mints: a leaked token
    # with an expiry a century (or 1e300 seconds) away is refused.
    latest = datetime.now(UTC).timestamp() + config.max_ttl.total_seconds() + LEEWAY_SECONDS
    if type(claims["exp"]) not in (int, float):  # PyJWT also takes "1767225600" (a string) or true
        raise Unauthorized("the token's exp is not a number (RFC 7519 NumericDate)")
    if not claims["exp"] <= latest:
        raise Unauthorized(f"the token expires more than {_say(config.max_ttl)} from now")
    if not _has_role(claims):
        raise Forbidden(f"the token does not carry the {REQUIRED_ROLE} role")
    return claims


_TTL_RE = re.compile(r"(\d{1,7})([smhd]?)", re.ASCII)
_TTL_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_ttl(value: str, limit: timedelta = MAX_TTL) -> timedelta:
    """A lifetime like '90s', '15m', '1h', '7d' (bare digits are seconds) up to `limit`; InputError otherwise."""
    return _duration(value, "ttl", limit)


def _duration(value: str, what: str, limit: timedelta) -> timedelta:
    match = _TTL_RE.fullmatch(value.strip()) if isinstance(value, str) else None
    if not match:
        raise InputError(f"invalid {what} {value!r:.60}: expected e.g. 30m, 1h, 7d")
    ttl = timedelta(seconds=int(match[1]) * _TTL_UNITS[match[2]])
    if not timedelta(0) < ttl <= limit:
        raise InputError(f"invalid {what} {value!r:.60}: must be more than 0 and at most {_say(limit)}")
    return ttl


def _say(span: timedelta) -> str:
    return f"{span.days} days" if span.days and not span.seconds else f"{int(span.total_seconds())} s"


def mint_token(role: str, ttl: timedelta, config: AuthConfig, *, sub: str | None = None,
               tenant_id: str | None = None, now: datetime | None = None) -> str:
    """An HS256 token with `role` for `ttl`, signed with the configured secret (InputError without one)."""
    if not config.secret:
        raise InputError(f"{SECRET_ENV} is not set: tokens are minted only with an HS256 secret")
    problem = config.problem()
    if problem:
        raise InputError(problem)
    if not role or not role.strip():
        raise InputError("a token needs a role, e.g. platform_admin")
    if not timedelta(0) < ttl <= config.max_ttl:
        raise InputError(f"a token lives more than 0 and at most {_say(config.max_ttl)}")
    issued = (now or datetime.now(UTC)).replace(microsecond=0)
    claims = {"sub": sub or "arcadia-cli", "role": role, "roles": [role], "iat": issued, "nbf": issued,
              "exp": issued + ttl}
    if tenant_id:
        claims["tenant_id"] = tenant_id
    if config.issuer:
        claims["iss"] = config.issuer
    if config.audience:
        claims["aud"] = config.audience
    return jwt.encode(claims, config.secret, algorithm="HS256")
