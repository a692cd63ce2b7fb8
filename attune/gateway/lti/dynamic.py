"""LTI Dynamic Registration 1.0 (1EdTech): an LMS admin pastes one URL, the platform opens it
with ``openid_configuration`` and ``registration_token``, and the tool registers itself.

The URL is minted per tenant by an Attune admin (``POST /admin/tenants/<t>/registration-urls``
or ``attune gateway registration-url``) and works once, so nobody can register a platform into
a tenant without being given that URL. pylti1p3 has no Dynamic Registration (its issue #70).

Steps (Dynamic Registration §3.3-3.6): fetch the platform's OpenID configuration, check that its
``issuer`` is an http(s) URL on the same origin as the configuration URL (§3.5.1; parsed, never
a string prefix), POST our client registration to its ``registration_endpoint`` with the
registration token, store the client id and deployment id it returns, and ask the platform to
close the registration window.

What an attacker holding a registration URL cannot do:

- reach the gateway's own network: every URL the gateway fetches must resolve to public
  addresses only (``targets.check_fetchable``; ``allow_private_registration_targets`` lifts it
  for tests), and redirects are not followed;
- learn anything from the reply: a failed fetch or a refused registration says so in a fixed
  sentence and never repeats what the remote sent (the details go to the log);
- take another tenant's platform: an issuer and client id registered in another tenant are
  refused, so a registration never moves between tenants;
- burn the URL: it is used up only by a registration that succeeded.
"""

from __future__ import annotations

import json
import secrets
from typing import Any
from urllib.parse import urlsplit

import requests
import structlog

from attune.gateway.errors import BadRequestError, PlatformError, UnauthorizedError
from attune.gateway.lti import claims
from attune.gateway.lti.targets import (
    Origin,
    Resolver,
    check_fetchable,
    origin_of,
    parse_http_url,
    system_resolver,
)
from attune.gateway.ports import KeyValueStore, Registration, RegistrationStore

PLATFORM_CONFIG = "https://purl.imsglobal.org/spec/lti-platform-configuration"
ENROLL_TTL = 7 * 86400.0
TIMEOUT_S = 10.0
MAX_BODY = 256 * 1024
ENDPOINTS = ("authorization_endpoint", "token_endpoint", "jwks_uri", "registration_endpoint")
FETCHED = ("token_endpoint", "jwks_uri", "registration_endpoint")  # the gateway calls these
CONFIG_UNREADABLE = "cannot read the platform's OpenID configuration at openid_configuration"
log = structlog.get_logger("attune.gateway.lti")
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
        claims.TOOL_CONFIG: {
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
    *,
    allow_private: bool = False,
    http: requests.Session | None = None,
    resolve: Resolver = system_resolver,
) -> Registration:
    """Run the registration; the stored registration. Nothing is stored and the URL stays
    usable unless every step succeeded."""
    tenant = store.get("", f"dynreg:{enrollment}")
    if tenant is None:
        raise UnauthorizedError("this registration URL is unknown, expired or already used")
    tenant = str(tenant)
    structlog.contextvars.bind_contextvars(tenant=tenant)
    config_origin = check_fetchable(
        openid_configuration, "openid_configuration", allow_private, resolve
    )
    http = http or requests.Session()
    config = _get_json(http, openid_configuration)
    issuer = _issuer(config, config_origin)
    endpoints = {name: _endpoint(config, name) for name in ENDPOINTS}
    for name in FETCHED:
        check_fetchable(endpoints[name], f"the platform's {name}", allow_private, resolve)
    reply = _post_registration(
        http, endpoints["registration_endpoint"], registration_token, base_url
    )
    client_id = reply.get("client_id")
    if not isinstance(client_id, str) or not client_id.strip():
        raise PlatformError("the platform's registration reply has no client_id", retryable=False)
    tool_config = reply.get(claims.TOOL_CONFIG)
    deployment = tool_config.get("deployment_id", "") if isinstance(tool_config, dict) else ""
    if not isinstance(deployment, str):
        raise PlatformError("the platform's deployment_id is not a string", retryable=False)
    platform = config.get(PLATFORM_CONFIG)
    name = platform.get("product_family_code", "") if isinstance(platform, dict) else ""
    audience = config.get("authorization_server", "")
    registration = Registration(
        tenant=tenant,
        issuer=issuer,
        client_id=client_id.strip(),
        auth_login_url=endpoints["authorization_endpoint"],
        auth_token_url=endpoints["token_endpoint"],
        key_set_url=endpoints["jwks_uri"],
        auth_audience=audience if isinstance(audience, str) else "",
        name=name if isinstance(name, str) else "",
        deployment_ids=(deployment,) if deployment else (),
    )
    _refuse_other_tenant(registrations, registration)
    if store.take("", f"dynreg:{enrollment}") is None:
        raise UnauthorizedError("this registration URL was used concurrently")
    registrations.put_registration(registration)
    return registration


def _issuer(config: dict[str, Any], config_origin: Origin) -> str:
    """The configuration's issuer, exactly as given, once it is on the configuration URL's
    origin (LTI-DR §3.5.1) and a valid issuer identifier (OIDC Discovery §3: no query or
    fragment)."""
    issuer = config.get("issuer")
    if not isinstance(issuer, str) or not issuer:
        raise BadRequestError("the platform's OpenID configuration has no issuer")
    parts = parse_http_url(issuer, "the platform's issuer")
    if parts.query or parts.fragment:
        raise BadRequestError("the platform's issuer must not have a query or fragment")
    if origin_of(issuer, "the platform's issuer") != config_origin:
        raise BadRequestError(
            "openid_configuration is not on the origin (scheme, host and port) of the "
            "platform's issuer"
        )
    return issuer


def _endpoint(config: dict[str, Any], name: str) -> str:
    value = config.get(name)
    if not isinstance(value, str) or not value:
        raise BadRequestError(f"the platform's OpenID configuration has no {name}")
    parse_http_url(value, f"the platform's {name}")
    return value


def _refuse_other_tenant(registrations: RegistrationStore, registration: Registration) -> None:
    found = registrations.find_registration(registration.issuer, registration.client_id)
    if found is not None and found.tenant != registration.tenant:
        log.warning(
            "lti.registration.other_tenant",
            issuer=registration.issuer,
            client_id=registration.client_id,
            owner=found.tenant,
        )
        raise BadRequestError(
            "this platform's issuer and client id are already registered with Attune; "
            "ask Attune's administrator"
        )


def _post_registration(
    http: requests.Session, endpoint: str, registration_token: str, base_url: str
) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {registration_token}"} if registration_token else {}
    try:
        reply = http.post(
            endpoint,
            json=tool_registration(base_url),
            headers=headers,
            timeout=TIMEOUT_S,
            allow_redirects=False,
            stream=True,
        )
        status = reply.status_code
        body = _json_body(reply) if reply.ok else None
    except (requests.RequestException, ValueError) as exc:
        log.warning("lti.registration.post_failed", error=type(exc).__name__)
        raise PlatformError(
            "the platform's registration endpoint did not answer with a registration",
            retryable=True,
        ) from exc
    if body is None:
        log.warning("lti.registration.refused", status=status)
        raise PlatformError("the platform refused the registration", retryable=False)
    return body


def _get_json(http: requests.Session, url: str) -> dict[str, Any]:
    try:
        response = http.get(url, timeout=TIMEOUT_S, allow_redirects=False, stream=True)
        if not response.ok or response.is_redirect:
            log.warning("lti.registration.config_status", status=response.status_code)
            raise BadRequestError(CONFIG_UNREADABLE)
        body = _json_body(response)
    except (requests.RequestException, ValueError) as exc:
        log.warning("lti.registration.config_failed", error=type(exc).__name__)
        raise BadRequestError(CONFIG_UNREADABLE) from exc
    return body


def _json_body(response: requests.Response) -> dict[str, Any]:
    """A JSON object of at most MAX_BODY bytes (ValueError otherwise)."""
    raw = response.raw.read(MAX_BODY + 1, decode_content=True) if response.raw else b""
    response.close()
    if len(raw) > MAX_BODY:
        raise ValueError("body too large")
    try:
        body = json.loads(raw)
    except RecursionError as exc:
        raise ValueError("JSON nested too deeply") from exc
    if not isinstance(body, dict):
        raise ValueError("not a JSON object")
    return body
