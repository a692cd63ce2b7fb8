"""The OpenAPI description of the staff sign-in routes (issue 16 part 2). Part of
:func:`attune.gateway.web.openapi.openapi_document`."""

from __future__ import annotations

from attune.gateway.web.openapi import (
    _ADMIN,
    _TENANT,
    Json,
    _form,
    _json_body,
    _json_ok,
    _op,
    _path_param,
    _query,
    _redirect,
    _responses,
)

_PROVIDER = _path_param("provider_id", "The identity provider's id in the tenant's allow-list")
_SIGN_IN_ERRORS = (400, 401, 403, 404, 429, 502)
_ADMIN_ERRORS = (400, 401, 403, 404, 409, 411, 413, 415, 429)


def _admin(summary: str, *params: Json, body: bool = False) -> Json:
    op = _op(
        summary,
        _responses("json", {200: _json_ok()}, _ADMIN_ERRORS),
        parameters=[_TENANT, *params],
        security=_ADMIN,
    )
    if body:
        op["requestBody"] = _json_body()
    return op


def sso_paths() -> Json:
    """The sign-in routes and their admin routes."""
    admin = "/admin/tenants/{tenant}/sso"
    return {
        "/sso/{tenant}/login/{provider_id}": {
            "get": _op(
                "Start a staff sign-in with an allowed identity provider (OIDC or SAML)",
                _responses("html", {302: _redirect()}, _SIGN_IN_ERRORS),
                parameters=[_TENANT, _PROVIDER, _query("next", "A path to open afterwards")],
            )
        },
        "/sso/{tenant}/oidc/callback": {
            "get": _op(
                "The OIDC redirect_uri: the authorization code and state (OIDC Core 3.1.2.5)",
                _responses("html", {303: _redirect()}, _SIGN_IN_ERRORS),
                parameters=[
                    _TENANT,
                    _query("state", "The state sent with the authorization request"),
                    _query("code", "The authorization code"),
                    _query("error", "The provider's error code"),
                ],
            )
        },
        "/sso/{tenant}/saml/metadata": {
            "get": _op(
                "The tenant's SAML service provider metadata",
                {
                    "200": {
                        "description": "OK",
                        "content": {"application/samlmetadata+xml": {"schema": {"type": "string"}}},
                    },
                    **_responses("html", {}, (404, 429, 502)),
                },
                parameters=[_TENANT],
            )
        },
        "/sso/{tenant}/saml/acs": {
            "post": _op(
                "The SAML assertion consumer service (HTTP-POST binding)",
                _responses("html", {303: _redirect()}, (*_SIGN_IN_ERRORS, 411, 413)),
                parameters=[_TENANT],
                requestBody=_form(
                    {"SAMLResponse": {"type": "string"}, "RelayState": {"type": "string"}},
                    ["SAMLResponse"],
                ),
            )
        },
        "/sso/me": {
            "get": _op(
                "The signed-in staff member (the session cookie)",
                _responses("json", {200: _json_ok()}, (401, 429)),
            )
        },
        "/sso/logout": {
            "post": _op(
                "Sign out: end this browser's staff session",
                _responses("json", {200: _json_ok()}, (429,)),
            )
        },
        f"{admin}/providers": {"get": _admin("The tenant's identity providers")},
        f"{admin}/providers/{{provider_id}}": {
            "put": _admin("Add or replace an identity provider", _PROVIDER, body=True),
            "delete": _admin("Remove an admin-added identity provider", _PROVIDER),
        },
        f"{admin}/sessions/revoke": {
            "post": _admin("Revoke one staff session or every session of a subject", body=True)
        },
    }
