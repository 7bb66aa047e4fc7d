"""Plotly figure builders (pure: no Streamlit), so tests can read the figures' data directly."""

from __future__ import annotations

import plotly.graph_objects as go

from arcadia.analytics import Accrual, KindAmount, MonthPnL, TenantPnL
from arcadia.money import to_decimal

REVENUE, COGS, MARGIN = "#2E7D32", "#C62828", "#1565C0"
_LAYOUT = {"margin": {"l": 10, "r": 10, "t": 40, "b": 10}, "legend": {"orientation": "h", "y": -0.15},
           "hovermode": "x unified"}


def trend(history: tuple[MonthPnL, ...], currency: str = "USD") -> go.Figure:
    """Revenue and COGS bars with the margin line, one point per month (oldest first)."""
    months = [m.period.start.strftime("%b %Y") for m in history]
    fig = go.Figure()
    fig.add_bar(name="Revenue", x=months, y=[to_decimal(m.revenue_cents) for m in history], marker_color=REVENUE)
    fig.add_bar(name="COGS", x=months, y=[to_decimal(m.cogs_cents) for m in history], marker_color=COGS)
    fig.add_scatter(name="Margin", x=months, y=[to_decimal(m.margin_cents) for m in history],
                    mode="lines+markers", line={"color": MARGIN, "width": 3})
    fig.update_layout(title="Revenue vs COGS, last 12 months", barmode="group", yaxis_tickprefix="$",
                      yaxis_title=currency, **_LAYOUT)
    return fig


def top_tenants(tenants: tuple[TenantPnL, ...], top: int = 10) -> tuple[list[str], list[int], list[int]]:
    """Names, revenue and COGS cents of the `top` tenants by revenue + COGS, the rest as 'Others'."""
    ranked = sorted(tenants, key=lambda t: (-(abs(t.revenue_cents) + abs(t.cogs_cents)), t.tenant_id))
    head, rest = ranked[:top], ranked[top:]
    names = [t.tenant_name for t in head]
    revenue = [t.revenue_cents for t in head]
    cogs = [t.cogs_cents for t in head]
    if rest:
        names.append(f"Others ({len(rest)})")
        revenue.append(sum(t.revenue_cents for t in rest))
        cogs.append(sum(t.cogs_cents for t in rest))
    return names, revenue, cogs


def tenants_bar(tenants: tuple[TenantPnL, ...], top: int = 10) -> go.Figure:
    """Grouped bars of revenue vs COGS per tenant (top N, the rest as 'Others')."""
    names, revenue, cogs = top_tenants(tenants, top)
    fig = go.Figure()
    fig.add_bar(name="Revenue", x=names, y=[to_decimal(c) for c in revenue], marker_color=REVENUE)
    fig.add_bar(name="COGS", x=names, y=[to_decimal(c) for c in cogs], marker_color=COGS)
    fig.update_layout(title=f"Revenue vs COGS by tenant (top {top})", barmode="group", yaxis_tickprefix="$", **_LAYOUT)
    return fig


def kinds_bar(kinds: tuple[KindAmount, ...], title: str, color: str) -> go.Figure:
    """One breakdown by kind, on its own axis."""
    fig = go.Figure()
    fig.add_bar(x=[k.kind for k in kinds], y=[to_decimal(k.amount_cents) for k in kinds], marker_color=color)
    fig.update_layout(title=title, yaxis_tickprefix="$", showlegend=False, **_LAYOUT)
    return fig


def accrual_by_tenant(accrual: Accrual, names: dict[str, str]) -> go.Figure:
    """Accrued and projected subtotal per tenant."""
    per_tenant: dict[str, list[int]] = {}
    for q in accrual.quotes:
        acc = per_tenant.setdefault(q.subscription.tenant_id, [0, 0])
        acc[0] += q.subtotal_cents
        acc[1] += q.projected_subtotal_cents
    ordered = sorted(per_tenant.items(), key=lambda kv: (-kv[1][0], kv[0]))
    labels = [names.get(t, t) for t, _ in ordered]
    fig = go.Figure()
    fig.add_bar(name="Accrued", x=labels, y=[to_decimal(v[0]) for _, v in ordered], marker_color=REVENUE)
    fig.add_bar(name="Projected month-end", x=labels, y=[to_decimal(v[1]) for _, v in ordered],
                marker_color="#A5D6A7")
    fig.update_layout(title="Accrued revenue by tenant (ex-GST)", barmode="group", yaxis_tickprefix="$", **_LAYOUT)
    return fig
