"""Words for people: friendly names of billing and provider kinds, and counted nouns ("1 tenant", "2 tenants").

The ids stay what the contract says everywhere data leaves the dashboard (CSV, API, CLI); these are for
charts and captions only. Results are plain text: a chart escapes them like any other label.
"""

from __future__ import annotations

# Billing kinds (catalog_items.billing_kind, tenant_invoice_lines.billing_kind) and the normalised provider
# kinds of cloud_cost_lines.kind (CONTRACT §1). The two sets never share an id.
KINDS = {
    "compute": "Compute",
    "storage": "Storage",
    "network": "Network",
    "platform": "Platform",
    "support": "Support",
    "droplet": "Droplets",
    "volume": "Volumes",
    "snapshot": "Snapshots",
    "backup": "Backups",
    "load_balancer": "Load balancers",
    "database": "Managed databases",
    "spaces": "Spaces object storage",
    "kubernetes": "Kubernetes",
    "bandwidth": "Bandwidth",
    "other": "Other",
}
NO_KIND = "(no kind)"

# Plurals English does not make by its rules below.
IRREGULAR = {"person": "people", "child": "children", "datum": "data", "criterion": "criteria"}


def kind_label(kind: str) -> str:
    """'load_balancer' → 'Load balancers'; an unknown id → itself, underscores as spaces (trimmed), first letter up."""
    if kind in KINDS:
        return KINDS[kind]
    text = kind.replace("_", " ").strip()
    if not text:
        return NO_KIND
    # Only the first character changes: the rest is shown as the database has it (str.capitalize would lower it).
    return text[:1].upper() + text[1:]


def plural(n: int, word: str, plural_form: str | None = None) -> str:
    """'1 tenant', '2 tenants', '1,234 tenants'; `plural_form` for a word the rules get wrong."""
    return f"{n:,} {word if n == 1 else plural_form or plural_of(word)}"


def plural_of(word: str) -> str:
    """English plural of a noun (of its last word): tenant → tenants, entry → entries, box → boxes."""
    head, _, last = word.rpartition(" ")
    lower = last.lower()
    if lower in IRREGULAR:
        form = IRREGULAR[lower]
        form = form.capitalize() if last[:1].isupper() else form
    elif lower.endswith(("s", "x", "z", "ch", "sh")):
        form = last + "es"
    elif lower.endswith("y") and lower[-2:-1] not in ("a", "e", "i", "o", "u", ""):
        form = last[:-1] + "ies"
    else:
        form = last + "s"
    return f"{head} {form}" if head else form


def printable(value) -> str:
    """A cell for a terminal: the database's control and bidi characters (escape sequences, U+202E) shown escaped."""
    text = "" if value is None else str(value)
    return text if text.isprintable() else text.encode("unicode_escape").decode("ascii")


def age(instant, now) -> str:
    """How long ago, for the reader: '40 minutes', '8 hours', '3 days' (whole units, rounded down; never money)."""
    minutes = max(0, int((now - instant).total_seconds()) // 60)
    if minutes < 120:
        return plural(minutes, "minute")
    return plural(minutes // 60, "hour") if minutes < 72 * 60 else plural(minutes // 1440, "day")
