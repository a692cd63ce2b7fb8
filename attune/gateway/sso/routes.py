"""Staff sign-in routes (issue 16 part 2):

- ``GET /sso/<tenant>/login/<provider>?next=/path``: start a sign-in with one of the tenant's
  allowed identity providers (OIDC or SAML).
- ``GET /sso/<tenant>/oidc/callback``: the OIDC redirect_uri (code and state).
- ``GET /sso/<tenant>/saml/metadata``: the tenant's SP metadata.
- ``POST /sso/<tenant>/saml/acs``: the SAML assertion consumer service (HTTP-POST binding).
- ``GET /sso/me``: the signed-in principal as JSON; ``POST /sso/logout``: sign out.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from typing import Any

import structlog
from flask import Blueprint, Response, jsonify, redirect, request
from werkzeug.wrappers import Response as BaseResponse

from attune.gateway.errors import BadRequestError, NotFoundError, UnauthorizedError
from attune.gateway.sso.current import signed_in
from attune.gateway.sso.errors import NotAllowedError, SignInError
from attune.gateway.sso.principal import MappingError, Principal, map_identity
from attune.gateway.sso.settings import IdentityProvider
from attune.gateway.sso.wiring import Sso, current_sso

sso_pages = Blueprint("sso", __name__, url_prefix="/sso")
log = structlog.get_logger("attune.gateway.sso")
_TENANT = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
_LANDING = "/sso/me"


def _tenant(tenant: str) -> str:
    if not _TENANT.fullmatch(tenant):
        raise NotFoundError("no such tenant")
    structlog.contextvars.bind_contextvars(tenant=tenant)
    return tenant


def _next(value: str) -> str:
    """Where to go after signing in: a path on this gateway only (no open redirect)."""
    if value.startswith("/") and not value.startswith(("//", "/\\")) and len(value) <= 512:
        return value
    return _LANDING


def _callback(sso: Sso, tenant: str) -> str:
    return f"{sso.base_url}/sso/{tenant}/oidc/callback"


def _binding(sso: Sso) -> str:
    """The browser's flow-binding cookie value (a new one when it has none)."""
    value = request.cookies.get(sso.flow_cookie, "")
    return value if 20 <= len(value) <= 128 else secrets.token_urlsafe(32)


def _with_binding(sso: Sso, response: BaseResponse, binding: str) -> BaseResponse:
    # SAML answers arrive as a cross-site POST: the binding cookie must travel with it, which
    # needs SameSite=None (and so Secure); plain-http development falls back to Lax.
    secure = sso.settings.cookie_secure
    response.set_cookie(
        sso.flow_cookie,
        binding,
        max_age=sso.settings.flow_seconds,
        path="/",
        secure=secure,
        httponly=True,
        samesite="None" if secure else "Lax",
    )
    return response


@sso_pages.get("/<tenant>/login/<provider_id>")
def login(tenant: str, provider_id: str) -> BaseResponse:
    """Send the browser to the provider with a fresh, browser-bound flow."""
    sso = current_sso()
    provider = sso.providers.get(_tenant(tenant), provider_id)
    binding = _binding(sso)
    common = {"provider": provider.id, "next": _next(request.args.get("next", ""))}
    if provider.protocol == "oidc":
        url, flow = sso.oidc.authorization_url(provider, _callback(sso, tenant))
        sso.flows.begin(
            tenant,
            "oidc:" + flow["state"],
            binding,
            {**common, "nonce": flow["nonce"], "verifier": flow["code_verifier"]},
        )
    else:
        relay = secrets.token_urlsafe(32)
        request_id, url = sso.saml.authn_request(sso.base_url, tenant, provider, relay)
        sso.flows.begin(tenant, "saml:" + relay, binding, {**common, "request_id": request_id})
    log.info("sso.login_started", via=f"{provider.protocol}:{provider.id}")
    response = redirect(url, code=302)
    return _with_binding(sso, response, binding)


@sso_pages.get("/<tenant>/oidc/callback")
def oidc_callback(tenant: str) -> BaseResponse:
    """The authorization response (OIDC Core §3.1.2.5): its flow, the code exchanged, the
    ID token verified, the identity mapped, a session."""
    sso = current_sso()
    _tenant(tenant)
    flow = sso.flows.finish(
        tenant, "oidc:" + request.args.get("state", ""), request.cookies.get(sso.flow_cookie, "")
    )
    provider = sso.providers.get(tenant, str(flow["provider"]))
    if provider.protocol != "oidc":
        raise SignInError("this sign-in was not an OIDC one")
    if "error" in request.args:
        raise SignInError(f"the provider answered error={request.args['error'][:64]!r}")
    code = request.args.get("code", "")
    if not code or len(code) > 2048:
        raise BadRequestError("code: missing or too long")
    token = sso.oidc.exchange(provider, _callback(sso, tenant), code, str(flow["verifier"]))
    id_token = token.get("id_token")
    if not isinstance(id_token, str):
        raise SignInError("the provider's token response has no id_token")
    claims = sso.oidc.verify_id_token(provider, id_token, str(flow["nonce"]))
    return _signed_in(sso, tenant, provider, str(claims.get("sub", "")), claims, flow)


@sso_pages.get("/<tenant>/saml/metadata")
def saml_metadata(tenant: str) -> Response:
    """This tenant's SP metadata, for the IdP's administrators."""
    sso = current_sso()
    xml = sso.saml.metadata(sso.base_url, _tenant(tenant))
    return Response(xml, mimetype="application/samlmetadata+xml")


@sso_pages.post("/<tenant>/saml/acs")
def saml_acs(tenant: str) -> BaseResponse:
    """The assertion consumer service (SAML Bindings §3.5, HTTP-POST)."""
    sso = current_sso()
    _tenant(tenant)
    saml_response = request.form.get("SAMLResponse", "")
    if not saml_response:
        raise BadRequestError("SAMLResponse: missing")
    flow = sso.flows.finish(
        tenant,
        "saml:" + request.form.get("RelayState", ""),
        request.cookies.get(sso.flow_cookie, ""),
    )
    provider = sso.providers.get(tenant, str(flow["provider"]))
    if provider.protocol != "saml":
        raise SignInError("this sign-in was not a SAML one")
    identity = sso.saml.verify(
        sso.base_url, tenant, provider, saml_response, str(flow["request_id"])
    )
    return _signed_in(sso, tenant, provider, identity.subject, identity.attributes, flow)


def _signed_in(
    sso: Sso,
    tenant: str,
    provider: IdentityProvider,
    subject: str,
    claims: dict[str, Any],
    flow: dict[str, Any],
) -> BaseResponse:
    try:
        principal = map_identity(tenant, provider, subject, claims)
    except MappingError as exc:
        log.info("sso.refused", via=f"{provider.protocol}:{provider.id}", reason=str(exc))
        raise NotAllowedError(str(exc)) from exc
    old = request.cookies.get(sso.session_cookie, "")
    if old:
        sso.sessions.revoke(old)  # a new sign-in replaces the browser's old session
    token, principal = sso.sessions.create(principal)
    log.info(
        "sso.signed_in",
        via=principal.via,
        roles=list(principal.roles),
        subject=_pseudonym(principal),
        session_id=principal.session_id,
    )
    response = redirect(_next(str(flow.get("next", ""))), code=303)
    set_session_cookie(sso, response, token)
    response.delete_cookie(sso.flow_cookie, path="/", secure=sso.settings.cookie_secure)
    return response


def set_session_cookie(sso: Sso, response: BaseResponse, token: str) -> None:
    """The staff session cookie: ``Secure`` (unless turned off for plain-http development),
    ``HttpOnly``, ``SameSite=Lax``; on the whole gateway; no longer than the session."""
    response.set_cookie(
        sso.session_cookie,
        token,
        max_age=sso.settings.absolute_seconds,
        path="/",
        secure=sso.settings.cookie_secure,
        httponly=True,
        samesite="Lax",
    )


def _pseudonym(principal: Principal) -> str:
    """The subject as logs may carry it (no identifier of the person in the logs)."""
    text = f"{principal.tenant}\n{principal.via}\n{principal.subject}"
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@sso_pages.get("/me")
def me() -> Response:
    """The signed-in principal (401 without a live session)."""
    principal = signed_in()
    if principal is None:
        raise UnauthorizedError("not signed in (or the session expired or was revoked)")
    structlog.contextvars.bind_contextvars(tenant=principal.tenant)
    return jsonify(principal.public())


@sso_pages.post("/logout")
def logout() -> Response:
    """End this browser's session and forget its cookie."""
    sso = current_sso()
    ended = sso.sessions.revoke(request.cookies.get(sso.session_cookie, ""))
    response = jsonify(signed_out=ended)
    response.delete_cookie(
        sso.session_cookie,
        path="/",
        secure=sso.settings.cookie_secure,
        httponly=True,
        samesite="Lax",
    )
    return response
