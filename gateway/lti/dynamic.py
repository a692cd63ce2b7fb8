"""LTI Dynamic Registration 1.0 (1EdTech): an LMS admin pastes one URL, the platform opens it
with ``openid_configuration`` and ``registration_token``, and the tool registers itself.

The URL is minted per tenant by an Attune admin (``POST /admin/tenants/<t>/registration-urls``
or ``attune gateway registration-url``) and works once, so nobody can register a platform into
a tenant without being given that URL. pylti1p3 has no Dynamic Registration (its issue #70).

Steps (Dynamic Registration §3.3-3.6): fetch the platform's OpenID configuration, check that its
``issuer`` is a prefix of the configuration URL, POST our client registration to its
``registration_endpoint`` with the registration token, store the client id and deployment id
it returns, and ask the platform to close the registration window.
"""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import urlsplit

import requests

from gateway.errors import BadRequestError, PlatformError, UnauthorizedError
from gateway.lti import claims
from gateway.ports import KeyValueStore, Registration, RegistrationStore

TOOL_CONFIG = "https://purl.imsglobal.org/spec/lti-tool-configuration"
PLATFORM_CONFIG = "https://purl.imsglobal.org/spec/lti-platform-configuration"
ENROLL_TTL = 7 * 86400.0
TIMEOUT_S = 10.0
SCOPES = (
    claims.SCOPE_LINEITEM,
    claims.SCOPE_LINEITEM_READONLY,
    claims.SCOPE_RESULT_READONLY,
    claims.SCOPE_SCORE,
    claims.SCOPE_NRPS,
)


def mint_url(store: KeyValueStore, tenant: str, base_url: str) -> str:
    """A one-time registration URL for ``tenant``."""
    token = secrets.token_urlsafe(24)
    store.put("", f"dynreg:{token}", tenant, ENROLL_TTL)
    return f"{base_url}/lti/register/{token}"


def tool_registration(base_url: str) -> dict[str, Any]:
    """The client registration the tool asks for (Dynamic Registration §3.1)."""
    launch = f"{base_url}/lti/launch"
    return {
        "application_type": "web",
        "response_types": ["id_token"],
        "grant_types": ["implicit", "client_credentials"],
        "initiate_login_uri": f"{base_url}/lti/login",
        "redirect_uris": [launch],
        "client_name": "Attune",
        "jwks_uri": f"{base_url}/lti/jwks",
        "token_endpoint_auth_method": "private_key_jwt",
        "scope": " ".join(SCOPES),
        TOOL_CONFIG: {
            "domain": urlsplit(base_url).netloc,
            "description": "Adaptive practice with mastery-based grades",
            "target_link_uri": launch,
            "claims": ["iss", "sub", "name", "given_name", "family_name"],
            "messages": [
                {
                    "type": claims.DEEP_LINKING_REQUEST,
                    "target_link_uri": launch,
                    "label": "Attune adaptive activity",
                },
                {"type": claims.RESOURCE_LINK_REQUEST, "target_link_uri": launch},
            ],
        },
    }


def register(
    store: KeyValueStore,
    registrations: RegistrationStore,
    enrollment: str,
    openid_configuration: str,
    registration_token: str,
    base_url: str,
    http: requests.Session | None = None,
) -> Registration:
    """Run the registration; the stored registration."""
    tenant = store.get("", f"dynreg:{enrollment}")
    if tenant is None:
        raise UnauthorizedError("this registration URL is unknown, expired or already used")
    if not openid_configuration.startswith(("https://", "http://")):
        raise BadRequestError("openid_configuration must be an http(s) URL")
    http = http or requests.Session()
    config = _get_json(http, openid_configuration)
    issuer = str(config.get("issuer", ""))
    if not issuer or not openid_configuration.startswith(issuer):
        raise BadRequestError(
            f"the platform's issuer {issuer!r} is not a prefix of {openid_configuration!r}"
        )
    for field in ("authorization_endpoint", "token_endpoint", "jwks_uri", "registration_endpoint"):
        if not config.get(field):
            raise BadRequestError(f"the platform's OpenID configuration has no {field}")
    headers = {"Authorization": f"Bearer {registration_token}"} if registration_token else {}
    try:
        reply = http.post(
            config["registration_endpoint"],
            json=tool_registration(base_url),
            headers=headers,
            timeout=TIMEOUT_S,
        )
    except requests.RequestException as exc:
        raise PlatformError(f"registration endpoint unreachable: {exc}", retryable=True) from exc
    if not reply.ok:
        raise PlatformError(
            f"the platform refused the registration ({reply.status_code}): {reply.text[:300]}",
            retryable=False,
        )
    body = reply.json()
    deployment = str((body.get(TOOL_CONFIG) or {}).get("deployment_id", ""))
    registration = Registration(
        tenant=str(tenant),
        issuer=issuer,
        client_id=str(body["client_id"]),
        auth_login_url=str(config["authorization_endpoint"]),
        auth_token_url=str(config["token_endpoint"]),
        key_set_url=str(config["jwks_uri"]),
        auth_audience=str(config.get("authorization_server", "")),
        name=str((config.get(PLATFORM_CONFIG) or {}).get("product_family_code", "")),
        deployment_ids=(deployment,) if deployment else (),
    )
    if store.take("", f"dynreg:{enrollment}") is None:
        raise UnauthorizedError("this registration URL was used concurrently")
    registrations.put_registration(registration)
    return registration


def _get_json(http: requests.Session, url: str) -> dict[str, Any]:
    try:
        response = http.get(url, timeout=TIMEOUT_S)
        response.raise_for_status()
        body = response.json()
    except (requests.RequestException, ValueError) as exc:
        raise BadRequestError(f"cannot read the platform's OpenID configuration: {exc}") from exc
    if not isinstance(body, dict):
        raise BadRequestError("the platform's OpenID configuration is not a JSON object")
    return body
