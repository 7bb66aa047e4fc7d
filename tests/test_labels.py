"""Friendly kind names and counted nouns (arcadia/labels.py)."""

from __future__ import annotations

import pytest

from arcadia.labels import KINDS, kind_label, plural, plural_of

# Every kind the contract names: billing kinds, then the provider kinds of cloud_cost_lines.kind.
CONTRACT_KINDS = ["compute", "storage", "network", "platform", "support", "droplet", "volume", "snapshot", "backup",
                  "load_balancer", "database", "spaces", "kubernetes", "bandwidth", "other"]


@pytest.mark.parametrize("kind, label", [
    ("compute", "Compute"),
    ("storage", "Storage"),
    ("network", "Network"),
    ("platform", "Platform"),
    ("support", "Support"),
    ("droplet", "Droplets"),
    ("volume", "Volumes"),
    ("snapshot", "Snapshots"),
    ("backup", "Backups"),
    ("load_balancer", "Load balancers"),
    ("database", "Managed databases"),
    ("spaces", "Spaces object storage"),
    ("kubernetes", "Kubernetes"),
    ("bandwidth", "Bandwidth"),
    ("other", "Other"),
    # Unknown ids: underscores as spaces, the first letter upper case, the rest as stored.
    ("gpu_node", "Gpu node"),
    ("container_registry", "Container registry"),
    ("DNS_zone", "DNS zone"),
    ("iPv4_address", "IPv4 address"),
    ("Droplet", "Droplet"),                  # not the id 'droplet': shown as it is
    ("_internal_", "Internal"),
    ("**bold** <b>x</b>", "**bold** <b>x</b>"),  # plain text: a chart escapes it like any label
    ("ébène", "Ébène"),
    ("", "(no kind)"),
    ("___", "(no kind)"),
])
def test_kind_label(kind, label):
    assert kind_label(kind) == label


def test_every_contract_kind_has_a_name_and_no_two_share_one():
    assert sorted(KINDS) == sorted(CONTRACT_KINDS)
    assert len(set(KINDS.values())) == len(KINDS)


@pytest.mark.parametrize("n, word, text", [
    (0, "tenant", "0 tenants"),
    (1, "tenant", "1 tenant"),
    (2, "tenant", "2 tenants"),
    (1234, "tenant", "1,234 tenants"),
    (1_000_000, "cost line", "1,000,000 cost lines"),
    (1, "subscription", "1 subscription"),
    (3, "subscription", "3 subscriptions"),
    (1, "month", "1 month"),
    (12, "month", "12 months"),
    (2, "entry", "2 entries"),
    (2, "day", "2 days"),
    (2, "status", "2 statuses"),
    (2, "box", "2 boxes"),
    (2, "batch", "2 batches"),
    (2, "person", "2 people"),
    (2, "more tenant", "2 more tenants"),
    (-1, "tenant", "-1 tenants"),
])
def test_plural(n, word, text):
    assert plural(n, word) == text


def test_plural_with_a_form_given():
    assert plural(1, "of them loses", "of them lose") == "1 of them loses"
    assert plural(3, "of them loses", "of them lose") == "3 of them lose"


@pytest.mark.parametrize("word, form", [("Person", "People"), ("Key", "Keys"), ("City", "Cities"), ("y", "ys")])
def test_plural_of_keeps_the_capital(word, form):
    assert plural_of(word) == form
