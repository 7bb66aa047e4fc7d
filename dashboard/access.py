"""Who may see the dashboard: OIDC login (st.login) for platform admins; fail closed without it.

With no [auth] configured the dashboard shows only the bundled demo database,
under a banner; pointed at any other database it shows nothing but what to configure.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

import streamlit as st

from arcadia.db import is_demo

ADMIN_ROLE = "platform_admin"
_run = threading.local()  # one script run is one thread: the gate's verdict for this run
DEFAULT_CLAIMS = "roles,groups"


def is_platform_admin(claims: Mapping, env: Mapping[str, str] | None = None) -> bool:
    """True when a roles/groups claim holds platform_admin, or the email is in ARCADIA_ADMIN_EMAILS and the identity
    provider says it is verified (`email_verified`)."""
    env = os.environ if env is None else env
    for name in (c.strip() for c in env.get("ARCADIA_ADMIN_CLAIM", DEFAULT_CLAIMS).split(",") if c.strip()):
        value = claims.get(name)
        values = value.replace(",", " ").split() if isinstance(value, str) else value or []
        if isinstance(values, (list, tuple)) and ADMIN_ROLE in values:
            return True
    admins = {e.strip().lower() for e in env.get("ARCADIA_ADMIN_EMAILS", "").split(",") if e.strip()}
    email = claims.get("email")
    # An e-mail address is only as good as the identity provider's word that the user owns it.
    return (isinstance(email, str) and email.strip().lower() in admins
            and claims.get("email_verified") in (True, "true", "True"))


def auth_configured() -> bool:
    """Whether an [auth] section (OIDC) is in the secrets."""
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file at all: Streamlit raises its own not-found error
        return False


def _provider() -> str | None:
    section = st.secrets["auth"]
    # A named provider is a sub-table with its own client ([auth.google]); other
    # sub-tables such as client_kwargs are settings of the default provider.
    named = [key for key, value in section.items() if isinstance(value, Mapping) and "client_id" in value]
    return named[0] if named else None


def gate(url: str) -> bool:
    """Render the login / no-access / misconfiguration screen and return False, or return True to go on."""
    if not auth_configured():
        if is_demo(url):
            st.info("**Demo data — no login.** This dashboard shows the bundled demo database. Configure OIDC "
                    "(`[auth]` in `.streamlit/secrets.toml`) before pointing it at real data.", icon=":material/science:")
            return True
        st.error("**No login is configured, so no data is shown.**", icon=":material/lock:")
        st.markdown(
            # Anonymous visitors read this: it names no host, port or database (the server log has them).
            "This dashboard is pointed at a database that is not the bundled demo. Real data is only shown to "
            "platform admins "
            "after an OIDC login: add an `[auth]` section to `.streamlit/secrets.toml` (see "
            "`.streamlit/secrets.toml.example`) and set `ARCADIA_ADMIN_EMAILS` or give admins the "
            "`platform_admin` role claim. Unset `ARCADIA_DATABASE_URL` to see the demo instead."
        )
        return False
    if not st.user.is_logged_in:
        st.title("Arcadia margin dashboard")
        st.write("Platform admins only. Log in with your organisation account.")
        if st.button("Log in", type="primary", icon=":material/login:"):
            st.login(_provider()) if _provider() else st.login()
        return False
    if not is_platform_admin(st.user.to_dict()):
        st.title("No access")
        st.error("This account is not a platform admin. Ask an admin for the `platform_admin` role.",
                 icon=":material/block:")
        # The email and name come from the identity provider, where users may set them: plain text, not markdown.
        st.text(f"You are logged in as {st.user.get('email') or st.user.get('name') or 'this user'}.")
        if st.button("Log out", icon=":material/logout:"):
            st.logout()
        return False
    with st.sidebar:
        st.text(f"Signed in as {st.user.get('email') or st.user.get('name')}")  # identity provider's text: plain
        if st.button("Log out", icon=":material/logout:"):
            st.logout()
    return True


@contextmanager
def admitted() -> Iterator[None]:
    """Mark the pages run inside this block as having passed the gate in this script run."""
    _run.admitted = True
    try:
        yield
    finally:
        _run.admitted = False


def is_admitted() -> bool:
    """Whether app.py's gate admitted the current script run."""
    return getattr(_run, "admitted", False)
