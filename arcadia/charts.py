"""Plotly figure builders (pure: no Streamlit), so tests can read the figures' data directly.

Money on a figure reads as on the cards (arcadia.money.display): axis ticks '$2,000' and '-$500', hover texts
'Margin: -$170.85'. Plotly would format numbers itself and put its minus after an axis prefix ('$−170'), so tick
and hover texts are made here from the cents; the plotted values are exact Decimals.

Bars sit on category axes by row number ("0", "1", …) and the axis shows the labels as tick texts, so two rows
whose labels read the same (two tenants called "Acme", long names cut to the same 28 characters, kinds with
one friendly name) never share a bar. Database text in labels and hover texts is escaped (Plotly reads <b>,
<a href=…> and &entities; in them), and no trace has a hover or text template: hover texts are shown as made.

Every figure stacks its title, its notes, its legend and its plot from the top, each in its own band, so a
legend never covers a title, a note or a tick label, also on a 390 px wide phone.
"""

from __future__ import annotations

import html
import textwrap
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal

import plotly.graph_objects as go

from arcadia.analytics import Accrual, KindAmount, MonthPnL, TenantPnL
from arcadia.estimate import TenantEstimate
from arcadia.labels import kind_label, plural
from arcadia.money import display, half_up_div, to_decimal
from arcadia.period import Period

# Okabe–Ito hues, told apart with every common colour-vision deficiency, each at least 3:1 against the light and
# the dark theme's background (tests/test_theme.py): money in is bluish green, money out vermillion, margin blue.
REVENUE = GAIN = "#009E73"
COGS = LOSS = "#D55E00"
MARGIN = "#0072B2"
ZERO_LINE = "#808080"  # 3:1 on both backgrounds too

LABEL_CHARS = 28  # a longer name is cut with an ellipsis on the axis; the hover shows it whole
NOTE_CHARS = 55  # a note line fits a phone's width at 11 px
TITLE_PX, NOTE_LINE_PX, LEGEND_PX, BAR_PX = 36, 16, 30, 26
IN_PROGRESS = " (in progress)"

# Round tick steps in cents: 1, 2, 2.5, 5 × 10^k (2.5 only where it stays whole cents).
_STEPS = sorted({m * 10**k for k in range(19) for m in (1, 2, 5)} | {25 * 10**k for k in range(18)})


def money_ticks(cents: Iterable[int | None], currency: str = "USD", most: int = 6) -> tuple[list[Decimal], list[str]]:
    """Round ticks from zero to the amounts (cents; None skipped): values in currency units and texts like the cards.

    At most `most` steps; whole-dollar steps drop the cents ('$2,000', '-$500'), smaller ones keep them ('$0.25').
    """
    amounts = [int(c) for c in cents if c is not None]
    lo, hi = min(amounts + [0]), max(amounts + [0])
    step = next((s for s in _STEPS if -(-hi // s) - lo // s <= most), _STEPS[-1])
    ticks = range(lo // step * step, -(-hi // step) * step + 1, step)
    whole = step % 100 == 0 or lo == hi
    # display() always ends in '.dd': a whole-dollar tick drops it.
    return [to_decimal(c) for c in ticks], [display(c, currency)[:-3] if whole else display(c, currency) for c in ticks]


def trend(history: Sequence[MonthPnL], currency: str = "USD", in_progress: Period | None = None) -> go.Figure:
    """Revenue and COGS bars with the margin line, one point per month (oldest first).

    A month left out of the trend (another currency, mixed currencies) is a gap named in a note. The month in
    progress (`in_progress`, when it is in `history`) is labelled '(in progress)' and never drawn as a final
    month: hatched bars and a hollow margin point on a dashed line, or, with nothing in it yet, an empty slot
    with a note (never a $0 margin).
    """
    now = next((i for i, m in enumerate(history) if in_progress is not None and m.period == in_progress
                and not m.note), None)
    months = [m.period.start.strftime("%b %Y") + (IN_PROGRESS if i == now else "") for i, m in enumerate(history)]
    drawn = [not m.note and (i != now or m.has_data) for i, m in enumerate(history)]
    hatched = [i == now for i in range(len(history))]
    so_far = [" so far" if i == now else "" for i in range(len(history))]

    fig = go.Figure()
    for name, color, cents in (("Revenue", REVENUE, [m.revenue_cents for m in history]),
                               ("COGS", COGS, [m.cogs_cents for m in history])):
        fig.add_bar(name=name, x=months, y=[to_decimal(c) if d else None for c, d in zip(cents, drawn)],
                    hovertext=[f"{name}{s}: {display(c, currency)}" for c, s in zip(cents, so_far)],
                    hoverinfo="x+text", marker=_bar_marker(color, hatched))
    final = [d and not h for d, h in zip(drawn, hatched)]
    fig.add_scatter(name="Margin", x=months,
                    y=[to_decimal(m.margin_cents) if f else None for m, f in zip(history, final)],
                    hovertext=[f"Margin: {display(m.margin_cents, currency)}" for m in history], hoverinfo="x+text",
                    mode="lines+markers", line={"color": MARGIN, "width": 3}, connectgaps=False)
    if now is not None and drawn[now]:
        margin = to_decimal(history[now].margin_cents)
        if now > 0 and final[now - 1]:
            fig.add_scatter(name="Margin so far", x=months[now - 1:now + 1],
                            y=[to_decimal(history[now - 1].margin_cents), margin], mode="lines",
                            line={"color": MARGIN, "width": 2, "dash": "dash"}, hoverinfo="skip", showlegend=False)
        fig.add_scatter(name="Margin so far", x=[months[now]], y=[margin], mode="markers", showlegend=False,
                        hovertext=[f"Margin so far: {display(history[now].margin_cents, currency)}"],
                        hoverinfo="x+text", marker={"color": MARGIN, "symbol": "circle-open", "size": 11,
                                                  "line": {"width": 2.5}})

    notes = []
    gaps = [f"{label}: {m.note}" for label, m in zip(months, history) if m.note]
    if gaps:
        notes.append("Left out: " + "; ".join(gaps))
    if now is not None and not drawn[now]:
        notes.append(f"{months[now].removesuffix(IN_PROGRESS)} is in progress: nothing invoiced or billed yet")
    plotted = [c for m, d in zip(history, drawn) if d for c in (m.revenue_cents, m.cogs_cents, m.margin_cents)]
    fig.update_layout(barmode="group", hovermode="x unified", xaxis={"type": "category", "automargin": True},
                      yaxis=_money_axis(plotted, currency))
    return _frame(fig, "Revenue, COGS and margin", legend=True, notes=notes)


def tenant_margins(tenants: Sequence[TenantPnL], top: int = 20, currency: str = "USD") -> go.Figure:
    """Horizontal bars of each tenant's margin, loss vermillion and gain green, in the order given (worst first).

    With more than `top` tenants: every loss-maker up to `top`, at least the worst `top - top // 2`, and the best
    ones after them; the tenants in between are counted in a note (with how many of them lose money), never
    summed into a bar.
    """
    shown, left = _chosen(tenants, top)
    fig = go.Figure()
    fig.add_bar(orientation="h", y=_positions(shown), x=[to_decimal(t.margin_cents) for t in shown],
                marker={"color": [LOSS if t.margin_cents < 0 else GAIN for t in shown]},
                hovertext=[_tenant_hover(t, currency) for t in shown], hoverinfo="text", name="Margin",
                customdata=[t.tenant_id for t in shown])  # which tenant a click selects (never drawn)
    fig.update_layout(hovermode="closest", bargap=0.25,
                      yaxis={**_category_axis([_tenant_label(t) for t in shown]), "autorange": "reversed"},
                      xaxis=_money_axis([t.margin_cents for t in shown], currency))
    notes = [_left_out(left, currency)] if left else []
    # The notes start where the plot does, right of the names: on a phone they wrap in what is left.
    longest = max((len(_short(_tenant_name(t))) for t in shown), default=0)
    fig = _frame(fig, "Margin by tenant", legend=False, notes=notes,
                 note_chars=max(24, min(NOTE_CHARS, (348 - 7 * longest) // 6)))
    fig.update_layout(height=fig.layout.margin.t + 60 + BAR_PX * max(len(shown), 4))
    return fig


def tenants_bar(tenants: Sequence[TenantPnL], top: int = 10, currency: str = "USD") -> go.Figure:
    """Grouped bars of revenue and COGS per tenant, in the order given (the tenants table's: worst margin first).

    The same tenants as tenant_margins with the same `top`; the others are counted in a note.
    """
    shown, left = _chosen(tenants, top)
    fig = go.Figure()
    hover = [_tenant_hover(t, currency) for t in shown]
    for name, color, cents in (("Revenue", REVENUE, [t.revenue_cents for t in shown]),
                               ("COGS", COGS, [t.cogs_cents for t in shown])):
        fig.add_bar(name=name, x=_positions(shown), y=[to_decimal(c) for c in cents], hovertext=hover,
                    hoverinfo="text", marker={"color": color})
    fig.update_layout(barmode="group", hovermode="closest",
                      xaxis=_category_axis([_tenant_label(t) for t in shown]),
                      yaxis=_money_axis([c for t in shown for c in (t.revenue_cents, t.cogs_cents)], currency))
    notes = [_left_out(left, currency)] if left else []
    return _frame(fig, "Revenue vs COGS by tenant", legend=True, notes=notes)


def kinds_bar(kinds: Sequence[KindAmount], title: str, color: str, currency: str = "USD") -> go.Figure:
    """One breakdown by kind, on its own axis, with friendly kind names (arcadia.labels.kind_label)."""
    labels = [kind_label(k.kind) for k in kinds]
    fig = go.Figure()
    hover = [f"{_label(label)}: {display(k.amount_cents, currency)}"
             + ("" if label == k.kind else f"<br>id: {_label(k.kind)}") for k, label in zip(kinds, labels)]
    fig.add_bar(x=_positions(kinds), y=[to_decimal(k.amount_cents) for k in kinds], marker={"color": color},
                hovertext=hover, hoverinfo="text")
    fig.update_layout(hovermode="closest", xaxis=_category_axis([_label(label) for label in labels]),
                      yaxis=_money_axis([k.amount_cents for k in kinds], currency))
    return _frame(fig, title, legend=False)


def accrual_ranking(accrual: Accrual, names: Mapping[str, str]) -> list[tuple[str, str, int, int]]:
    """(tenant id, name, accrued, projected subtotal cents) of every tenant of the accrual, largest accrued first."""
    per_tenant: dict[str, list[int]] = {}
    for q in accrual.quotes:
        acc = per_tenant.setdefault(q.subscription.tenant_id, [0, 0])
        acc[0] += q.subtotal_cents
        acc[1] += q.projected_subtotal_cents
    ranked = sorted(per_tenant.items(), key=lambda kv: (-kv[1][0], kv[0]))
    return [(t, names.get(t, t), accrued, projected) for t, (accrued, projected) in ranked]


def accrual_by_tenant(accrual: Accrual, names: Mapping[str, str], top: int = 10) -> go.Figure:
    """Accrued (solid) and projected month-end (hatched) subtotal of the `top` tenants by accrued; the rest counted
    in a note."""
    ranked = accrual_ranking(accrual, names)
    shown, left = ranked[:max(top, 1)], ranked[max(top, 1):]
    currency = accrual.currency
    hover = [f"{_label(_who(name, tenant_id))}<br>Accrued: {display(accrued, currency)}<br>Projected month-end: "
             f"{display(projected, currency)}" for tenant_id, name, accrued, projected in shown]
    fig = go.Figure()
    fig.add_bar(name="Accrued", x=_positions(shown), y=[to_decimal(r[2]) for r in shown], hovertext=hover,
                hoverinfo="text", marker={"color": REVENUE})
    fig.add_bar(name="Projected month-end", x=_positions(shown), y=[to_decimal(r[3]) for r in shown],
                hovertext=hover, hoverinfo="text", marker=_bar_marker(REVENUE, [True] * len(shown)))
    fig.update_layout(barmode="group", hovermode="closest",
                      xaxis=_category_axis([_label(_short(name)) for _, name, _, _ in shown]),
                      yaxis=_money_axis([c for r in shown for c in r[2:]], currency))
    notes = []
    if left:
        notes.append(f"Not drawn: {plural(len(left), 'more tenant')}, {display(sum(r[2] for r in left), currency)} "
                     f"accrued ({display(sum(r[3] for r in left), currency)} projected).")
    return _frame(fig, "Accrued by tenant, ex-GST", legend=True, notes=notes)


def estimated_margins(tenants: Sequence[TenantEstimate], top: int = 20, currency: str = "USD") -> go.Figure:
    """tenant_margins of a live estimate: each tenant's accrued revenue − estimated COGS, worst first, titled and
    hovered as an estimate (the same bars, colours and left-out note)."""
    rows = [TenantPnL(t.accrued_revenue_cents, t.estimated_cogs_cents, t.tenant_id, t.tenant_name) for t in tenants]
    fig = tenant_margins(rows, top, currency)
    shown, _ = _chosen(rows, top)
    hover = []
    for t in shown:
        pct = "" if t.margin_pct is None else f" ({t.margin_pct:.1f} %)"
        hover.append(f"{_label(_who(_tenant_name(t), t.tenant_id))}<br>Estimated margin: "
                     f"{display(t.margin_cents, currency)}{pct}<br>Accrued revenue: {display(t.revenue_cents, currency)}"
                     f"<br>Estimated COGS: {display(t.cogs_cents, currency)}")
    fig.update_traces(name="Estimated margin", hovertext=hover)
    fig.update_layout(title_text=_label("Estimated margin by tenant (estimate)"))
    return fig


def sparkline_values(history: Sequence[MonthPnL], in_progress: Period | None = None) -> list[int]:
    """Margin of each month in whole currency units (half-up), oldest first, for a Streamlit chart column.

    Whole units, not Decimals: a chart column reads plain numbers only (a Decimal list reaches the browser as
    unscaled integers and the cell shows an error), and its hover shows the number as given, so cents would
    read as dollars. The exact figures are in the table beside it. Months before the first with data, months
    left out of the trend (a note) and the month in progress are skipped: a chart column draws no gaps, and a
    month half done would read as a fall.
    """
    first = next((i for i, m in enumerate(history) if m.has_data), len(history))
    return [half_up_div(m.margin_cents, 100) for m in history[first:]
            if not m.note and (in_progress is None or m.period != in_progress)]


def _label(text: str) -> str:
    """Database text as a literal chart label: Plotly reads <b>, <a href=…> and &entities; in labels."""
    return html.escape(text, quote=False)


def _short(text: str, most: int = LABEL_CHARS) -> str:
    """`text` cut to `most` characters with an ellipsis (before escaping, so no entity is cut in two)."""
    return text if len(text) <= most else text[:most - 1].rstrip() + "…"


def _positions(rows: Sequence) -> list[str]:
    return [str(i) for i in range(len(rows))]


def _category_axis(labels: list[str]) -> dict:
    """A category axis of row numbers showing `labels` (already escaped) as its ticks, every one of them."""
    return {"type": "category", "tickmode": "array", "tickvals": [str(i) for i in range(len(labels))],
            "ticktext": labels, "automargin": True}


def _money_axis(cents: Iterable[int | None], currency: str) -> dict:
    values, texts = money_ticks(cents, currency)
    return {"tickmode": "array", "tickvals": values, "ticktext": texts, "automargin": True, "zeroline": True,
            "zerolinecolor": ZERO_LINE, "zerolinewidth": 1.5, "title": {"text": _label(currency)}}


def _translucent(color: str, alpha: float = 0.25) -> str:
    red, green, blue = (int(color[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgba({red}, {green}, {blue}, {alpha})"


def _bar_marker(color: str, hatched: Sequence[bool]) -> dict:
    """Solid bars, except the hatched ones (not final: a month in progress, a projection): a pale fill with
    stripes and an outline in `color`, so they keep 3:1 against the background."""
    if not any(hatched):
        return {"color": color}
    return {"color": [_translucent(color) if h else color for h in hatched],
            "line": {"color": color, "width": [1.5 if h else 0 for h in hatched]},
            "pattern": {"shape": ["/" if h else "" for h in hatched], "fgcolor": color, "fillmode": "overlay",
                        "size": 7, "solidity": 0.3}}


def _chosen(tenants: Sequence[TenantPnL], top: int) -> tuple[list[TenantPnL], list[TenantPnL]]:
    """The tenants a chart draws, in the order given (worst first), and the ones it leaves to the table.

    Every loss-maker is drawn while they fit in `top`; the worst `top - top // 2` always are, and the best ones
    fill the rest, so an operator sees both ends and no loss hides in the middle unless `top` loss-makers do
    worse (the note then counts it).
    """
    top = max(top, 1)
    if len(tenants) <= top:
        return list(tenants), []
    losing = sum(1 for t in tenants if t.margin_cents < 0)
    head = min(top, max(top - top // 2, losing))
    tail = len(tenants) - (top - head)
    return list(tenants[:head]) + list(tenants[tail:]), list(tenants[head:tail])


def _left_out(left: Sequence[TenantPnL], currency: str) -> str:
    losing = [t for t in left if t.margin_cents < 0]
    margin = display(sum(t.margin_cents for t in left), currency)
    text = f"Not drawn: {plural(len(left), 'tenant')} in between, margin {margin}"
    if losing:
        text += (f"; {plural(len(losing), 'of them loses', 'of them lose')} money "
                 f"({display(sum(t.margin_cents for t in losing), currency)})")
    return text + ". See the table."


def _tenant_name(tenant: TenantPnL) -> str:
    return tenant.tenant_name or tenant.tenant_id


def _tenant_label(tenant: TenantPnL) -> str:
    return _label(_short(_tenant_name(tenant)))


def _who(name: str, tenant_id: str) -> str:
    """A tenant's whole name with its id: the id tells two tenants of one name apart and finds the table's row."""
    return name if name == tenant_id else f"{name} ({tenant_id})"


def _tenant_hover(tenant: TenantPnL, currency: str) -> str:
    pct = "" if tenant.margin_pct is None else f" ({tenant.margin_pct:.1f} %)"
    internal = " · internal" if tenant.internal else ""
    return (f"{_label(_who(_tenant_name(tenant), tenant.tenant_id))}{internal}<br>Margin: {display(tenant.margin_cents, currency)}{pct}"
            f"<br>Revenue: {display(tenant.revenue_cents, currency)}<br>COGS: {display(tenant.cogs_cents, currency)}")


def _frame(fig: go.Figure, title: str, *, legend: bool, notes: Sequence[str] = (),
           note_chars: int = NOTE_CHARS) -> go.Figure:
    """From the top: title, notes (plain text, wrapped and escaped here), legend, plot; margins sized to fit them."""
    lines = [_label(line) for note in notes for line in textwrap.wrap(note, note_chars, break_on_hyphens=False)]
    legend_px = LEGEND_PX if legend else 0
    top = TITLE_PX + NOTE_LINE_PX * len(lines) + legend_px + 4
    fig.update_layout(
        title={"text": _label(title), "x": 0, "xref": "paper", "xanchor": "left", "y": 1, "yref": "container",
               "yanchor": "top", "pad": {"t": 10}, "font": {"size": 15}},
        margin={"l": 10, "r": 10, "t": top, "b": 10}, showlegend=legend,
        legend={"orientation": "h", "x": 0, "xanchor": "left", "y": 1, "yref": "paper", "yanchor": "bottom",
                "font": {"size": 12}},
    )
    if lines:
        fig.add_annotation(text="<br>".join(lines), showarrow=False, xref="paper", yref="paper", x=0, y=1,
                           xanchor="left", yanchor="bottom", yshift=legend_px, align="left", font={"size": 11})
    return fig
