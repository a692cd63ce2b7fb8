"""The signed-in staff member of the request being served: what RBAC and the admin pages
consume (:func:`signed_in`), and the same-origin check of a change made with its cookie
(:func:`same_origin`). Who may do what is decided by the RBAC hook (gateway.rbac) alone."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import request

from attune.gateway.sso.principal import Principal
from attune.gateway.sso.wiring import current_sso


def signed_in() -> Principal | None:
    """The principal of the request's staff session cookie, or ``None``."""
    sso = current_sso()
    token = request.cookies.get(sso.session_cookie, "")
    return sso.sessions.load(token) if token else None


def same_origin() -> bool:
    """Whether the request's ``Origin`` (else ``Referer``) is the gateway itself: the CSRF
    check of a cookie-authenticated change (SameSite=Lax already stops cross-site posts in
    current browsers; this covers the rest)."""
    source = request.headers.get("Origin") or request.headers.get("Referer") or ""
    if not source:
        return False
    mine = urlsplit(current_sso().base_url)
    theirs = urlsplit(source)
    return (theirs.scheme, theirs.netloc) == (mine.scheme, mine.netloc)
