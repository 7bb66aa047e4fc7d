"""Who counts as a platform admin after the OIDC login (pure rule, one table)."""

from __future__ import annotations

import pytest

from dashboard.access import is_platform_admin


@pytest.mark.parametrize("claims, env, admin", [
    ({"roles": ["platform_admin"]}, {}, True),
    ({"groups": ["staff", "platform_admin"]}, {}, True),
    ({"roles": "viewer platform_admin"}, {}, True),          # space- or comma-separated string claims
    ({"roles": "viewer,platform_admin"}, {}, True),
    ({"roles": ["tenant_admin"], "tenant_id": "platform-admin"}, {}, False),  # a slug that looks like it
    ({"roles": "not_platform_admin"}, {}, False),            # no substring matches
    ({"roles": ["Platform_Admin"]}, {}, False),              # roles are exact
    ({"role": "platform_admin"}, {}, False),                 # not a configured claim by default
    ({"role": "platform_admin"}, {"ARCADIA_ADMIN_CLAIM": "role"}, True),
    ({"groups": ["platform_admin"]}, {"ARCADIA_ADMIN_CLAIM": "roles"}, False),
    ({"email": "Boss@Arcadia.test", "email_verified": True},
     {"ARCADIA_ADMIN_EMAILS": "boss@arcadia.test, cfo@arcadia.test"}, True),
    # Unverified (or silent about it): anyone could have typed the address at the identity provider.
    ({"email": "Boss@Arcadia.test", "email_verified": False}, {"ARCADIA_ADMIN_EMAILS": "boss@arcadia.test"}, False),
    ({"email": "boss@arcadia.test"}, {"ARCADIA_ADMIN_EMAILS": "boss@arcadia.test"}, False),
    ({"email": "boss@arcadia.test", "email_verified": "true"}, {"ARCADIA_ADMIN_EMAILS": "boss@arcadia.test"}, True),
    ({"email": "boss@arcadia.test.evil"}, {"ARCADIA_ADMIN_EMAILS": "boss@arcadia.test"}, False),
    ({"email": "someone@arcadia.test"}, {"ARCADIA_ADMIN_EMAILS": ""}, False),
    ({}, {}, False),
    ({"roles": None, "email": None}, {"ARCADIA_ADMIN_EMAILS": "x@y"}, False),
])
def test_is_platform_admin(claims, env, admin):
    assert is_platform_admin(claims, env) is admin
