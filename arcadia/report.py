"""Output shapes: the contract's JSON (CONTRACT §3) and the CSV tables, shared by CLI, API and pages."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from functools import lru_cache

from arcadia.analytics import CLOCK, LATEST_READING, Accrual, ByKind, MarginSummary, PnL
from arcadia.estimate import Estimate
from arcadia.jsondoc import Rows, materialised
from arcadia.labels import age, plural
from arcadia.money import fmt, gst_cents
from arcadia.period import MonthRange, Period, iso
from arcadia.quote import Quote


def _pct(value: Decimal | None) -> float | None:
    # margin_pct is a JSON number with one decimal (not money): float repr of a
    # one-decimal Decimal prints back exactly, e.g. 57.1.
    return None if value is None else float(value)


def _pnl(row: PnL) -> dict:
    return {
        "revenue": fmt(row.revenue_cents), "cogs": fmt(row.cogs_cents),
        "margin": fmt(row.margin_cents), "margin_pct": _pct(row.margin_pct),
    }


def _with_warnings(doc: dict, warnings) -> dict:
    if warnings:
        doc["warnings"] = list(warnings)
    return doc


def _months(period: Period | MonthRange) -> dict:
    """A figure's months as the contract prints them: {"period": …}, or {"from": …, "to": …} for a range."""
    if isinstance(period, MonthRange):
        return {"from": str(period.first), "to": str(period.last)}
    return {"period": str(period)}


def _tenant(figure) -> dict:
    """{"tenant": id} for a figure restricted to one tenant (analytics.for_tenant), else nothing."""
    return {} if figure.tenant is None else {"tenant": figure.tenant}


def margin_document(summary: MarginSummary) -> dict:
    """The /margin document, its tenant and deployment rows made as they are written (jsondoc.Rows).

    With "tenant" when restricted to one: `overall` is then that tenant's own figures."""
    overall = _pnl(summary.overall)
    overall = {
        "revenue": overall["revenue"], "cogs": overall["cogs"],
        "attributed_cogs": fmt(summary.attributed_cogs_cents),
        "unattributed_cogs": fmt(summary.unattributed_cogs_cents),
        "margin": overall["margin"], "margin_pct": overall["margin_pct"],
    }
    return _with_warnings({
        **_months(summary.period), **_tenant(summary), "currency": summary.currency, "overall": overall,
        "tenants": Rows(summary.tenants, _tenant_pnl_json),
        "deployments": Rows(summary.deployments, _deployment_pnl_json),
    }, summary.warnings)


def margin_json(summary: MarginSummary) -> dict:
    """The /margin document."""
    return materialised(margin_document(summary))


def _tenant_pnl_json(t) -> dict:
    return {"tenant_id": t.tenant_id, "tenant_name": t.tenant_name, **_pnl(t)}


def _deployment_pnl_json(d) -> dict:
    return {"deployment_id": d.deployment_id, "deployment_name": d.deployment_name, "tenant_id": d.tenant_id, **_pnl(d)}


def by_kind_json(breakdown: ByKind) -> dict:
    """The /by-kind document."""
    return _with_warnings({
        **_months(breakdown.period), "currency": breakdown.currency,
        "revenue": [{"kind": k.kind, "amount": fmt(k.amount_cents)} for k in breakdown.revenue],
        "cogs": [{"kind": k.kind, "amount": fmt(k.amount_cents)} for k in breakdown.cogs],
    }, breakdown.warnings)


def _instant(accrual: Accrual) -> str:
    """The accrual's as-of instant as the contract prints it: '2026-11-15T12:00:00Z'."""
    return accrual.as_of.isoformat().replace("+00:00", "Z")


def accrual_document(accrual: Accrual, lines: bool = True) -> dict:
    """The /accrual document, its subscriptions (and the estimate's tenants) made as they are written
    (jsondoc.Rows); `lines` False leaves out each subscription's lines (its amounts stay)."""
    return _with_warnings({
        "as_of": _instant(accrual),
        "period": str(accrual.period), **_tenant(accrual), "currency": accrual.currency,
        "totals": {
            "subtotal": fmt(accrual.subtotal_cents), "tax": fmt(accrual.tax_cents),
            "total": fmt(accrual.total_cents), "projected_subtotal": fmt(accrual.projected_subtotal_cents),
        },
        "subscriptions": Rows(accrual.quotes, _subscription_json if lines else _subscription_totals_json),
        **({} if accrual.estimate is None else {"estimate": estimate_document(accrual.estimate)}),
        "metered_through": iso(accrual.metered_through), "as_of_basis": accrual.as_of_basis,
    }, accrual.warnings)


def accrual_json(accrual: Accrual, lines: bool = True) -> dict:
    """The /accrual document; `lines` False leaves out each subscription's lines (its amounts stay)."""
    return materialised(accrual_document(accrual, lines))


def as_of_words(accrual: Accrual, now: datetime) -> str:
    """Where the accrual's instant comes from, and how far the metering is behind the clock."""
    if accrual.as_of_basis == LATEST_READING:
        return (f"As of the latest usage reading ({accrual.metered_through:%Y-%m-%d %H:%M} UTC, "
                f"{age(accrual.metered_through, now)} ago): a consistent snapshot of the metering.")
    if accrual.as_of_basis == CLOCK:
        return "As of the clock: no usage reading this month yet."
    if accrual.metered_through is None:
        return "As of the instant asked for; no usage reading of the month before it."
    return (f"As of the instant asked for; the newest usage reading before it is of "
            f"{accrual.metered_through:%Y-%m-%d %H:%M} UTC.")


def actual_words(estimate: Estimate, now: datetime) -> str:
    """How far the month's own cost lines reach (the preview's age) and what is modelled."""
    through = estimate.actual.through
    return (f"The month's cost lines run to {through:%Y-%m-%d %H:%M} UTC ({age(through, now)} ago, "
            f"{plural(estimate.actual.line_count, 'line')}): actual cost so far; after that, the cost is modelled.")


def estimate_json(estimate: Estimate) -> dict:
    """The accrual's "estimate" object (CONTRACT §3 "Live estimates"): estimated COGS and margin, never invoiced.

    Where the month's own cost lines are in (a daily preview), the overall figures and each tenant carry
    actual_cogs, and the estimate actual_through. Tenants + `unattributed` = `overall`, to the cent."""
    return materialised(estimate_document(estimate))


def estimate_document(estimate: Estimate) -> dict:
    """estimate_json with its tenant rows made as they are written (jsondoc.Rows)."""
    actual = estimate.actual is not None
    return {
        "cogs_method": estimate.cogs_method,
        "resources_without_rate": len(estimate.without_rate),
        **({"actual_through": iso(estimate.actual.through)} if actual else {}),
        "overall": {
            **({"actual_cogs": fmt(estimate.actual_cogs_cents)} if actual else {}),
            "estimated_cogs": fmt(estimate.estimated_cogs_cents),
            "estimated_margin": fmt(estimate.estimated_margin_cents),
            "estimated_margin_pct": _pct(estimate.estimated_margin_pct),
            "projected_cogs": fmt(estimate.projected_cogs_cents),
            "projected_margin": fmt(estimate.projected_margin_cents),
            "projected_margin_pct": _pct(estimate.projected_margin_pct),
        },
        "unattributed": {
            **({"actual_cogs": fmt(estimate.unattributed_actual_cogs_cents)} if actual else {}),
            "estimated_cogs": fmt(estimate.unattributed_estimated_cogs_cents),
            "projected_cogs": fmt(estimate.unattributed_projected_cogs_cents),
        },
        "tenants": Rows(estimate.tenants, _estimate_tenant_json if actual else _modelled_tenant_json),
    }


def _estimate_tenant_json(t) -> dict:
    return {
        "tenant_id": t.tenant_id, "tenant_name": t.tenant_name, "actual_cogs": fmt(t.actual_cogs_cents),
        **_modelled_figures(t),
    }


def _modelled_tenant_json(t) -> dict:
    """A tenant of an estimate without cost lines of its month yet: no actual_cogs."""
    return {"tenant_id": t.tenant_id, "tenant_name": t.tenant_name, **_modelled_figures(t)}


def _modelled_figures(t) -> dict:
    return {
        "accrued_revenue": fmt(t.accrued_revenue_cents), "estimated_cogs": fmt(t.estimated_cogs_cents),
        "estimated_margin": fmt(t.estimated_margin_cents), "estimated_margin_pct": _pct(t.estimated_margin_pct),
        "projected_revenue": fmt(t.projected_revenue_cents), "projected_cogs": fmt(t.projected_cogs_cents),
        "projected_margin": fmt(t.projected_margin_cents), "projected_margin_pct": _pct(t.projected_margin_pct),
    }


def _subscription_totals_json(q) -> dict:
    # Each total once (a quote's properties re-add its lines on every access): 40,000 subscriptions.
    subtotal = q.subtotal_cents
    tax = gst_cents(subtotal)
    sub = q.subscription
    return {
        "subscription_id": sub.id, "tenant_id": sub.tenant_id, "deployment_id": sub.deployment_id,
        "subtotal": fmt(subtotal), "tax": fmt(tax), "total": fmt(subtotal + tax),
        "projected_subtotal": fmt(q.projected_subtotal_cents),
    }


def _subscription_json(q) -> dict:
    row = _subscription_totals_json(q)
    row["lines"] = [
        {"sku": line.sku, "billing_kind": line.billing_kind,
         "quantity": _quantity(line.quantity), "amount": fmt(line.amount_cents)}
        for line in q.lines
    ]
    return row


@lru_cache(maxsize=65536)  # the same quantities recur across thousands of subscriptions (flat items: 1)
def _quantity(value: Decimal) -> str:
    """A quantity without trailing zeros or exponent: '2892', '85.25'."""
    return format(value.normalize(), "f")


def dumps(doc: dict) -> str:
    return json.dumps(doc, indent=2, ensure_ascii=False)


# --- CSV tables: the page downloads and `--csv` print the same bytes --------

def _pct_text(value: Decimal | None) -> str:
    return "" if value is None else str(value)


def margin_table(summary: MarginSummary, table: str) -> list[dict]:
    """Rows of one P&L table: 'overall', 'tenants' or 'deployments'.

    The period column holds the month ('2026-04-01'), or a range's first and last months ('2026-04-01..2026-06-01').
    A figure holding the month in progress leaves margin and margin_pct empty, as the pages show it: its COGS so far
    is partial and its revenue not invoiced yet (the JSON keeps revenue − COGS, with a warning saying so).
    """
    def margin(row) -> dict:
        if summary.in_progress is not None:
            return {"margin": "", "margin_pct": ""}
        return {"margin": fmt(row.margin_cents), "margin_pct": _pct_text(row.margin_pct)}

    if table == "overall":
        o = summary.overall
        return [{
            "period": str(summary.period), "currency": summary.currency,
            "revenue": fmt(o.revenue_cents), "cogs": fmt(o.cogs_cents),
            "attributed_cogs": fmt(summary.attributed_cogs_cents),
            "unattributed_cogs": fmt(summary.unattributed_cogs_cents), **margin(o),
        }]
    if table == "tenants":
        return [{
            "period": str(summary.period), "tenant_id": t.tenant_id, "tenant_name": t.tenant_name,
            "internal": "yes" if t.internal else "no",
            "revenue": fmt(t.revenue_cents), "cogs": fmt(t.cogs_cents), **margin(t),
        } for t in summary.tenants]
    if table == "deployments":
        return [{
            "period": str(summary.period), "deployment_id": d.deployment_id, "deployment_name": d.deployment_name,
            "tenant_id": d.tenant_id or "",
            "revenue": fmt(d.revenue_cents), "cogs": fmt(d.cogs_cents), **margin(d),
        } for d in summary.deployments]
    raise ValueError(f"unknown P&L table {table!r}")


def by_kind_table(breakdown: ByKind, side: str) -> list[dict]:
    """Rows of 'revenue' (by billing kind) or 'cogs' (by provider kind); the period column as in margin_table."""
    kinds = {"revenue": breakdown.revenue, "cogs": breakdown.cogs}[side]
    return [{"period": str(breakdown.period), "side": side, "kind": k.kind, "amount": fmt(k.amount_cents)} for k in kinds]


def accrual_table(accrual: Accrual, table: str) -> list[dict]:
    """Rows of 'subscriptions' or of 'lines' of an accrual."""
    if table == "subscriptions":
        as_of = _instant(accrual)  # once: every row carries the same instant
        return [{
            "as_of": as_of, "subscription_id": q.subscription.id,
            "tenant_id": q.subscription.tenant_id, "deployment_id": q.subscription.deployment_id or "",
            "subtotal": fmt(q.subtotal_cents), "tax": fmt(q.tax_cents), "total": fmt(q.total_cents),
            "projected_subtotal": fmt(q.projected_subtotal_cents),
        } for q in accrual.quotes]
    if table == "lines":
        return [{
            "subscription_id": q.subscription.id, "tenant_id": q.subscription.tenant_id,
            "sku": line.sku, "billing_kind": line.billing_kind, "quantity": _quantity(line.quantity),
            "amount": fmt(line.amount_cents), "projected": fmt(line.projected_cents),
        } for q in accrual.quotes for line in q.lines]
    if table == "estimate_tenants":  # the estimate by tenant, then the unattributed row: they add up
        as_of = _instant(accrual)
        money = ("estimated margin", "accrued revenue", "actual COGS", "estimated COGS", "projected revenue",
                 "projected COGS", "projected margin")
        return [{"as_of": as_of, **{key.replace(" ", "_").replace("%", "pct"): (fmt(value) if key in money else
                                    "" if value is None else value) for key, value in row.items()}}
                for row in (estimate_tenants(accrual.estimate) if accrual.estimate is not None else ())]
    if table == "estimate":  # the resources without a recent full month of cost lines: list price or no rate
        as_of = _instant(accrual)
        return [{
            "as_of": as_of, "resource_id": r.resource_id, "provider_id": r.provider_id, "name": r.name,
            "kind": r.kind, "tenant_id": r.tenant_id or "", "basis": r.basis, "rate": r.rate,
            "estimated": fmt(r.estimated_cents), "projected": fmt(r.projected_cents),
        } for r in (accrual.estimate.resources if accrual.estimate is not None else ())]
    raise ValueError(f"unknown accrual table {table!r}")


def estimate_tenants(estimate: Estimate) -> list[dict]:
    """The Live accrual page's estimated margin per tenant, in the estimate's order (money in cents), with how
    many of the tenant's resources have no rate (its estimated COGS is too low by their cost), then the
    unattributed COGS as a last row: the rows add up to the estimate's overall figures (its margin is −COGS)."""
    unpriced: dict[str | None, int] = {}
    for r in estimate.without_rate:
        unpriced[r.tenant_id] = unpriced.get(r.tenant_id, 0) + 1
    rows = [{"tenant": t.tenant_name, "tenant_id": t.tenant_id, "estimated margin": t.estimated_margin_cents,
             "estimated margin %": t.estimated_margin_pct, "accrued revenue": t.accrued_revenue_cents,
             "actual COGS": t.actual_cogs_cents, "estimated COGS": t.estimated_cogs_cents,
             "projected revenue": t.projected_revenue_cents, "projected COGS": t.projected_cogs_cents,
             "projected margin": t.projected_margin_cents, "projected margin %": t.projected_margin_pct,
             "resources without rate": unpriced.get(t.tenant_id, 0)}
            for t in estimate.tenants]
    rows.append({"tenant": UNATTRIBUTED, "tenant_id": "", "estimated margin": -estimate.unattributed_estimated_cogs_cents,
                 "estimated margin %": None, "accrued revenue": 0, "actual COGS": estimate.unattributed_actual_cogs_cents,
                 "estimated COGS": estimate.unattributed_estimated_cogs_cents, "projected revenue": 0,
                 "projected COGS": estimate.unattributed_projected_cogs_cents,
                 "projected margin": -estimate.unattributed_projected_cogs_cents, "projected margin %": None,
                 "resources without rate": unpriced.get(None, 0)})
    return rows


UNATTRIBUTED = "unattributed (no tenant)"


def estimate_without_rate(estimate: Estimate) -> list[dict]:
    """The resources alive this month that the estimate has no rate for (it counts them at zero)."""
    return [{"resource": r.name, "kind": r.kind, "provider_id": r.provider_id, "tenant_id": r.tenant_id or ""}
            for r in estimate.without_rate]


def cost_lines_table(lines: list[dict], period, table: str) -> list[dict]:
    """Rows of the cost lines behind a tenant's COGS ('tenant_lines') or no tenant's ('unattributed')."""
    if table == "tenant_lines":
        return [{
            "period": str(period), "cost_line_id": l["cost_line_id"], "resource": l["resource_name"] or "",
            "resource_kind": l["resource_kind"] or "", "size_slug": l["size_slug"] or "",
            "deployment": l["deployment_name"] or "", "resource_tenant_id": l["resource_tenant_id"] or "",
            "kind": l["kind"], "description": l["description"], "quantity": _quantity_text(l["quantity"]),
            "unit": l["unit"] or "", "amount": fmt(int(l["amount_cents"])),
        } for l in lines]
    if table == "unattributed":
        return [{
            "period": str(period), "cost_line_id": l["cost_line_id"], "reason": l["reason"], "kind": l["kind"],
            "description": l["description"], "provider_resource_id": l["provider_resource_id"] or "",
            "resource": l["resource_name"] or "", "amount": fmt(int(l["amount_cents"])),
        } for l in lines]
    raise ValueError(f"unknown cost line table {table!r}")


def accrual_subscriptions(accrual: Accrual, names: Mapping[str, str], query: str = "") -> list[dict]:
    """The Live accrual page's subscriptions table, largest subtotal first (then tenant id, subscription id).

    With a `query`, only the subscriptions whose tenant name, tenant id or subscription id contains it
    (case-insensitive; the text is matched literally, not as a pattern). Money is in cents.
    """
    needle = query.strip().casefold()
    rows = []
    for q in accrual.quotes:
        sub = q.subscription
        name = names.get(sub.tenant_id, sub.tenant_id)
        if needle and not any(needle in text.casefold() for text in (name, sub.tenant_id, sub.id)):
            continue
        rows.append({"tenant": name, "tenant_id": sub.tenant_id, "subscription_id": sub.id,
                     "deployment_id": sub.deployment_id or "", "subtotal": q.subtotal_cents, "GST": q.tax_cents,
                     "total": q.total_cents, "projected": q.projected_subtotal_cents})
    rows.sort(key=lambda r: (-r["subtotal"], r["tenant_id"], r["subscription_id"]))
    return rows


def quote_lines(quote: Quote) -> list[dict]:
    """The accrued lines of one subscription, as the Live accrual page lists them (money in cents)."""
    return [{"sku": line.sku, "billing kind": line.billing_kind, "quantity": _quantity(line.quantity),
             "amount": line.amount_cents, "projected": line.projected_cents} for line in quote.lines]


def _quantity_text(value) -> str:
    """A database quantity (text or numeric) as plain decimal text; '' when absent."""
    return "" if value is None else _quantity(Decimal(str(value)))


COLUMNS = {
    "overall": ["period", "currency", "revenue", "cogs", "attributed_cogs", "unattributed_cogs", "margin", "margin_pct"],
    "tenants": ["period", "tenant_id", "tenant_name", "internal", "revenue", "cogs", "margin", "margin_pct"],
    "deployments": ["period", "deployment_id", "deployment_name", "tenant_id", "revenue", "cogs", "margin", "margin_pct"],
    "revenue": ["period", "side", "kind", "amount"],
    "cogs": ["period", "side", "kind", "amount"],
    "subscriptions": ["as_of", "subscription_id", "tenant_id", "deployment_id", "subtotal", "tax", "total", "projected_subtotal"],
    "lines": ["subscription_id", "tenant_id", "sku", "billing_kind", "quantity", "amount", "projected"],
    "estimate_tenants": ["as_of", "tenant", "tenant_id", "estimated_margin", "estimated_margin_pct", "accrued_revenue",
                         "actual_COGS", "estimated_COGS", "projected_revenue", "projected_COGS", "projected_margin",
                         "projected_margin_pct", "resources_without_rate"],
    "estimate": ["as_of", "resource_id", "provider_id", "name", "kind", "tenant_id", "basis", "rate", "estimated",
                 "projected"],
    "tenant_lines": ["period", "cost_line_id", "resource", "resource_kind", "size_slug", "deployment",
                     "resource_tenant_id", "kind", "description", "quantity", "unit", "amount"],
    "unattributed": ["period", "cost_line_id", "reason", "kind", "description", "provider_resource_id", "resource",
                     "amount"],
}


# A cell a spreadsheet would run as a formula (OWASP "CSV injection"): =, +, -, @, tab or CR first.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?[0-9]+(\.[0-9]+)?", re.ASCII)


def spreadsheet_safe(value) -> str:
    """A CSV cell that a spreadsheet shows as text: a formula-like text gets a leading apostrophe.

    Numbers (money '-15.80', margin '-22.2') stay numbers: a sign before digits is not a formula.
    """
    text = "" if value is None else str(value)
    if text.startswith(_FORMULA_START) and not _NUMBER.fullmatch(text):
        return "'" + text
    return text


def to_csv(rows: list[dict], table: str) -> str:
    """CSV text of one table's rows (the header is there even with no rows); every cell spreadsheet-safe."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS[table], lineterminator="\n")
    writer.writeheader()
    writer.writerows({key: spreadsheet_safe(value) for key, value in row.items()} for row in rows)
    return out.getvalue()
