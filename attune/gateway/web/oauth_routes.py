"""Partner apps' OAuth 2.0 (issue 16 part 1): the token endpoint and the authorization server
metadata (public), and the admin routes for a tenant's clients (the admin credential, as every
``/admin`` route; the admin console calls them)."""

from __future__ import annotations

from typing import Any

import structlog
from flask import Blueprint, Response, current_app, jsonify, request

from attune.gateway.app import current
from attune.gateway.errors import BadRequestError, NotFoundError
from attune.gateway.oauth.clients import AUTH_METHODS_ALL, client_to_json, new_client
from attune.gateway.oauth.scopes import SCOPES
from attune.gateway.oauth.server import (
    TOKEN_PATH,
    PartnerAuthorizationServer,
    build_authorization_server,
)
from attune.gateway.web.credentials import require_admin
from attune.gateway.web.json_body import json_or_none
from attune.gateway.web.limit_keys import claimed_client_id, client_tenant, malformed_basic

oauth = Blueprint("oauth", __name__)
oauth_admin = Blueprint("oauth_admin", __name__, url_prefix="/admin/tenants/<tenant>")
oauth_admin.before_request(require_admin)
log = structlog.get_logger("attune.gateway.oauth")


def authorization_server() -> PartnerAuthorizationServer:
    """The app's authorization server, built on first use."""
    server = current_app.extensions.get("attune.oauth")
    if server is None:
        gw = current()
        server = build_authorization_server(
            gw.store, gw.keys, gw.settings.oauth, gw.base_url, gw.wall_clock
        )
        current_app.extensions["attune.oauth"] = server
    assert isinstance(server, PartnerAuthorizationServer)
    return server


@oauth.post(TOKEN_PATH)
def token() -> Any:
    """RFC 6749 §4.4.2: an access token for a client's own credentials."""
    if not current().settings.oauth.enabled:
        raise NotFoundError("the OAuth token endpoint is turned off (oauth.enabled)")
    if malformed_basic(request.headers.get("Authorization", "")):
        log.info("oauth.token.refused", status=401, reason="malformed_basic")
        refused = jsonify(
            error="invalid_client",
            error_description="the Basic credentials must be base64 of UTF-8 'client_id:secret'",
        )
        refused.headers["WWW-Authenticate"] = 'Basic error="invalid_client"'
        return refused, 401
    # The Flask integration returns a Response (its stubs say the core's tuple).
    response: Any = authorization_server().create_token_response()
    # The client id as claimed (Basic, form or assertion): authenticated when issued.
    client_id = claimed_client_id()
    tenant = client_tenant(current().store, client_id) or ""
    if response.status_code == 200:
        log.info("oauth.token.issued", tenant=tenant, client_id=client_id)
    else:
        log.info("oauth.token.refused", tenant=tenant, status=response.status_code)
    return response


@oauth.get("/.well-known/oauth-authorization-server")
def metadata() -> Response:
    """RFC 8414 §2: where the token endpoint and the keys are, and what is supported."""
    gw = current()
    issuer = gw.settings.oauth.issuer or gw.base_url
    return jsonify(
        issuer=issuer,
        token_endpoint=f"{gw.base_url}{TOKEN_PATH}",
        jwks_uri=f"{gw.base_url}/lti/jwks",
        grant_types_supported=["client_credentials"],
        token_endpoint_auth_methods_supported=list(AUTH_METHODS_ALL),
        token_endpoint_auth_signing_alg_values_supported=["RS256", "ES256"],
        scopes_supported=list(SCOPES),
    )


@oauth_admin.get("/oauth-clients")
def list_clients(tenant: str) -> Any:
    clients = current().store.list_oauth_clients(tenant)
    return jsonify(clients=[client_to_json(c) for c in clients])


@oauth_admin.post("/oauth-clients")
def create_client(tenant: str) -> Any:
    """A new client; its secret is in this response only (it is stored hashed)."""
    body = json_or_none()
    if not isinstance(body, dict):
        raise BadRequestError("the body must be a JSON object")
    with_secret = body.get("secret", True)
    if not isinstance(with_secret, bool):
        raise BadRequestError("secret: true (a client secret) or false (private_key_jwt only)")
    gw = current()
    try:
        made = new_client(
            tenant,
            body.get("name", ""),
            body.get("scopes"),
            gw.wall_clock(),
            jwks=body.get("jwks"),
            with_secret=with_secret,
        )
    except ValueError as exc:
        raise BadRequestError(str(exc)) from exc
    gw.store.put_oauth_client(made.client)
    log.info("oauth.client.created", client_id=made.client.client_id, scopes=made.client.scopes)
    reply = client_to_json(made.client)
    if made.secret is not None:
        reply["client_secret"] = made.secret
    return jsonify(reply), 201


@oauth_admin.delete("/oauth-clients/<client_id>")
def revoke_client(tenant: str, client_id: str) -> Any:
    """Revoke a client: it gets no more tokens (tokens already issued expire on their own,
    within ``oauth.token_ttl_seconds``)."""
    gw = current()
    if not gw.store.revoke_oauth_client(tenant, client_id, gw.wall_clock()):
        raise NotFoundError(f"no active OAuth client {client_id!r} in tenant {tenant!r}")
    log.info("oauth.client.revoked", client_id=client_id)
    return jsonify(revoked=True, client_id=client_id)
