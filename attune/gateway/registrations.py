"""Registrations as JSON, validated (admin API and CLI share this)."""

from __future__ import annotations

from typing import Any

from attune.gateway.errors import BadRequestError
from attune.gateway.lti.targets import parse_http_url
from attune.gateway.ports import Registration

URL_FIELDS = ("auth_login_url", "auth_token_url", "key_set_url")


def registration_from_json(tenant: str, body: dict[str, Any]) -> Registration:
    """A registration from its JSON; :class:`BadRequestError` naming the first bad field."""
    if not tenant:
        raise BadRequestError("tenant is required")
    values: dict[str, Any] = {}
    for name in ("issuer", "client_id", *URL_FIELDS):
        value = body.get(name)
        if not isinstance(value, str) or not value.strip():
            raise BadRequestError(f"{name} is required (a non-empty string)")
        values[name] = value.strip()
    for name in ("issuer", *URL_FIELDS):
        parse_http_url(values[name], name)  # parsed, not prefix-tested: no userinfo tricks
    deployments = body.get("deployment_ids", [])
    if not isinstance(deployments, list) or not all(isinstance(d, str) and d for d in deployments):
        raise BadRequestError("deployment_ids must be a list of non-empty strings")
    for name in ("auth_audience", "name"):
        if not isinstance(body.get(name, ""), str):
            raise BadRequestError(f"{name} must be a string")
    return Registration(
        tenant=tenant,
        auth_audience=body.get("auth_audience", ""),
        name=body.get("name", ""),
        deployment_ids=tuple(dict.fromkeys(deployments)),
        **values,
    )


def registration_to_json(registration: Registration) -> dict[str, Any]:
    """The JSON form (``deployment_ids`` as a list)."""
    body = {f: getattr(registration, f) for f in Registration.__slots__}
    body["deployment_ids"] = list(registration.deployment_ids)
    return body
