"""The hand-written OpenAPI 3.1 document of the JSON API (CONTRACT §3).

Written out rather than generated so it states the contract, not whatever the
code happens to return; tests check real responses against these schemas.
"""

from __future__ import annotations

from copy import deepcopy

from arcadia.period import MAX_RANGE_MONTHS

PREFIX = "/api/v1"
DEMO_HEADER = "X-Arcadia-Demo"


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _object(properties: dict, optional: tuple[str, ...] = ()) -> dict:
    return {
        "type": "object", "additionalProperties": False, "properties": properties,
        "required": [name for name in properties if name not in optional],
    }


_TENANT_FIELD = {"type": "string", "description": "present when the figure is restricted to one tenant (`?tenant=`): "
                                                   "the tenant id asked for"}


def _of_months(properties: dict) -> dict:
    """A figure of a month ("period") or of a range of months ("from" and "to"): exactly one of the two."""
    months = {"period": _ref("Period"),
              "from": {**_ref("Period"), "description": "first month of the range (first day), included"},
              "to": {**_ref("Period"), "description": "last month of the range (first day), included"}}
    return {**_object({**months, **properties}, optional=("period", "from", "to", "tenant", "warnings")),
            "oneOf": [{"required": ["period"]}, {"required": ["from", "to"]}]}


_MONEY = {"type": "string", "pattern": r"^-?\d+\.\d{2}$", "description": "decimal with two places", "examples": ["1234.50", "-15.80"]}
_PNL = {"revenue": _ref("Money"), "cogs": _ref("Money"), "margin": _ref("Money"), "margin_pct": _ref("MarginPct")}

SCHEMAS = {
    "Money": _MONEY,
    "MarginPct": {"type": ["number", "null"], "description": "margin / revenue × 100, one decimal; null when revenue is 0"},
    "Period": {"type": "string", "format": "date", "description": "first day of the month", "examples": ["2026-04-01"]},
    "Currency": {"type": "string", "pattern": "^[A-Z]{3}$", "examples": ["USD"]},
    "Warnings": {"type": "array", "items": {"type": "string"},
                 "description": "why a figure may be incomplete; absent when there is nothing to say"},
    "Overall": _object({"revenue": _ref("Money"), "cogs": _ref("Money"), "attributed_cogs": _ref("Money"),
                        "unattributed_cogs": _ref("Money"), "margin": _ref("Money"), "margin_pct": _ref("MarginPct")}),
    "TenantPnL": _object({"tenant_id": {"type": "string"}, "tenant_name": {"type": "string"}, **_PNL}),
    "DeploymentPnL": _object({"deployment_id": {"type": "string"}, "deployment_name": {"type": "string"},
                              "tenant_id": {"type": ["string", "null"]}, **_PNL}),
    "Margin": _of_months({
        "tenant": _TENANT_FIELD, "currency": _ref("Currency"),
        "overall": {**_ref("Overall"), "description": "totals over everything; with `?tenant=`, that tenant's own "
                    "revenue and COGS (attributed_cogs = its COGS, unattributed_cogs 0.00: no tenant's)"},
        "tenants": {"type": "array", "items": _ref("TenantPnL"), "description": "worst margin first"},
        "deployments": {"type": "array", "items": _ref("DeploymentPnL"), "description": "worst margin first"},
        "warnings": _ref("Warnings"),
    }),
    "KindAmount": _object({"kind": {"type": "string"}, "amount": _ref("Money")}),
    "ByKind": _of_months({
        "currency": _ref("Currency"),
        "revenue": {"type": "array", "items": _ref("KindAmount"), "description": "by billing kind, largest first"},
        "cogs": {"type": "array", "items": _ref("KindAmount"), "description": "by provider kind, largest first"},
        "warnings": _ref("Warnings"),
    }),
    "AccrualLine": _object({"sku": {"type": "string"}, "billing_kind": {"type": "string"},
                            "quantity": {"type": "string", "description": "decimal quantity"}, "amount": _ref("Money")}),
    "AccrualSubscription": _object({
        "subscription_id": {"type": "string"}, "tenant_id": {"type": "string"},
        "deployment_id": {"type": ["string", "null"]}, "subtotal": _ref("Money"), "tax": _ref("Money"),
        "total": _ref("Money"), "projected_subtotal": _ref("Money"),
        "lines": {"type": "array", "items": _ref("AccrualLine"), "description": "absent with `?lines=false`"},
    }, optional=("lines",)),
    "EstimateTenant": _object({
        "tenant_id": {"type": "string"}, "tenant_name": {"type": "string"},
        "accrued_revenue": _ref("Money"), "estimated_cogs": _ref("Money"), "estimated_margin": _ref("Money"),
        "estimated_margin_pct": _ref("MarginPct"), "projected_revenue": _ref("Money"),
        "projected_cogs": _ref("Money"), "projected_margin": _ref("Money"), "projected_margin_pct": _ref("MarginPct"),
        "actual_cogs": {**_ref("Money"), "description": "the month's cost lines in place so far (a daily preview)"},
    }, optional=("actual_cogs",)),
    "Estimate": {**_object({
        "cogs_method": {"type": "string", "description": "how the COGS of the month so far is estimated"},
        "resources_without_rate": {"type": "integer", "minimum": 0,
                                   "description": "resources alive this month with no rate: estimated at zero"},
        "actual_through": {"type": ["string", "null"], "format": "date-time",
                           "description": "the instant the month's cost lines in place run to: modelled after it"},
        "overall": _object({
            "actual_cogs": _ref("Money"),
            "estimated_cogs": _ref("Money"), "estimated_margin": _ref("Money"),
            "estimated_margin_pct": _ref("MarginPct"), "projected_cogs": _ref("Money"),
            "projected_margin": _ref("Money"), "projected_margin_pct": _ref("MarginPct"),
        }, optional=("actual_cogs",)),
        "unattributed": _object({"actual_cogs": _ref("Money"), "estimated_cogs": _ref("Money"),
                                 "projected_cogs": _ref("Money")}, optional=("actual_cogs",)),
        "tenants": {"type": "array", "items": _ref("EstimateTenant"), "description": "worst estimated margin first"},
    }, optional=("actual_through",)), "description": "live COGS estimate and margin of the month so far: estimates, "
                                                     "never invoiced figures. With `?tenant=`: that tenant's row "
                                                     "alone, `overall` its figures, `unattributed` zero, "
                                                     "resources_without_rate its resources only"},
    "Accrual": _object({
        "as_of": {"type": "string", "format": "date-time"}, "period": _ref("Period"), "tenant": _TENANT_FIELD,
        "currency": _ref("Currency"),
        "totals": {**_object({"subtotal": _ref("Money"), "tax": _ref("Money"), "total": _ref("Money"),
                              "projected_subtotal": _ref("Money")}),
                   "description": "sums over the subscriptions listed (with `?tenant=`, that tenant's)"},
        "subscriptions": {"type": "array", "items": _ref("AccrualSubscription")},
        "estimate": _ref("Estimate"),
        "metered_through": {"type": ["string", "null"], "format": "date-time",
                            "description": "the newest usage reading before as_of (null: none this month)"},
        "as_of_basis": {"type": "string", "enum": ["given", "latest reading", "clock"],
                        "description": "as_of as given; else just after the newest reading, or the clock"},
        "warnings": _ref("Warnings"),
    }, optional=("tenant", "estimate", "warnings")),
    "Error": _object({"error": {"type": "string", "examples": ["bad_request"]},
                      "message": {"type": "string", "description": "one line, safe to show"}}),
}


def _error(description: str, challenge: bool = False) -> dict:
    response = {"description": description, "content": {"application/json": {"schema": _ref("Error")}}}
    if challenge:
        response["headers"] = {"WWW-Authenticate": {"schema": {"type": "string"},
                                                    "description": 'e.g. Bearer realm="arcadia", error="invalid_token"'}}
    return response


_ERRORS = {
    "400": _error("a bad or missing parameter; the message names the value"),
    "401": _error("no token, or a malformed, expired or wrongly signed one", challenge=True),
    "403": _error("a valid token without the platform_admin role", challenge=True),
    "500": _error("rows in the database break this figure (error `bad_data`: the message names them and why; "
                  "`python -m arcadia check` lists every problem), or an unexpected error (details only in the "
                  "server log)"),
    "503": {**_error("the database is unreachable, busy, locked or too slow (error `unavailable`, with "
                     "Retry-After), or API authentication is not configured for this database"),
            "headers": {"Retry-After": {"schema": {"type": "string"}, "description": "seconds before retrying"}}},
}

_MONTH_PATTERN = r"^\s*\d{4}-\d{2}(-\d{2})?\s*$"
# `period` XOR (`from` and `to`): OpenAPI cannot say "one of these parameter sets", so each says it in words
# and the server answers 400 otherwise.
_MONTHS = [
    {"name": "period", "in": "query", "required": False,
     "schema": {"type": "string", "pattern": _MONTH_PATTERN, "examples": ["2026-04-01"]},
     "description": "the month: YYYY-MM, or any date of it YYYY-MM-DD. Required unless `from` and `to` are "
                    "given; not with them"},
    {"name": "from", "in": "query", "required": False,
     "schema": {"type": "string", "pattern": _MONTH_PATTERN, "examples": ["2026-04"]},
     "description": "first month of a range, YYYY-MM (or any date of it), included; with `to`, instead of "
                    "`period`. Every amount is the sum over the months (a margin_pct is computed from the sums), "
                    "and the document has `from` and `to` instead of `period`"},
    {"name": "to", "in": "query", "required": False,
     "schema": {"type": "string", "pattern": _MONTH_PATTERN, "examples": ["2026-06"]},
     "description": f"last month of a range, YYYY-MM (or any date of it), included; not before `from`, "
                    f"at most {MAX_RANGE_MONTHS} months in all"},
]
_AS_OF = {"name": "as_of", "in": "query", "required": False,
          "schema": {"type": "string", "format": "date-time", "examples": ["2026-11-27T01:00:00Z"]},
          "description": "ISO-8601 instant (default: now); percent-encode '+' as %2B"}
_TENANT_DOC = ("one tenant's part of the figure, by tenant id (exact text, at most 200 characters). An id with nothing "
               "in the figure (unknown, or nothing of it in the month) is the same document with no rows, zero "
               "amounts and a warning naming it, never a 404: tenant ids need no `tenants` row")
_TENANT_MARGIN = {"name": "tenant", "in": "query", "required": False,
                  "schema": {"type": "string", "minLength": 1, "maxLength": 200, "examples": ["dashboard-pilot"]},
                  "description": _TENANT_DOC + ". The document holds the tenant's row, the deployments whose tenant it "
                                 "is, and `overall` = the tenant's own revenue and COGS (all attributed; "
                                 "unattributed_cogs 0.00), not the month's totals"}
_TENANT_ACCRUAL = {**_TENANT_MARGIN,
                   "description": _TENANT_DOC + ". The document holds the tenant's subscriptions, `totals` their sums, "
                                  "and the estimate's row of the tenant (`estimate.overall` its figures, "
                                  "`estimate.unattributed` zero)"}
_LINES = {"name": "lines", "in": "query", "required": False,
          "schema": {"type": "string", "enum": ["true", "false"], "default": "true"},
          "description": "`false`: each subscription without its `lines` (its subtotal, tax, total and projection "
                         "stay): about half the bytes of a large month"}


def _get(summary: str, schema: str, parameters: list[dict]) -> dict:
    ok = {"description": "the figures", "content": {"application/json": {"schema": _ref(schema)}},
          "headers": {DEMO_HEADER: {"schema": {"type": "string"},
                                    "description": "present when this is demo data served without login"}}}
    return {"get": {"summary": summary, "parameters": parameters, "responses": {"200": ok, **_ERRORS}}}


_DOCUMENT = {
    "openapi": "3.1.0",
    "info": {
        "title": "Arcadia operator margin API", "version": "1",
        "description": (
            "Read-only margin figures (CONTRACT §2). Needs a bearer JWT with the platform_admin role "
            "(`roles` array or `role` claim). Without API authentication configured, only the embedded "
            f"demo database is served, without login, marked by the {DEMO_HEADER} header and a warning."
        ),
    },
    "servers": [{"url": "/"}],
    "security": [{"bearer": []}],
    "paths": {
        f"{PREFIX}/dashboard/margin": _get("P&L of a month or a range of months: overall, per tenant, per deployment",
                                           "Margin", [*_MONTHS, _TENANT_MARGIN]),
        f"{PREFIX}/dashboard/by-kind": _get("Revenue by billing kind and COGS by provider kind, of a month or a range",
                                            "ByKind", _MONTHS),
        f"{PREFIX}/dashboard/accrual": _get("Live accrual of the month so far", "Accrual",
                                            [_AS_OF, _TENANT_ACCRUAL, _LINES]),
        f"{PREFIX}/openapi.json": {"get": {
            "summary": "This document", "security": [],
            "responses": {"200": {"description": "OpenAPI 3.1", "content": {"application/json": {"schema": {"type": "object"}}}}},
        }},
    },
    "components": {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
        "schemas": SCHEMAS,
    },
}


def openapi_document() -> dict:
    """A fresh copy of the document (callers may not alter the shared one)."""
    return deepcopy(_DOCUMENT)
