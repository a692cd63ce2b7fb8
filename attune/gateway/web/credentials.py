"""Reading and checking the gateway's bearer credentials, without Flask: the HTTP server checks
them before it reads a body (:mod:`gateway.web.body_gate`), and the RBAC hook
(:mod:`gateway.rbac.hook`) resolves them into the caller's roles."""

from __future__ import annotations

import base64
import binascii
import hmac

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})  # changes: the cookie's CSRF check


def ingest_credential(header: str) -> str:
    """The ingest token from a Bearer header, or the password of a Basic one: most xAPI
    tools can only send Basic auth (the LRS's key and secret)."""
    if header.startswith("Bearer "):
        return header.removeprefix("Bearer ").strip()
    if header.startswith("Basic "):
        try:
            decoded = base64.b64decode(header.removeprefix("Basic ").strip(), validate=True)
        except (binascii.Error, ValueError):
            return ""
        return decoded.decode("utf-8", "replace").partition(":")[2]
    return ""


def tenant_of(token: str, tokens: dict[str, str]) -> str | None:
    """The tenant an ingest token belongs to, or ``None``."""
    if not token:
        return None
    found = None
    for known, tenant in tokens.items():  # compare with every token: no early exit on a match
        if hmac.compare_digest(token.encode(), known.encode()):
            found = tenant
    return found


def ingest_tenant(header: str, tokens: dict[str, str]) -> str | None:
    """The tenant of the ingest credential in an ``Authorization`` header, or ``None``."""
    return tenant_of(ingest_credential(header), tokens)


def is_admin(header: str, admin_token: str) -> bool:
    """Whether an ``Authorization`` header carries the admin bearer token."""
    given = header.removeprefix("Bearer ").strip()
    return bool(given) and hmac.compare_digest(given.encode(), admin_token.encode())


def require_admin() -> None:
    """A blueprint's ``before_request`` for admin routes, behind the RBAC hook
    (:mod:`gateway.rbac.hook`), which alone decides who may call them: the route's tenant
    bound to the log context, and the same-origin check of a change made with the staff
    session cookie (an ambient credential). (It must return None: Flask would send any
    value a ``before_request`` returns as the response.)"""
    _admin_tenant()


def _admin_tenant() -> str:
    """The checks of :func:`require_admin`; the route's tenant, or ""."""
    import structlog
    from flask import g, request

    from attune.gateway.errors import ForbiddenError, UnauthorizedError
    from attune.gateway.sso.current import same_origin

    actor = g.get("rbac_actor")
    if actor is None:  # the hook did not run: never let the route through unchecked
        raise UnauthorizedError("admin calls need 'Authorization: Bearer <admin token>'")
    tenant = str((request.view_args or {}).get("tenant", ""))
    if actor.via == "sso" and request.method in UNSAFE_METHODS and not same_origin():
        raise ForbiddenError("a signed-in change must come from the gateway's own pages")
    structlog.contextvars.bind_contextvars(tenant=tenant)
    return tenant


def authorise_admin() -> None:
    """:func:`require_admin`, and a tenant the gateway has an engine credential for (404,
    naming it): for the routes that call the engine on the tenant's behalf."""
    from attune.gateway.app import current
    from attune.gateway.errors import NotFoundError

    tenant = _admin_tenant()
    if tenant and not current().settings.serves_tenant(tenant):
        raise NotFoundError(f"tenant {tenant!r} has no engine credential configured")


def ingest_actor_tenant() -> str:
    """The tenant of the ingest caller the RBAC hook resolved and let through (role
    ``ingest``); the hook alone decides who may ingest or read statements."""
    from flask import g

    from attune.gateway.errors import UnauthorizedError

    actor = g.get("rbac_actor")
    if actor is None or not actor.tenant:
        # The hook did not run: never let the route through unchecked.
        raise UnauthorizedError(
            "ingestion needs 'Authorization: Bearer <ingest token>' (or Basic with the token "
            "as the password)"
        )
    return str(actor.tenant)


def authorise_ingest() -> None:
    """An ingest or statement-read route's ``before_request``: the ingest tenant
    (``g.ingest_tenant``, see :func:`ingest_actor_tenant`), bound to the log context.
    Returns None."""
    import structlog
    from flask import g

    tenant = ingest_actor_tenant()
    g.ingest_tenant = tenant
    structlog.contextvars.bind_contextvars(tenant=tenant)
