"""Who may use a tenant's console, and the CSRF defence of its forms.

- The admin token (``Authorization: Bearer``), for scripts: every tenant.
- A staff session (``attune.gateway.sso.current.signed_in``) whose principal is a
  ``tenant_admin`` of the URL's tenant.
The RBAC hook (gateway.rbac) decides this, before :func:`guard_console` runs: no
credential 401, another tenant's administrator or a session without the role 403 naming
the role.

A change made with the session cookie (every console form posts) must come from the
gateway's own origin (``Origin``, else ``Referer``) and carry the session's CSRF token: an
HMAC keyed by the session cookie (256 random bits the page never sees, the cookie being
``HttpOnly``), so it is bound to that session, differs per tenant, and cannot be made by
another site. The cookie is ``SameSite=Lax`` too. Requests with the admin token carry no
ambient credential and need neither.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

import structlog
from flask import g, request

from attune.gateway.errors import ForbiddenError, UnauthorizedError
from attune.gateway.web.credentials import UNSAFE_METHODS

CSRF_FIELD = "csrf_token"
_CSRF_LABEL = b"attune-console-csrf/v1:"


@dataclass(frozen=True, slots=True)
class ConsoleUser:
    """Who is using the console: the admin token, or a signed-in tenant administrator."""

    tenant: str
    actor: str  # what the audit trail records: "admin" or "staff:<via>:<subject>"
    name: str
    csrf: str  # "" for the admin token (no cookie, no CSRF)

    @property
    def by_token(self) -> bool:
        return not self.csrf


def csrf_token(session_cookie: str, tenant: str) -> str:
    """The CSRF token of a staff session in a tenant's console."""
    mac = hmac.new(session_cookie.encode(), _CSRF_LABEL + tenant.encode(), hashlib.sha256)
    return mac.hexdigest()


def guard_console() -> None:
    """The console blueprint's ``before_request``, behind the RBAC hook (gateway.rbac),
    which alone decides who may use a tenant's console (401 without a credential, 403 for
    a caller who is not ``tenant_admin`` of the URL's tenant): this binds the tenant to the
    log context, the console's user (``g.console_user``) and the actor for the audit trail
    (``g.audit_actor``) from the hook's resolved caller, and checks a cookie-authenticated
    change (same origin, CSRF). Returns None."""
    from attune.gateway.sso.current import signed_in
    from attune.gateway.sso.wiring import current_sso

    tenant = str((request.view_args or {}).get("tenant", ""))
    structlog.contextvars.bind_contextvars(tenant=tenant)
    actor = g.get("rbac_actor")
    if actor is None:  # the hook did not run: never let the console through unchecked
        raise UnauthorizedError("the console needs a credential")
    if actor.via == "admin-token":
        g.console_user = ConsoleUser(tenant, "admin", "administrator (admin token)", "")
        g.audit_actor = "admin"
        return
    principal = g.get("rbac_principal") or signed_in()
    if principal is None:  # the hook let only a signed-in tenant administrator through
        raise UnauthorizedError(
            f"sign in first: /sso/{tenant}/login/<provider> with your institution's account"
        )
    actor_name = f"staff:{principal.via}:{principal.subject}"
    g.audit_actor = actor_name
    cookie = request.cookies.get(current_sso().session_cookie, "")
    user = ConsoleUser(
        tenant, actor_name, principal.name or principal.subject, csrf_token(cookie, tenant)
    )
    g.console_user = user
    if request.method in UNSAFE_METHODS:
        _check_change(user)


def _check_change(user: ConsoleUser) -> None:
    """A cookie-authenticated change: same origin and the session's CSRF token (403)."""
    from attune.gateway.sso.current import same_origin

    if not same_origin():
        raise ForbiddenError("a console change must come from the gateway's own pages")
    given = request.form.get(CSRF_FIELD, "")
    if not given or not hmac.compare_digest(given.encode(), user.csrf.encode()):
        raise ForbiddenError(f"{CSRF_FIELD}: missing or not this session's; reload the page")


def console_user() -> ConsoleUser:
    """The console's user of this request (set by :func:`guard_console`)."""
    user: ConsoleUser = g.console_user
    return user
