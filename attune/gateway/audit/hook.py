"""The one place the gateway records its audit trail: an ``after_request`` hook that looks
the request's route up in :data:`gateway.audit.policy.ROUTES`, takes who acted from the
caller the RBAC hook resolved (``flask.g.rbac_actor``: the admin token, a signed-in staff
member, the LTI session behind a page's token), and appends one record. A component that
names the caller otherwise may set ``flask.g.audit_actor`` (a principal string) first.

A read of learner data that cannot be recorded is not delivered (503): the trail is the
condition of the read. A change that was made and cannot be recorded is logged as an error
and answered as it was (it happened; saying otherwise would mislead the caller).
"""

from __future__ import annotations

from typing import Any

import structlog
from flask import Flask, Response, g, jsonify, request

from attune.gateway.audit.policy import ROUTES, Audited
from attune.infra.audit import AuditTrail, open_audit_log

log = structlog.get_logger("attune.gateway.audit")
EXTENSION = "attune.audit"
OPERATOR_TENANT = "_operator"  # the trail of changes that belong to no tenant (key rotation)
REASON_CHARS = 300


def install_audit(app: Flask, trail: AuditTrail | None = None) -> AuditTrail | None:
    """Record the app's audited routes in ``trail`` (default: the store the gateway's
    ``audit`` settings name); ``None`` and nothing recorded when the settings turn it off."""
    from attune.gateway.app import Gateway
    from attune.gateway.audit.routes import audit_admin

    gateway: Gateway = app.extensions["attune"]
    settings = gateway.settings.audit
    app.register_blueprint(audit_admin)
    if not settings.enabled:
        return None
    if trail is None:
        url = settings.store_url or gateway.settings.store_url
        log_store = open_audit_log(url, gateway.settings.data_dir)
        trail = AuditTrail(log_store, settings.retention_days, gateway.wall_clock)
    app.extensions[EXTENSION] = trail
    app.after_request(_record)
    return trail


def audit_trail() -> AuditTrail | None:
    """The trail of the app serving this request, if auditing is on."""
    from flask import current_app

    trail: AuditTrail | None = current_app.extensions.get(EXTENSION)
    return trail


def _record(response: Response) -> Response:
    rule = request.url_rule
    policy = ROUTES.get((request.method, rule.rule)) if rule is not None else None
    status = response.status_code
    if policy is None or not (status < 400 or status == 403):
        return response
    if policy.self_recorded and status < 400:
        return response  # the view recorded what it did
    trail = audit_trail()
    who = _who()
    if trail is None or who is None:
        return response
    tenant, actor = who
    learner_id = str((request.view_args or {}).get("learner_id", ""))
    if actor == f"lti:{learner_id}":
        return response  # a learner reading their own data
    try:
        trail.record(
            tenant=tenant,
            actor=actor,
            action=policy.action,
            source="gateway",
            target=_target(policy, response),
            learner_id=learner_id,
            peer=request.remote_addr or "",
            reason=_reason(policy),
            request_id=str(structlog.contextvars.get_contextvars().get("request_id", "")),
            outcome="ok" if status < 400 else "denied",
            details={
                "method": request.method,
                "route": rule.rule if rule else "",
                "status": status,
            },
        )
        if policy.erases and learner_id:
            trail.log.erase_learner(tenant, learner_id)
    except Exception as exc:  # any store failure is handled the same way
        log.error("audit.write_failed", action=policy.action, error=type(exc).__name__)
        if request.method == "GET" and status < 400:
            reply = jsonify(error="audit_unavailable", reason="the audit trail is unavailable")
            reply.status_code = 503
            return reply
    return response


def _who() -> tuple[str, str] | None:
    """(tenant, actor) of the request, or None when nobody identifiable made it."""
    actor = g.get("rbac_actor")
    name = g.get("audit_actor", "") or _name(actor)
    if request.path.startswith(("/admin/", "/console/")):  # console: issue 16 part 5
        tenant = str((request.view_args or {}).get("tenant", "")) or OPERATOR_TENANT
        return tenant, name
    if actor is None or actor.via != "lti-session" or not actor.tenant:
        return None
    return actor.tenant, name


def _name(actor: Any) -> str:
    """The trail's name of the RBAC hook's caller: ``admin``, ``staff:<via>:<subject>`` for
    a signed-in staff member, ``lti:<learner>`` for a launch session, else how it came."""
    if actor is None or actor.via == "admin-token":
        return "admin"
    principal = g.get("rbac_principal")
    if actor.via == "sso" and principal is not None:
        return f"staff:{principal.via}:{principal.subject}"
    if actor.via == "lti-session":
        return f"lti:{actor.learner_id}"
    return str(actor.via)


def _target(policy: Audited, response: Response) -> str:
    """The target from the view arguments, the query or form, or (``json:``) the JSON the
    route answered with: routes read their bodies as streams, and echo what they stored."""
    args = request.view_args or {}
    body = response.get_json(silent=True) if response.is_json else None
    parts = []
    for name in policy.target:
        if name.startswith("json:"):
            value = body.get(name[5:], "") if isinstance(body, dict) else ""
        elif name.startswith("form:"):
            value = request.form.get(name[5:], "")
        elif name.startswith("arg:"):
            value = request.args.get(name[4:], "")
        else:
            value = args.get(name, "")
        parts.append(str(value))
    return "/".join(parts)


def _reason(policy: Audited) -> str:
    if not policy.reason:
        return ""
    body = request.get_json(silent=True) if request.is_json else None
    if isinstance(body, dict) and isinstance(body.get(policy.reason), str):
        return str(body[policy.reason])[:REASON_CHARS]
    return request.form.get(policy.reason, "")[:REASON_CHARS]
