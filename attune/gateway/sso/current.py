"""The signed-in staff member of the request being served: what RBAC and the admin pages
consume (:func:`signed_in`), and the admin-surface check (:func:`tenant_admin_for`)."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import request

from attune.gateway.errors import ForbiddenError
from attune.gateway.sso.principal import Principal
from attune.gateway.sso.wiring import current_sso

_UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def signed_in() -> Principal | None:
    """The principal of the request's staff session cookie, or ``None``."""
    sso = current_sso()
    token = request.cookies.get(sso.session_cookie, "")
    return sso.sessions.load(token) if token else None


def _same_origin() -> bool:
    """Whether the request's ``Origin`` (else ``Referer``) is the gateway itself: the CSRF
    check of a cookie-authenticated change (SameSite=Lax already stops cross-site posts in
    current browsers; this covers the rest)."""
    source = request.headers.get("Origin") or request.headers.get("Referer") or ""
    mine = urlsplit(current_sso().base_url)
    theirs = urlsplit(source)
    return (theirs.scheme, theirs.netloc) == (mine.scheme, mine.netloc)


def tenant_admin_for(tenant: str) -> Principal | None:
    """The signed-in principal when it is a tenant administrator of ``tenant``, else
    ``None``; a cookie-authenticated change from another origin is a 403."""
    if not tenant:
        return None
    principal = signed_in()
    if principal is None or principal.tenant != tenant:
        return None
    if not principal.has_role("tenant_admin"):
        return None
    if request.method in _UNSAFE and not _same_origin():
        raise ForbiddenError("a signed-in change must come from the gateway's own pages")
    return principal
