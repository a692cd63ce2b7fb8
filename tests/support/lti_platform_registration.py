"""LTI Dynamic Registration 1.0 on the emulated platform.

The tool reads ``/.well-known/openid-configuration`` (LTI-DR §3.4, OpenID Connect Discovery)
and posts its client registration to ``/register`` with the one-time registration token
(LTI-DR §3.5, RFC 7591). On success the platform adopts the registration: its ``client_id``,
``deployment_id``, tool URLs and granted scopes become the ones launches and tokens use.
"""

from __future__ import annotations

import copy
import secrets
from typing import TYPE_CHECKING, Any

from flask import Flask, Response, jsonify, request

from tests.support.lti_platform_oidc import current_platform
from tests.support.lti_platform_spec import (
    MESSAGE_DEEP_LINKING,
    MESSAGE_RESOURCE_LINK,
    PLATFORM_CONFIGURATION,
    PRODUCT_FAMILY_CODE,
    SERVICE_SCOPES,
    TOOL_CONFIGURATION,
    validate_registration,
)

if TYPE_CHECKING:
    from tests.support.lti_platform import PlatformEmulator


def openid_configuration(platform: PlatformEmulator) -> dict[str, Any]:
    """The platform's discovery document (LTI-DR 1.0 §3.4.1)."""
    return {
        "issuer": platform.discovery_issuer or platform.issuer,
        "authorization_endpoint": platform.auth_login_url,
        "token_endpoint": platform.token_url,
        "token_endpoint_auth_methods_supported": ["private_key_jwt"],
        "token_endpoint_auth_signing_alg_values_supported": ["RS256"],
        "jwks_uri": platform.jwks_url,
        "registration_endpoint": platform.issuer + "/register",
        "scopes_supported": ["openid", *SERVICE_SCOPES],
        "response_types_supported": ["id_token"],
        "subject_types_supported": ["public", "pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "claims_supported": ["iss", "aud", "sub", "name", "given_name", "family_name", "email"],
        PLATFORM_CONFIGURATION: {
            "product_family_code": PRODUCT_FAMILY_CODE,
            "version": "1.0",
            "messages_supported": [
                {"type": MESSAGE_RESOURCE_LINK},
                {"type": MESSAGE_DEEP_LINKING, "placements": ["ContentArea"]},
            ],
        },
    }


def _error(status: int, error: str, description: str) -> Response:
    response = jsonify(error=error, error_description=description)
    response.status_code = status
    return response


def _adopt(platform: PlatformEmulator, body: dict[str, Any], client_id: str, dep: str) -> None:
    tool = body[TOOL_CONFIGURATION]
    deep_link = next(
        (
            m.get("target_link_uri", tool["target_link_uri"])
            for m in tool["messages"]
            if m["type"] == MESSAGE_DEEP_LINKING
        ),
        None,
    )
    requested = set(body.get("scope", " ".join(SERVICE_SCOPES)).split())
    with platform.lock:
        platform.client_id, platform.deployment_id = client_id, dep
        platform.set_tool(
            login_url=body["initiate_login_uri"],
            launch_url=tool["target_link_uri"],
            jwks_url=body["jwks_uri"],
            deep_link_url=deep_link,
        )
        assert platform.tool is not None
        # The registered redirect_uris, not the message URLs, are what /auth may redirect to.
        platform.tool.redirect_uris = set(body["redirect_uris"])
        platform.allowed_scopes = frozenset(requested & set(SERVICE_SCOPES))


def _register() -> Response:
    platform = current_platform()
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or token not in platform.registration_tokens:
        return _error(401, "invalid_token", "a registration_token from this platform is required")
    body: Any = request.get_json(force=True, silent=True)
    problem = validate_registration(body)
    if problem is not None:
        return _error(400, *problem)
    with platform.lock:
        if token not in platform.registration_tokens:
            return _error(401, "invalid_token", "the registration_token was already used")
        # LTI-DR §3.3: the token is good for one registration.
        platform.registration_tokens.discard(token)
        client_id = platform.registered_client_id or "dyn-" + secrets.token_hex(6)
        deployment_id = f"dep-dyn-{len(platform.registrations) + 1}"
        platform.registrations.append(copy.deepcopy(body))
        _adopt(platform, body, client_id, deployment_id)
        granted = " ".join(sorted(platform.allowed_scopes))
    answer = copy.deepcopy(body) | {"client_id": client_id, "scope": granted}
    answer[TOOL_CONFIGURATION]["deployment_id"] = deployment_id
    return jsonify(answer)


def _discovery(platform: PlatformEmulator) -> Response:
    if platform.discovery_reply is not None:
        status, body = platform.discovery_reply
        return Response(body, status=status, content_type="text/plain")
    return jsonify(openid_configuration(platform))


def register(app: Flask, platform: PlatformEmulator) -> None:
    """Add the discovery and registration routes to ``app``."""
    app.add_url_rule(
        "/.well-known/openid-configuration",
        "openid_configuration",
        lambda: _discovery(platform),
    )
    app.add_url_rule("/register", "register", _register, methods=["POST"])
