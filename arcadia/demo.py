"""Deterministic demo data, made through the real path: inventory, metering, rollup, cost lines.

April 2026 reproduces the seed's smoke figures: tenant `dashboard-pilot` (one
Studio deployment, 5 droplets) has revenue $71.12 and COGS $30.53; April overall
is $71.12 revenue vs $86.92 COGS. Before April only internal infrastructure
runs; from May customer tenants onboard month by month up to `now`, whose
month has partial usage for the live accrual.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa

from arcadia import schema
from arcadia.billing import rollup
from arcadia.errors import InputError
from arcadia.period import UTC, Period, parse_instant

NAMESPACE = uuid.UUID("6f1c2d1e-5b7a-4c1e-9a57-a7cad1a0c0de")
HISTORY_START = Period(datetime(2026, 1, 1).date())
PILOT_START = datetime(2026, 4, 1, tzinfo=UTC)
MONTHLY_CAP_HOURS = 672
ROLLUP_DELAY = timedelta(hours=2)  # the rollup runs shortly after a month closes

# DigitalOcean list prices (USD cents a month); hourly = monthly / 672, to 5 decimals.
DROPLETS = {"s-1vcpu-1gb": (600, 1), "s-1vcpu-2gb": (1200, 1), "s-2vcpu-4gb": (2400, 2), "s-4vcpu-8gb": (4800, 4)}
DATABASES = {"db-s-1vcpu-1gb": 1500, "db-s-1vcpu-2gb": 3000}
LOAD_BALANCER_CENTS = 1200
SPACES_CENTS = 500
KUBERNETES_HA_CENTS = 4000
VOLUME_CENTS_PER_GIB = 10
SNAPSHOT_MILLICENTS_PER_GIB = 6_000  # $0.06 per GiB-month

CATALOG = [
    # sku, name, billing_kind, unit, pricing_model, unit_price_micros, included_units, tiers
    ("STUDIO-PLATFORM", "Studio platform", "platform", "month", "flat", 29_000_000, "0", None),
    ("NOTEBOOK-PLATFORM", "Notebook platform", "platform", "month", "flat", 19_000_000, "0", None),
    ("INFERENCE-PLATFORM", "Inference platform", "platform", "month", "flat", 49_000_000, "0", None),
    ("COMPUTE-VCPU-HOUR", "Compute", "compute", "vCPU-hour", "per_unit", 12_000, "0", None),
    ("STORAGE-GB-MONTH", "Storage", "storage", "GB-month", "tiered", 100_000, "5",
     [{"up_to": 50, "unit_price_micros": 100_000}, {"up_to": None, "unit_price_micros": 80_000}]),
    ("EGRESS-GB", "Network egress", "network", "GB", "per_unit", 20_000, "100", None),
    ("SUPPORT-PRIORITY", "Priority support", "support", "month", "flat", 99_000_000, "0", None),
]
PRODUCT_PLATFORM = {"Studio": "STUDIO-PLATFORM", "Notebook": "NOTEBOOK-PLATFORM", "Inference": "INFERENCE-PLATFORM"}

CUSTOMERS = [
    # (tenant id or None for a UUID id, name, onboarding month offset from May 2026)
    ("northwind", "Northwind Analytics", 0), (None, "Helix Genomics", 0), ("kestrel-labs", "Kestrel Labs", 0),
    (None, "Bluefin Robotics", 1), ("orchard-ai", "Orchard AI", 1), ("tidewater", "Tidewater Media", 1),
    (None, "Quanta Legal", 2), ("larkspur", "Larkspur Health", 2), ("ember-retail", "Ember Retail", 3),
    (None, "Polaris Freight", 3), ("saltmarsh", "Saltmarsh Studio", 4), ("granite-bank", "Granite Bank", 4),
    (None, "Vireo Education", 5), ("copperline", "Copperline Energy", 5), ("mistral-games", "Mistral Games", 6),
    (None, "Juniper Civic", 6), ("aurora-bio", "Aurora Bio", 6),
]


def _uuid(*parts) -> str:
    return str(uuid.uuid5(NAMESPACE, ":".join(str(p) for p in parts)))


def _round10(numerator: int, denominator: int) -> int:
    """numerator/denominator rounded half-up to a multiple of 10 (DO's 5-decimal hourly prices)."""
    tens, rest = divmod(numerator, denominator * 10)
    return (tens + (2 * rest >= denominator * 10)) * 10


@dataclass
class Resource:
    kind: str
    name: str
    monthly_cents: int
    created_at: datetime
    deleted_at: datetime | None = None
    tenant_id: str | None = None
    deployment_id: str | None = None
    size_slug: str | None = None
    vcpus: int = 0
    gib: int = 0
    project: str = "customers"
    backups: bool = False
    id: str = ""
    provider_id: str = ""

    def hours_in(self, period: Period, now: datetime) -> int:
        """Whole hours (rounded up) the resource ran in the period, up to now."""
        start = max(self.created_at, period.start_at)
        end = min(period.end_at, now, self.deleted_at or period.end_at)
        seconds = max(0, int((end - start).total_seconds()))
        return -(-seconds // 3600)


@dataclass
class World:
    now: datetime
    rows: dict[str, list[dict]] = field(default_factory=dict)
    resources: list[Resource] = field(default_factory=list)
    subs: list[dict] = field(default_factory=list)

    def add(self, table: str, **row) -> dict:
        self.rows.setdefault(table, []).append(row)
        return row


def _catalog(world: World) -> dict[str, str]:
    ids = {}
    for sku, name, kind, unit, model, price, included, tiers in CATALOG:
        ids[sku] = _uuid("catalog", sku)
        world.add("catalog_items", id=ids[sku], sku=sku, name=name, billing_kind=kind, unit=unit,
                  pricing_model=model, unit_price_micros=price, included_units=Decimal(included),
                  tiers=tiers, currency="USD", active=True)
    return ids


def _resource(world: World, res: Resource) -> Resource:
    res.id = _uuid("resource", res.name)
    res.provider_id = str(400_000_000 + len(world.resources) * 7919)
    world.resources.append(res)
    return res


def _droplet(world, name, slug, created, **kw) -> Resource:
    monthly, vcpus = DROPLETS[slug]
    return _resource(world, Resource("droplet", name, monthly, created, size_slug=slug, vcpus=vcpus, **kw))


def _internal_infra(world: World) -> None:
    start = HISTORY_START.start_at
    world.add("tenants", id="skyai-internal", name="SkyAI Internal", kind="internal")
    world.add("tenants", id="platform-admin", name="Platform Admin", kind="internal")
    # Internal runners live in the SkyAI project but carry no tenant tag: unattributed.
    _droplet(world, "ci-runner", "s-4vcpu-8gb", start, project="internal")
    _droplet(world, "monitoring", "s-1vcpu-1gb", start, project="internal")
    may = datetime(2026, 5, 1, tzinfo=UTC)
    _resource(world, Resource("database", "dashboard-db", DATABASES["db-s-1vcpu-1gb"], may + timedelta(days=2),
                              tenant_id="platform-admin", size_slug="db-s-1vcpu-1gb", project="internal"))
    _resource(world, Resource("spaces", "build-cache", SPACES_CENTS, datetime(2026, 6, 1, tzinfo=UTC),
                              tenant_id="skyai-internal", project="internal"))


def _deployment(world: World, tenant_id: str, name: str, started: datetime) -> str:
    dep_id = _uuid("deployment", tenant_id, name)
    world.add("cloud_deployments", id=dep_id, tenant_id=tenant_id, name=name, status="active")
    return dep_id


def _subscription(world, catalog, tenant_id, dep_id, started, skus, overrides=None, ended=None, quantity=None):
    sub_id = _uuid("subscription", dep_id)
    status = "cancelled" if ended else "active"
    world.add("subscriptions", id=sub_id, tenant_id=tenant_id, deployment_id=dep_id, status=status,
              started_at=started, ended_at=ended, currency="USD")
    for sku in skus:
        world.add("subscription_items", id=_uuid("subscription_item", sub_id, sku), subscription_id=sub_id,
                  catalog_item_id=catalog[sku], quantity=Decimal((quantity or {}).get(sku, 1)),
                  unit_price_micros=(overrides or {}).get(sku))
    world.subs.append({"id": sub_id, "dep": dep_id, "skus": set(skus), "started": started, "ended": ended})
    return sub_id


def _pilot(world: World, catalog) -> None:
    world.add("tenants", id="dashboard-pilot", name="Dashboard Pilot", kind="customer")
    dep = _deployment(world, "dashboard-pilot", "pilot-studio", PILOT_START)
    on = {"tenant_id": "dashboard-pilot", "deployment_id": dep}
    _droplet(world, "pilot-api", "s-1vcpu-2gb", PILOT_START, **on)
    _droplet(world, "pilot-worker-1", "s-1vcpu-1gb", PILOT_START, **on)
    _droplet(world, "pilot-worker-2", "s-1vcpu-1gb", PILOT_START, **on)
    _droplet(world, "pilot-preview", "s-1vcpu-1gb", PILOT_START, deleted_at=datetime(2026, 4, 11, tzinfo=UTC), **on)
    _droplet(world, "pilot-render", "s-1vcpu-1gb", datetime(2026, 4, 10, 12, tzinfo=UTC), **on)
    _resource(world, Resource("volume", "pilot-data", 40 * VOLUME_CENTS_PER_GIB, datetime(2026, 5, 3, tzinfo=UTC),
                              gib=40, **on))
    _subscription(world, catalog, "dashboard-pilot", dep, PILOT_START,
                  ["STUDIO-PLATFORM", "COMPUTE-VCPU-HOUR", "STORAGE-GB-MONTH"])


def _customers(world: World, catalog, rng: random.Random) -> None:
    may = Period(datetime(2026, 5, 1).date())
    for index, (slug, name, offset) in enumerate(CUSTOMERS):
        month = may
        for _ in range(offset):
            month = month.next()
        onboard = month.start_at + timedelta(days=rng.randint(0, 12), hours=rng.randint(0, 23))
        if onboard >= world.now:
            continue
        tenant_id = slug or _uuid("tenant", name)
        world.add("tenants", id=tenant_id, name=name, kind="customer")
        heavy = name == "Helix Genomics"  # runs big droplets on a small plan: loss-making
        for n in range(1 if heavy else rng.randint(1, 3)):
            product = "Inference" if heavy else rng.choice(sorted(PRODUCT_PLATFORM))
            started = onboard + timedelta(days=7 * n)
            if started >= world.now:
                break
            dep_name = f"{product.lower()}-{n + 1}"
            dep = _deployment(world, tenant_id, dep_name, started)
            on = {"tenant_id": tenant_id, "deployment_id": dep}
            slugs = ["s-4vcpu-8gb"] * 4 if heavy else rng.choices(sorted(DROPLETS), weights=[5, 4, 2, 1], k=rng.randint(2, 4))
            for d, slug_ in enumerate(slugs):
                tag = {"tenant_id": "skyai-internal"} if (index == 2 and d == 0) else {}
                created = started + timedelta(hours=d)
                deleted = created + timedelta(days=rng.randint(9, 40)) if rng.random() < 0.2 else None
                _droplet(world, f"{tenant_id[:8]}-{dep_name}-{d}", slug_, created, deleted_at=deleted,
                         backups=rng.random() < 0.3, **({**on, **tag}))
            gib = rng.choice([10, 25, 50, 100])
            _resource(world, Resource("volume", f"{tenant_id[:8]}-{dep_name}-data", gib * VOLUME_CENTS_PER_GIB,
                                      started, gib=gib, **on))
            if product == "Inference" or rng.random() < 0.3:
                _resource(world, Resource("load_balancer", f"{tenant_id[:8]}-{dep_name}-lb", LOAD_BALANCER_CENTS, started, **on))
            if rng.random() < 0.35:
                slug_ = rng.choice(sorted(DATABASES))
                _resource(world, Resource("database", f"{tenant_id[:8]}-{dep_name}-db", DATABASES[slug_], started,
                                          size_slug=slug_, **on))
            if rng.random() < 0.3:
                _resource(world, Resource("spaces", f"{tenant_id[:8]}-{dep_name}-assets", SPACES_CENTS, started, **on))
            if product == "Inference" and not heavy and rng.random() < 0.5:
                _resource(world, Resource("kubernetes", f"{tenant_id[:8]}-{dep_name}-k8s", KUBERNETES_HA_CENTS, started, **on))
            if rng.random() < 0.25:
                _resource(world, Resource("snapshot", f"{tenant_id[:8]}-{dep_name}-snap", 0, started + timedelta(days=2),
                                          gib=gib, **on))
            skus = [PRODUCT_PLATFORM[product], "COMPUTE-VCPU-HOUR", "STORAGE-GB-MONTH", "EGRESS-GB"]
            if rng.random() < 0.25:
                skus.append("SUPPORT-PRIORITY")
            overrides = {"COMPUTE-VCPU-HOUR": 2_000} if heavy else (
                {"COMPUTE-VCPU-HOUR": 9_500} if rng.random() < 0.2 else None)
            ended = None
            if index == 5 and n == 0:  # Tidewater cancels its first deployment mid-month
                ended = started + timedelta(days=45, hours=6)
                if ended >= world.now:
                    ended = None
            _subscription(world, catalog, tenant_id, dep, started, skus, overrides, ended)


def _month_cost_lines(world: World, period: Period, rng: random.Random) -> None:
    invoice = f"do-inv-{period.start:%Y%m}"
    for res in world.resources:
        hours = res.hours_in(period, period.end_at)
        if hours <= 0:
            continue
        capped = min(hours, MONTHLY_CAP_HOURS)
        monthly = res.monthly_cents if res.kind != "snapshot" else -(-res.gib * SNAPSHOT_MILLICENTS_PER_GIB // 1000)
        amount = monthly if capped == MONTHLY_CAP_HOURS else _cents(_round10(monthly * 10_000, MONTHLY_CAP_HOURS) * capped)
        start = max(res.created_at, period.start_at)
        end = min(period.end_at, res.deleted_at or period.end_at)
        _cost_line(world, period, invoice, res, res.kind, f"{res.kind.replace('_', ' ').title()} {res.name}",
                   amount, Decimal(capped), "hour", start, end)
        if res.backups:
            _cost_line(world, period, invoice, res, "backup", f"Backups {res.name}", -(-amount // 5),
                       Decimal(capped), "hour", start, end)
    if period.start < PILOT_START.date():
        bandwidth = rng.randint(150, 320)
    elif period.start == PILOT_START.date():
        bandwidth = 239  # the seed's April figures: 48.00 + 6.00 + 2.39 unattributed
    else:
        bandwidth = rng.randint(300, 1800)
    _cost_line(world, period, invoice, None, "bandwidth", "Outbound transfer overage", bandwidth,
               Decimal(bandwidth), "GiB", period.start_at, period.end_at)
    if period.start.month == 6:
        _cost_line(world, period, invoice, None, "other", "Promotional credit", -2500, None, None, None, None)
    if period.start.month == 7:
        _cost_line(world, period, invoice, None, "droplet", "Droplet old-bastion (not in inventory)", 600,
                   Decimal(672), "hour", period.start_at, period.end_at, provider_resource_id="388812003")
    if period.start.month == 8:
        victim = next(r for r in world.resources if r.kind == "droplet" and r.tenant_id == "northwind")
        _cost_line(world, period, invoice, victim, "droplet", f"SLA credit {victim.name}", -200, None, None, None, None)


def _cents(micros: int) -> int:
    return (micros + 5_000) // 10_000


def _cost_line(world, period, invoice, res, kind, description, amount, quantity, unit, start, end,
               provider_resource_id=None, inserted_at=None) -> dict:
    return world.add(
        "cloud_cost_lines", id=_uuid("cost", period, kind, description), provider="digitalocean",
        provider_invoice_id=invoice, period=period.start,
        provider_resource_id=res.provider_id if res else provider_resource_id,
        resource_id=res.id if res else None, kind=kind, product=kind.replace("_", " ").title(),
        description=description, quantity=quantity, unit=unit, start_at=start, end_at=end,
        amount_cents=amount, currency="USD",
        inserted_at=inserted_at or period.end_at + timedelta(days=1, hours=3),
    )


def _usage(world: World, catalog, rng: random.Random) -> None:
    """Daily meter readings: vCPU-hours and egress per day, storage twice a month."""
    by_dep: dict[str, list[Resource]] = {}
    for res in world.resources:
        if res.deployment_id:
            by_dep.setdefault(res.deployment_id, []).append(res)
    for sub in world.subs:
        day = sub["started"].replace(hour=0, minute=0, second=0, microsecond=0)
        while day < world.now:
            recorded = day + timedelta(hours=23)
            active = recorded >= sub["started"] and (sub["ended"] is None or recorded < sub["ended"])
            if recorded < world.now and active:
                _day_readings(world, catalog, sub, by_dep.get(sub["dep"], []), day, recorded, rng)
            day += timedelta(days=1)


def _day_readings(world, catalog, sub, resources, day, recorded, rng):
    period = Period.of(day.date())
    next_day = day + timedelta(days=1)
    vcpu_hours = 0
    for res in resources:
        if res.vcpus:
            start = max(res.created_at, day)
            end = min(next_day, res.deleted_at or next_day)
            if end > start:
                vcpu_hours += res.vcpus * int((end - start).total_seconds()) // 3600
    _reading(world, catalog, sub, "COMPUTE-VCPU-HOUR", day, recorded, Decimal(vcpu_hours))
    if "EGRESS-GB" in sub["skus"]:
        _reading(world, catalog, sub, "EGRESS-GB", day, recorded, Decimal(rng.randint(50, 900)).scaleb(-2))
    last_day = (period.end_at - timedelta(days=1)).date()
    if day.day == 15 or day.date() == last_day:
        if period == Period(PILOT_START.date()) and sub["started"] == PILOT_START:
            gb = Decimal("40.00") if day.day == 15 else Decimal("45.25")
        else:
            gib = sum(r.gib for r in resources if r.kind == "volume" and r.created_at <= recorded)
            gb = Decimal(gib + rng.randint(0, 400)).scaleb(-1) / 2 if gib else Decimal(rng.randint(10, 80)).scaleb(-1)
        _reading(world, catalog, sub, "STORAGE-GB-MONTH", day, recorded, gb.quantize(Decimal("0.01")))


def _reading(world, catalog, sub, sku, day, recorded, quantity):
    key = f"{sub['id']}:{sku}:{day:%Y-%m-%d}"
    world.add("usage_records", id=_uuid("usage", key), subscription_id=sub["id"], catalog_item_id=catalog[sku],
              quantity=quantity, recorded_at=recorded, idempotency_key=key, inserted_at=recorded + timedelta(minutes=5))


def _inventory_rows(world: World) -> None:
    projects = {
        "customers": ("Arcadia Customers", None),
        "internal": ("SkyAI Internal", "skyai-internal"),
    }
    for key, (name, tenant) in projects.items():
        world.add("cloud_projects", id=_uuid("project", key), provider="digitalocean",
                  provider_id=_uuid("do-project", key), name=name, tenant_id=tenant)
    for res in world.resources:
        seen_until = min(world.now, res.deleted_at or world.now)
        world.add(
            "cloud_resources", id=res.id, provider="digitalocean", provider_id=res.provider_id, kind=res.kind,
            name=res.name, region="syd1", status="deleted" if res.deleted_at and res.deleted_at <= world.now else "active",
            size_slug=res.size_slug, tenant_id=res.tenant_id, deployment_id=res.deployment_id,
            tags=[f"tenant:{res.tenant_id}"] if res.tenant_id else [], attrs={"vcpus": res.vcpus} if res.vcpus else {},
            first_seen_at=res.created_at, last_seen_at=seen_until,
            deleted_at=res.deleted_at if res.deleted_at and res.deleted_at <= world.now else None,
            cloud_project_id=_uuid("project", res.project),
        )


TABLE_ORDER = [
    "tenants", "cloud_projects", "cloud_deployments", "cloud_resources", "catalog_items", "subscriptions",
    "subscription_items", "usage_records", "cloud_cost_lines", "provider_invoices", "provider_syncs",
]
PREVIEW_HOUR = 6  # DigitalOcean's daily preview, as a daily sync (06:00 UTC) leaves it in place


def build_world(now: datetime) -> World:
    """All demo rows as of `now` (deterministic: the same `now` gives the same rows)."""
    if now < datetime(2026, 2, 1, tzinfo=UTC):
        raise InputError(f"invalid --now {now.isoformat()}: the demo's history starts in January 2026")
    rng = random.Random(20260401)
    world = World(now)
    catalog = _catalog(world)
    _internal_infra(world)
    if now > PILOT_START:
        _pilot(world, catalog)
    _customers(world, catalog, rng)
    world.resources = [r for r in world.resources if r.created_at < now]
    live = {r.deployment_id for r in world.resources}
    world.rows["cloud_deployments"] = [d for d in world.rows.get("cloud_deployments", []) if d["id"] in live]
    _inventory_rows(world)
    _usage(world, catalog, random.Random(7))
    period = HISTORY_START
    cost_rng = random.Random(11)
    while period.end_at <= now:
        _month_cost_lines(world, period, cost_rng)
        period = period.next()
    _month_preview(world, period, random.Random(13))
    return world


def _month_preview(world: World, period: Period, rng: random.Random) -> None:
    """The month in progress as the last daily sync left it: DigitalOcean's preview up to that morning, in place
    for the default account (the complete months' invoices are other figures and stay as they are)."""
    synced = world.now.replace(hour=PREVIEW_HOUR, minute=0, second=0, microsecond=0)
    if synced > world.now:
        synced -= timedelta(days=1)
    if synced <= period.start_at:
        return  # the month's first preview is not out yet
    invoice = f"do-preview-{period.start:%Y%m}"
    lines = []
    for res in world.resources:
        hours = res.hours_in(period, synced)
        if hours <= 0:
            continue
        monthly = res.monthly_cents if res.kind != "snapshot" else -(-res.gib * SNAPSHOT_MILLICENTS_PER_GIB // 1000)
        capped = min(hours, MONTHLY_CAP_HOURS)
        amount = monthly if capped == MONTHLY_CAP_HOURS else _cents(_round10(monthly * 10_000, MONTHLY_CAP_HOURS) * capped)
        start, end = max(res.created_at, period.start_at), min(synced, res.deleted_at or synced)
        lines.append(_cost_line(world, period, invoice, res, res.kind, f"{res.kind.replace('_', ' ').title()} {res.name}",
                                amount, Decimal(capped), "hour", start, end, inserted_at=synced))
    days = max(1, (synced - period.start_at).days)
    bandwidth = rng.randint(10, 60) * days
    lines.append(_cost_line(world, period, invoice, None, "bandwidth", "Outbound transfer overage", bandwidth,
                            Decimal(bandwidth), "GiB", period.start_at, synced, inserted_at=synced))
    imported = synced + timedelta(minutes=5)
    world.add("provider_invoices", provider="digitalocean", account="default", period=period.start,
              provider_invoice_id=invoice, source="preview", as_of=synced, lines_through=synced,
              described="DigitalOcean preview (demo)", line_count=len(lines),
              amount_cents=sum(line["amount_cents"] for line in lines), currency="USD", imported_at=imported)
    world.add("provider_syncs", provider="digitalocean", account="default", attempted_at=imported,
              succeeded_at=imported, outcome=f"ok: imported {period.label} preview")


def is_empty(engine: sa.Engine) -> bool:
    with engine.connect() as conn:
        return not any(conn.execute(sa.select(sa.func.count()).select_from(schema.metadata.tables[t])).scalar()
                       for t in TABLE_ORDER)


def build_demo(url: str, now: datetime | str | None = None) -> dict[str, int]:
    """Create the schema and fill an empty database with the demo; returns row counts per table."""
    from arcadia.db import engine_for

    now = parse_instant(now or datetime.now(UTC).replace(microsecond=0))
    engine = engine_for(url)
    schema.create_all(engine)
    if not is_empty(engine):
        raise InputError("the database already has data: the demo only fills an empty database")
    with engine.begin() as conn:
        _fill(conn, now)
    return _counts(engine)


def replace_with_demo(url: str, now: datetime | str | None = None) -> dict[str, int]:
    """Replace every contract row of a database with the demo, in one transaction.

    Readers never wait and never see half a demo: they read the old rows until the commit (DELETE,
    not TRUNCATE, which would lock them out, and whose rows the pre-aggregates' triggers would not see).
    """
    from arcadia.db import engine_for

    now = parse_instant(now or datetime.now(UTC).replace(microsecond=0))
    engine = engine_for(url)
    schema.create_all(engine)
    with engine.begin() as conn:
        for table in reversed(schema.metadata.sorted_tables):
            conn.execute(table.delete())
        _fill(conn, now)
    return _counts(engine)


def _fill(conn: sa.Connection, now: datetime) -> None:
    world = build_world(now)
    for table in TABLE_ORDER:
        if world.rows.get(table):
            conn.execute(schema.metadata.tables[table].insert(), world.rows[table])
    period = Period(PILOT_START.date())
    while period.end_at <= now:
        rollup(conn, period, min(now, period.end_at + ROLLUP_DELAY))
        period = period.next()
    _void_and_reissue(conn, now)
    _settle_old_invoices(conn, now)


def _counts(engine: sa.Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {name: conn.execute(sa.select(sa.func.count()).select_from(table)).scalar()
                for name, table in schema.metadata.tables.items()}


def _void_and_reissue(conn: sa.Connection, now: datetime) -> None:
    """July: Orchard AI's invoice was voided after a late meter reading, then rolled up again."""
    july = Period(datetime(2026, 7, 1).date())
    if july.end_at > now:
        return
    invoices = schema.tenant_invoices
    conn.execute(invoices.update().where(invoices.c.tenant_id == "orchard-ai", invoices.c.period == july.start)
                 .values(status="void"))
    sub = conn.execute(sa.select(schema.subscriptions.c.id).where(schema.subscriptions.c.tenant_id == "orchard-ai")
                       .order_by(schema.subscriptions.c.started_at)).scalar()
    if sub is None:
        return
    item = conn.execute(sa.select(schema.catalog_items.c.id).where(schema.catalog_items.c.sku == "EGRESS-GB")).scalar()
    conn.execute(schema.usage_records.insert().values(
        id=_uuid("usage", "late", sub), subscription_id=str(sub), catalog_item_id=str(item), quantity=Decimal("250.5"),
        recorded_at=datetime(2026, 7, 31, 23, 30, tzinfo=UTC), idempotency_key=f"late:{sub}:2026-07",
        inserted_at=datetime(2026, 8, 2, 9, tzinfo=UTC),
    ))
    rollup(conn, july, datetime(2026, 8, 2, 10, tzinfo=UTC))


def _settle_old_invoices(conn: sa.Connection, now: datetime) -> None:
    """Invoices older than the latest month are paid."""
    latest = Period.parse(now).previous()
    invoices = schema.tenant_invoices
    conn.execute(invoices.update().where(invoices.c.period < latest.start, invoices.c.status == "issued")
                 .values(status="paid"))
