"""The OpenAPI description of the OAuth routes (gateway/web/oauth_routes.py)."""

from __future__ import annotations

from typing import Any

Json = dict[str, Any]
_ADMIN: list[Json] = [{"adminToken": []}]
_OAUTH_ERROR: Json = {
    "type": "object",
    "required": ["error"],
    "properties": {"error": {"type": "string"}, "error_description": {"type": "string"}},
}


def _json(description: str, schema: Json | None = None) -> Json:
    return {
        "description": description,
        "content": {"application/json": {"schema": schema or {"type": "object"}}},
    }


def _admin_errors(*codes: int) -> Json:
    error = {"$ref": "#/components/schemas/Error"}
    why = {400: "Malformed input, named", 401: "No or a bad admin credential", 404: "Not found"}
    why |= {411: "A body without a declared length", 413: "The body is too large"}
    why |= {429: "Rate limited; retry after the Retry-After seconds"}
    return {str(c): _json(why[c], error) for c in codes}


def oauth_paths() -> Json:
    """Paths of the token endpoint, the server metadata and the clients' admin routes."""
    tenant = {"name": "tenant", "in": "path", "required": True, "schema": {"type": "string"}}
    client_id = {**tenant, "name": "client_id"}
    form = {
        "type": "object",
        "required": ["grant_type"],
        "properties": {
            "grant_type": {"type": "string", "enum": ["client_credentials"]},
            "scope": {"type": "string", "description": "Space-separated scopes"},
            "client_id": {"type": "string"},
            "client_secret": {"type": "string"},
            "client_assertion_type": {"type": "string"},
            "client_assertion": {"type": "string", "description": "private_key_jwt"},
        },
    }
    token = {
        "summary": "An access token for a partner app (client credentials, RFC 6749 §4.4); "
        "the client authenticates with Basic auth, client_secret in the form, or a "
        "private_key_jwt assertion (RFC 7523)",
        "requestBody": {
            "required": True,
            "content": {"application/x-www-form-urlencoded": {"schema": form}},
        },
        "responses": {
            "200": _json("The access token (a JWT, RFC 9068)"),
            "400": _json("invalid_request, invalid_scope, unsupported_grant_type", _OAUTH_ERROR),
            "401": _json("invalid_client", _OAUTH_ERROR),
            "404": _json("The token endpoint is turned off"),
            "411": _json("A body without a declared length"),
            "413": _json("The body is too large"),
            "429": _json("Rate limited; retry after the Retry-After seconds"),
        },
    }
    admin = {"security": _ADMIN}
    return {
        "/oauth/token": {"post": token},
        "/.well-known/oauth-authorization-server": {
            "get": {
                "summary": "Authorization server metadata (RFC 8414)",
                "responses": {"200": _json("The metadata")},
            }
        },
        "/admin/tenants/{tenant}/oauth-clients": {
            "get": {
                **admin,
                "summary": "The tenant's OAuth clients (never their secrets)",
                "parameters": [tenant],
                "responses": {"200": _json("The clients"), **_admin_errors(401, 429)},
            },
            "post": {
                **admin,
                "summary": "Create a client: name, scopes, optional jwks (private_key_jwt), "
                "secret (default true); the secret is in this response only",
                "parameters": [tenant],
                "requestBody": {"content": {"application/json": {"schema": {"type": "object"}}}},
                "responses": {
                    "201": _json("The client and its secret"),
                    **_admin_errors(400, 401, 411, 413, 429),
                },
            },
        },
        "/admin/tenants/{tenant}/oauth-clients/{client_id}": {
            "delete": {
                **admin,
                "summary": "Revoke a client: it gets no more tokens",
                "parameters": [tenant, client_id],
                "responses": {"200": _json("Revoked"), **_admin_errors(401, 404, 429)},
            }
        },
    }
