"""Admin JSON routes for a tenant's identity providers and staff sessions (the admin token,
or a signed-in tenant administrator of that tenant):

- ``GET /admin/tenants/<t>/sso/providers``: the allow-list (secrets left out).
- ``PUT /admin/tenants/<t>/sso/providers/<id>``: add or replace one (the body is an
  :class:`~attune.gateway.sso.settings.IdentityProvider` without its ``id``).
- ``DELETE /admin/tenants/<t>/sso/providers/<id>``.
- ``POST /admin/tenants/<t>/sso/sessions/revoke``: ``{"session_id": ...}`` ends one session,
  ``{"subject": ...}`` every session of that person in the tenant.
"""

from __future__ import annotations

import structlog
from flask import Blueprint, Response, jsonify
from pydantic import ValidationError

from attune.gateway.errors import BadRequestError, NotFoundError
from attune.gateway.sso.settings import IdentityProvider
from attune.gateway.sso.wiring import current_sso
from attune.gateway.web.credentials import require_admin
from attune.gateway.web.json_body import json_or_none

sso_admin = Blueprint("sso_admin", __name__, url_prefix="/admin")
sso_admin.before_request(require_admin)
log = structlog.get_logger("attune.gateway.sso")


def _object() -> dict[str, object]:
    body = json_or_none()
    if not isinstance(body, dict):
        raise BadRequestError("body: expected a JSON object")
    return body


@sso_admin.get("/tenants/<tenant>/sso/providers")
def list_providers(tenant: str) -> Response:
    """The tenant's identity providers."""
    found = current_sso().providers.for_tenant(tenant)
    return jsonify(providers=[p.public() for p in found.values()])


@sso_admin.put("/tenants/<tenant>/sso/providers/<provider_id>")
def put_provider(tenant: str, provider_id: str) -> Response:
    """Add or replace an identity provider of the tenant."""
    body = _object()
    try:
        provider = IdentityProvider.model_validate({**body, "id": provider_id})
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "body"
        raise BadRequestError(f"{where}: {first['msg']}") from None
    current_sso().providers.put(tenant, provider)
    log.info("sso.provider_saved", provider=provider.id, protocol=provider.protocol)
    return jsonify(provider.public())


@sso_admin.delete("/tenants/<tenant>/sso/providers/<provider_id>")
def delete_provider(tenant: str, provider_id: str) -> Response:
    """Remove an admin-added identity provider (404 if none)."""
    if not current_sso().providers.delete(tenant, provider_id):
        raise NotFoundError(f"no admin-added provider {provider_id[:64]!r} in {tenant!r}")
    log.info("sso.provider_deleted", provider=provider_id[:64])
    return jsonify(deleted=provider_id)


@sso_admin.post("/tenants/<tenant>/sso/sessions/revoke")
def revoke_sessions(tenant: str) -> Response:
    """End one staff session, or every session of one person, in the tenant."""
    body = _object()
    sessions = current_sso().sessions
    session_id, subject = body.get("session_id"), body.get("subject")
    if isinstance(session_id, str) and 0 < len(session_id) <= 128 and subject is None:
        if not sessions.revoke_session(tenant, session_id):
            raise NotFoundError("no live session with that session_id in this tenant")
        log.info("sso.session_revoked", session_id=session_id)
        return jsonify(revoked="session")
    if isinstance(subject, str) and 0 < len(subject) <= 512 and session_id is None:
        sessions.revoke_subject(tenant, subject)
        log.info("sso.subject_revoked")
        return jsonify(revoked="subject")
    raise BadRequestError("body: give exactly one of session_id or subject (a string)")
