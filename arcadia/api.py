"""The JSON API (CONTRACT §3) as plain Starlette routes: auth, then parameters, then the database.

The same route list serves from a standalone Starlette app (`create_api`, for
tests or `uvicorn --factory arcadia.api:create_api`) and inside Streamlit
(`st.App(script, routes=api.routes())`); each path is the full `/api/v1/...`.

Fail closed: with no API auth configured (no JWT secret, no JWKS URL) only the
embedded demo database is served, without login and marked as such; any other
database is refused with 503 and no data.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from starlette.applications import Starlette
from starlette.datastructures import QueryParams
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, StreamingResponse
from starlette.routing import Route

from arcadia import analytics, db, embedded, gcpause, jsondoc, report
from arcadia.auth import JWKS_URL_ENV, SECRET_ENV, AuthConfig, AuthUnavailable, Forbidden, Unauthorized, verify_bearer
from arcadia.errors import AccessDenied, ArcadiaError, DatabaseUnavailable, DataError, InputError, shown
from arcadia.headers import SecurityHeaders
from arcadia.openapi import DEMO_HEADER, PREFIX, openapi_document
from arcadia.period import UTC, MonthRange, Period, parse_instant, parse_months

log = logging.getLogger(__name__)

DEMO_WARNING = (
    f"demo data served without login: API authentication is not configured ({SECRET_ENV} or {JWKS_URL_ENV})"
)
# Figures are per-operator financial data behind a bearer token: no shared caches.
_NO_STORE = {"Cache-Control": "no-store"}
RETRY_AFTER_SECONDS = "5"


def _figure_response(document: dict, headers: Mapping[str, str]) -> StreamingResponse:
    """A figure's document, sent as it is written by orjson a chunk of rows at a time (arcadia/jsondoc.py): a
    large month's accrual is ~30 MB of JSON; as one tree of dicts it held ~3× that in memory, and as one body
    its bytes twice. Compact UTF-8 JSON, without a Content-Length (chunked)."""
    return StreamingResponse(jsondoc.stream(document), media_type="application/json", headers=headers)


def _error(status: int, code: str, message: str, headers: Mapping[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": code, "message": message}, status, headers={**_NO_STORE, **(headers or {})})


def _param(query: QueryParams, name: str, required: bool, expected: str) -> str | None:
    values = query.getlist(name)
    if len(values) > 1:
        raise InputError(f"query parameter {name!r} is given {len(values)} times: give it once")
    if not values and required:
        raise InputError(f"missing query parameter {name!r}: expected {expected}")
    if values and not values[0].isprintable():
        # datetime.fromisoformat stops at a NUL, so "…Z\x00anything" would parse: refuse control characters here.
        raise InputError(f"query parameter {name!r} contains control characters")
    return values[0] if values else None


def _period(query: QueryParams) -> Period | MonthRange:
    """`period`, or `from` and `to` (a range of months, both included): exactly one of the two."""
    return parse_months(*(_param(query, name, False, "YYYY-MM") for name in ("period", "from", "to")))


def _tenant(query: QueryParams) -> str | None:
    """`tenant`: one tenant's part of the figure (analytics.for_tenant), or None for the whole figure."""
    value = _param(query, "tenant", False, "a tenant id")
    return None if value is None else analytics.check_tenant_id(value)


def _flag(query: QueryParams, name: str, default: bool) -> bool:
    """A true/false query parameter (exactly `true` or `false`)."""
    value = _param(query, name, False, "true or false")
    if value is None:
        return default
    if value not in ("true", "false"):
        raise InputError(f"invalid {name} {shown(value)}: expected true or false")
    return value == "true"


# Each figure parses its parameters before asking for the engine, so bad input
# is a 400 even when the database is down.
def _margin(query: QueryParams, engine: Callable[[], sa.Engine]) -> dict:
    period, tenant = _period(query), _tenant(query)
    return report.margin_document(analytics.margin_summary(engine(), period, datetime.now(UTC), tenant))


def _by_kind(query: QueryParams, engine: Callable[[], sa.Engine]) -> dict:
    period = _period(query)
    return report.by_kind_json(analytics.by_kind(engine(), period, datetime.now(UTC)))


def _accrual(query: QueryParams, engine: Callable[[], sa.Engine]) -> dict:
    as_of = _param(query, "as_of", False, "an ISO-8601 instant")
    instant = None if as_of is None else parse_instant(as_of)
    tenant, lines = _tenant(query), _flag(query, "lines", True)
    return report.accrual_document(analytics.live_accrual(engine(), instant, tenant=tenant), lines=lines)


@dataclass(frozen=True)
class _Api:
    database_url: str
    auth: AuthConfig

    def authorize(self, request: Request) -> bool:
        """Raise unless the request may see figures; True when that is the no-login demo."""
        if self.auth.configured:
            verify_bearer(request.headers.get("authorization"), self.auth)
            return False
        if db.is_demo(self.database_url):
            return True
        raise AccessDenied(
            f"API authentication is not configured: set {SECRET_ENV} (HS256) or {JWKS_URL_ENV} (RS256/ES256); "
            "without it only the embedded demo database is served"
        )

    def engine(self) -> sa.Engine:
        return embedded.get_engine(self.database_url)

    def endpoint(self, figure: Callable[[QueryParams, Callable[[], sa.Engine]], dict]):
        def serve(request: Request) -> JSONResponse:
            try:
                demo = self.authorize(request)
                with gcpause.paused():  # a large month's document is tens of thousands of small objects
                    doc = figure(request.query_params, self.engine)
            except Unauthorized as exc:
                return _error(401, "unauthorized", str(exc), {"WWW-Authenticate": exc.challenge})
            except Forbidden as exc:
                return _error(403, "forbidden", str(exc), {"WWW-Authenticate": exc.challenge})
            except DatabaseUnavailable as exc:  # down, busy, locked or stalled: worth retrying shortly
                return _error(503, "unavailable", str(exc), {"Retry-After": RETRY_AFTER_SECONDS})
            except (AuthUnavailable, AccessDenied) as exc:
                return _error(503, "unavailable", str(exc))
            except InputError as exc:
                return _error(400, "bad_request", str(exc))
            except DataError as exc:  # rows that break this figure (named in the message); other figures answer
                log.warning("%s %s: %s", request.method, request.url.path, exc)
                return _error(500, "bad_data", str(exc))
            except ArcadiaError as exc:  # the message is meant for users
                log.warning("%s %s: %s", request.method, request.url.path, exc)
                return _error(500, "error", str(exc))
            except Exception:
                log.exception("%s %s failed", request.method, request.url.path)
                return _error(500, "internal", "internal error; the details are in the server log")
            headers = dict(_NO_STORE)
            if demo:
                doc["warnings"] = [*doc.get("warnings", []), DEMO_WARNING]
                headers[DEMO_HEADER] = "demo data, no login"
            return _figure_response(doc, headers)

        serve.__name__ = figure.__name__.lstrip("_")
        return serve


def _openapi(request: Request) -> JSONResponse:
    # Public on purpose: it describes the API and holds no figures.
    return JSONResponse(openapi_document())


def routes(database_url: str | None = None, env: Mapping[str, str] | None = None) -> list[Route]:
    """The API routes (full /api/v1 paths); database and auth config from the args, else the environment.

    `env` (default os.environ) supplies ARCADIA_API_JWT_* and ARCADIA_DATABASE_URL;
    both are read once, here.
    """
    env = os.environ if env is None else env
    api = _Api(db.database_url(database_url or env.get(db.URL_ENV) or db.DEMO_URL), AuthConfig.from_env(env))
    return [
        Route(f"{PREFIX}/dashboard/margin", api.endpoint(_margin), methods=["GET"]),
        Route(f"{PREFIX}/dashboard/by-kind", api.endpoint(_by_kind), methods=["GET"]),
        Route(f"{PREFIX}/dashboard/accrual", api.endpoint(_accrual), methods=["GET"]),
        Route(f"{PREFIX}/openapi.json", _openapi, methods=["GET"]),
    ]


def create_api(database_url: str | None = None, env: Mapping[str, str] | None = None) -> Starlette:
    """A standalone Starlette app serving only the API routes (with the dashboard's security headers)."""
    return Starlette(routes=routes(database_url, env), middleware=[Middleware(SecurityHeaders)])
