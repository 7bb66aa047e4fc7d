"""Plotly figure builders (pure: no Streamlit), so tests can read the figures' data directly."""

from __future__ import annotations

import html
from collections import Counter

import plotly.graph_objects as go

from arcadia.analytics import Accrual, KindAmount, MonthPnL, TenantPnL
from arcadia.money import to_decimal

REVENUE, COGS, MARGIN = "#2E7D32", "#C62828", "#1565C0"
_LAYOUT = {"margin": {"l": 10, "r": 10, "t": 40, "b": 10}, "legend": {"orientation": "h", "y": -0.15},
           "hovermode": "x unified"}


def trend(history: tuple[MonthPnL, ...], currency: str = "USD") -> go.Figure:
    """Revenue and COGS bars with the margin line, one point per month (oldest first).

    A month left out of the trend (another currency, mixed currencies) is a gap, with its reason under the chart.
    """
    months = [m.period.start.strftime("%b %Y") for m in history]

    def amounts(cents_of):
        return [None if m.note else to_decimal(cents_of(m)) for m in history]

    fig = go.Figure()
    fig.add_bar(name="Revenue", x=months, y=amounts(lambda m: m.revenue_cents), marker_color=REVENUE)
    fig.add_bar(name="COGS", x=months, y=amounts(lambda m: m.cogs_cents), marker_color=COGS)
    fig.add_scatter(name="Margin", x=months, y=amounts(lambda m: m.margin_cents), mode="lines+markers",
                    line={"color": MARGIN, "width": 3}, connectgaps=False)
    fig.update_layout(title="Revenue vs COGS, last 12 months", barmode="group", yaxis_tickprefix="$",
                      yaxis_title=_label(currency), **_LAYOUT)
    gaps = [f"{label}: {_label(m.note)}" for label, m in zip(months, history) if m.note]
    if gaps:
        fig.add_annotation(text="Left out: " + "; ".join(gaps), showarrow=False, xref="paper", yref="paper",
                           x=0, y=1.02, xanchor="left", yanchor="bottom", font={"size": 11})
        fig.update_layout(margin={**_LAYOUT["margin"], "t": 70})
    return fig


def _label(text: str) -> str:
    """Database text as a literal chart label: Plotly reads <b>, <a href=…> and &entities; in labels."""
    return html.escape(text, quote=False)


def _top(rows: list[tuple[str, str, int, int]], top: int) -> tuple[list[str], list[int], list[int]]:
    """(id, name, a, b) rows already ranked → labels, a and b of the first `top`, the rest summed as 'Others (n)'.

    A name shown twice gets its id, so two tenants never share a bar."""
    head, rest = rows[:top], rows[top:]
    seen = Counter(name for _, name, _, _ in head)
    repeated = {name for name, count in seen.items() if count > 1}
    labels = [_label(f"{name} ({key})" if name in repeated else name) for key, name, _, _ in head]
    first = [a for _, _, a, _ in head]
    second = [b for _, _, _, b in head]
    if rest:
        labels.append(f"Others ({len(rest)})")
        first.append(sum(a for _, _, a, _ in rest))
        second.append(sum(b for _, _, _, b in rest))
    return labels, first, second


def top_tenants(tenants: tuple[TenantPnL, ...], top: int = 10) -> tuple[list[str], list[int], list[int]]:
    """Labels, revenue and COGS cents of the `top` tenants by revenue + COGS, the rest as 'Others'."""
    ranked = sorted(tenants, key=lambda t: (-(abs(t.revenue_cents) + abs(t.cogs_cents)), t.tenant_id))
    return _top([(t.tenant_id, t.tenant_name, t.revenue_cents, t.cogs_cents) for t in ranked], top)


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
    fig.add_bar(x=[_label(k.kind) for k in kinds], y=[to_decimal(k.amount_cents) for k in kinds], marker_color=color)
    fig.update_layout(title=title, yaxis_tickprefix="$", showlegend=False, **_LAYOUT)
    return fig


def accrual_tenants(accrual: Accrual, names: dict[str, str], top: int = 10) -> tuple[list[str], list[int], list[int]]:
    """Labels, accrued and projected subtotal cents of the `top` tenants by accrued subtotal, the rest as 'Others'."""
    per_tenant: dict[str, list[int]] = {}
    for q in accrual.quotes:
        acc = per_tenant.setdefault(q.subscription.tenant_id, [0, 0])
        acc[0] += q.subtotal_cents
        acc[1] += q.projected_subtotal_cents
    ranked = sorted(per_tenant.items(), key=lambda kv: (-kv[1][0], kv[0]))
    return _top([(t, names.get(t, t), accrued, projected) for t, (accrued, projected) in ranked], top)


def accrual_by_tenant(accrual: Accrual, names: dict[str, str], top: int = 10) -> go.Figure:
    """Accrued and projected subtotal per tenant (top N by accrued, the rest as 'Others')."""
    labels, accrued, projected = accrual_tenants(accrual, names, top)
    fig = go.Figure()
    fig.add_bar(name="Accrued", x=labels, y=[to_decimal(c) for c in accrued], marker_color=REVENUE)
    fig.add_bar(name="Projected month-end", x=labels, y=[to_decimal(c) for c in projected], marker_color="#A5D6A7")
    fig.update_layout(title=f"Accrued revenue by tenant, ex-GST (top {top})", barmode="group", yaxis_tickprefix="$",
                      **_LAYOUT)
    return fig
