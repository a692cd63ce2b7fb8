"""The one enforcement point: an app-wide ``before_request`` that finds what the route needs
(:mod:`.routes`), resolves who is asking from the request's credential and applies
:func:`.core.decide`: 401 without a usable credential, 403 naming the role needed, before
any body is parsed. The resolved :class:`~.core.Actor` is left in ``flask.g.rbac_actor``
for the views and pages that want it (a launch session it loaded in ``g.rbac_launch``);
the views keep only the checks that need I/O (a roster's membership, a tenant's engine
credential, the same-origin check of a cookie-authenticated change).

Credentials, in this order:
- ``Authorization: Bearer <admin token>``: role ``admin`` (every tenant);
- ``Authorization: Bearer <operator token>`` (``ATTUNE_GATEWAY__OPERATOR_TOKEN``, or the
  metrics token ``ATTUNE_GATEWAY__METRICS_TOKEN``): ``operator``; with neither configured,
  a loopback client on an operator route (development);
- on a page route, the launch session's token (in the URL; on ``/api/learners/...`` the
  Bearer header): ``learner``, or ``instructor`` when the launch had a staff role, in the
  launch's tenant and context;
- on an ingest route, an ingest token (Bearer, or Basic's password): ``ingest`` of its tenant;
- the staff session cookie (SSO): the principal's roles (``instructor``, ``tenant_admin``)
  in its tenant.
"""

from __future__ import annotations

import hmac

from flask import Flask, g, request

from attune.gateway.app import current
from attune.gateway.errors import ForbiddenError, UnauthorizedError
from attune.gateway.rbac.core import OPEN_NEEDS, Actor, Deny, Need, Role, Target, decide
from attune.gateway.rbac.routes import need_of
from attune.gateway.web.credentials import ingest_tenant, is_admin

_PAGE_NEEDS = frozenset({Need.LEARNER_SELF, Need.INSTRUCTOR_OF_CONTEXT})
_BEARER_SESSION_ENDPOINTS = frozenset({"pages.progress_api"})
_LOOPBACK = ("127.0.0.1", "::1")


def install_rbac(app: Flask) -> None:
    """Register the enforcement hook (after the log binding and the rate limit)."""
    app.before_request(enforce)


def enforce() -> None:
    """Refuse the request unless its credential has what the route needs. (Returns None:
    Flask would send any value a ``before_request`` returns.)"""
    endpoint = request.endpoint
    if endpoint is None:
        return  # no route matched: Flask answers 404/405 itself
    need = need_of(endpoint, request.blueprint)
    if need is None:
        raise ForbiddenError(f"route {endpoint!r} has no access rule (gateway.rbac.routes)")
    if need in OPEN_NEEDS:
        return
    actor = resolve(need)
    g.rbac_actor = actor
    args = request.view_args or {}
    target = Target(
        tenant=str(args["tenant"]) if "tenant" in args else None,
        learner_id=str(args.get("learner_id", "")) if need is Need.LEARNER_SELF else "",
    )
    decision = decide(actor, need, target)
    if isinstance(decision, Deny):
        if decision.status == 401:
            raise UnauthorizedError(decision.reason)
        raise ForbiddenError(decision.reason)


def _bearer() -> str:
    header = request.headers.get("Authorization", "")
    return header.removeprefix("Bearer ").strip() if header.startswith("Bearer ") else ""


def resolve(need: Need) -> Actor:
    """Who is asking, from the credential that fits the route (see the module's list)."""
    settings = current().settings
    header = request.headers.get("Authorization", "")
    if is_admin(header, settings.admin_token):
        return Actor(frozenset({Role.ADMIN}), None, "admin-token")
    given = _bearer()
    operators = [t for t in (settings.operator_token, settings.metrics_token) if t]
    if given and any(hmac.compare_digest(given.encode(), t.encode()) for t in operators):
        return Actor(frozenset({Role.OPERATOR}), None, "operator-token")
    if need is Need.OPERATOR and not operators and request.remote_addr in _LOOPBACK:
        # Development: with no operator or metrics token, a loopback client is the operator.
        return Actor(frozenset({Role.OPERATOR}), None, "loopback")
    if need in _PAGE_NEEDS:
        token = str((request.view_args or {}).get("token", ""))
        if not token and request.endpoint in _BEARER_SESSION_ENDPOINTS:
            if not given:
                raise UnauthorizedError("send the page's session token as 'Authorization: Bearer'")
            token = given
        if token:
            return _session_actor(token)
    if need is Need.INGEST_CREDENTIAL:
        tenant = ingest_tenant(header, settings.ingest_tokens)
        if tenant is not None:
            return Actor(frozenset({Role.INGEST}), tenant, "ingest-token")
    return _staff_actor() or Actor()


def _session_actor(token: str) -> Actor:
    """The launch session's actor; the session store's 401 for an unknown or expired one."""
    session = current().sessions.load(token)
    g.rbac_launch = (token, session)  # the page's views take it (web.page_sessions)
    role = Role.INSTRUCTOR if session.staff else Role.LEARNER
    return Actor(
        frozenset({role}),
        session.tenant,
        "lti-session",
        learner_id=session.learner_id,
        context=f"{session.issuer} {session.context_id}",
    )


def _staff_actor() -> Actor | None:
    from attune.gateway.sso.current import signed_in

    principal = signed_in()
    if principal is None:
        return None
    g.rbac_principal = principal  # the console takes it (name, subject) without a reload
    roles = frozenset(Role(r) for r in principal.roles if r in {"instructor", "tenant_admin"})
    return Actor(roles, principal.tenant, "sso") if roles else None
