"""The margin alert: tenants whose margin % is below a threshold the operator sets."""

from __future__ import annotations

import os
from decimal import Decimal, InvalidOperation

from arcadia.errors import ArcadiaError

ALERT_ENV = "ARCADIA_MARGIN_ALERT_PCT"
DEFAULT_ALERT_PCT = Decimal(0)


def alert_pct(env=None) -> Decimal:
    """$ARCADIA_MARGIN_ALERT_PCT as a percentage (default 0: a tenant losing money is flagged)."""
    raw = (os.environ if env is None else env).get(ALERT_ENV, "").strip().removesuffix("%").strip()
    if not raw:
        return DEFAULT_ALERT_PCT
    try:
        value = Decimal(raw)
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite() or not -1000 <= value <= 100:
        raise ArcadiaError(f"{ALERT_ENV}={raw!r} is not a percentage from -1000 to 100 (e.g. 15 or 12.5)")
    return value


def below(row, threshold: Decimal) -> bool:
    """Whether a tenant's margin is below the alert: its margin % under the threshold, or, with no
    revenue (margin % undefined), any cost at all (a negative margin)."""
    pct = row.margin_pct
    return row.margin_cents < 0 if pct is None else pct < threshold
