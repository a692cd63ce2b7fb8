"""The OpenAPI description of the admin console's pages and forms (issue 16 part 5). Part
of :func:`attune.gateway.web.openapi.openapi_document`. Browsers use a staff session of a
tenant administrator (its forms carry ``csrf_token``); scripts may use the admin token."""

from __future__ import annotations

from attune.gateway.web.openapi import (
    _ADMIN,
    _TENANT,
    Json,
    _form,
    _op,
    _path_param,
    _query,
    _redirect,
    _responses,
)

_PAGE_OK = {200: {"content": {"text/html": {"schema": {"type": "string"}}}}}
_READ_ERRORS = (400, 401, 403, 404, 429, 503)
_CHANGE_ERRORS = (400, 401, 403, 404, 409, 413, 429)
_CSRF = {"csrf_token": {"type": "string", "description": "The page's CSRF token (sessions)"}}


def _page(summary: str, *params: Json) -> Json:
    return {
        "get": _op(
            f"Console: {summary} (HTML)",
            _responses("html", _PAGE_OK, _READ_ERRORS),
            parameters=[_TENANT, *params],
            security=_ADMIN,
        )
    }


def _post(summary: str, ok: dict[int, Json], *params: Json, fields: Json | None = None) -> Json:
    responses = _responses("html", {c: v for c, v in ok.items() if c != 201}, _CHANGE_ERRORS)
    if 201 in ok:
        responses["201"] = {"description": "Created", **ok[201]}
    return {
        "post": _op(
            f"Console: {summary}",
            responses,
            parameters=[_TENANT, *params],
            requestBody={**_form({**_CSRF, **(fields or {})}, []), "required": False},
            security=_ADMIN,
        )
    }


def _text(description: str) -> Json:
    return {"type": "string", "description": description}


def console_paths() -> Json:
    """The console's pages and its forms' targets."""
    base = "/console/{tenant}"
    row = _path_param("row_id", "A dead statement's id", {"type": "integer", "minimum": 0})
    item = _path_param("item_id", "A dead grade's id", {"type": "integer", "minimum": 0})
    client = _path_param("client_id", "The OAuth client's id")
    provider = _path_param("provider_id", "The identity provider's id")
    see_other = {303: _redirect()}
    name = _path_param("name", "The LRS target's name")
    edit = _query("edit", "A target whose settings fill the form (secrets left out)")
    target_fields = {
        field: _text(field)
        for field in (
            "name", "url", "kind", "auth", "username", "password", "token", "token_url",
            "client_id", "client_secret", "scope", "xapi_version", "home_page",
            "activity_base", "share_identity", "enabled",
        )
    }  # fmt: skip
    audit_filters = [
        _query(name, f"Audit search filter {name} (as GET /admin/tenants/<t>/audit)")
        for name in ("actor", "action", "learner_id", "since", "until", "after", "limit")
    ]
    provider_fields = {
        name: _text(name)
        for name in (
            "provider_id", "protocol", "name", "issuer", "client_id", "client_secret",
            "entity_id", "metadata_xml", "role_attribute", "instructor_values",
            "admin_values", "name_attribute", "email_attribute",
        )
    }  # fmt: skip
    return {
        f"{base}/": _page("the tenant's overview"),
        f"{base}/registrations": _page("LTI registrations"),
        f"{base}/registration-urls": _post(
            "a one-time Dynamic Registration URL, shown on the page", _PAGE_OK
        ),
        f"{base}/registrations/delete": {
            **_page(
                "confirm deleting an LTI registration",
                _query("issuer", "The platform's issuer"),
                _query("client_id", "The client id the platform gave"),
            ),
            **_post(
                "delete an LTI registration (the confirmation page's form)",
                see_other,
                fields={
                    "issuer": _text("The platform's issuer"),
                    "client_id": _text("The client id"),
                    "confirm": _text("yes"),
                },
            ),
        },
        f"{base}/lrs": _page("LRS targets and the outboxes' dead letters", edit),
        f"{base}/lrs/targets": _post(
            "create or replace an LRS target (as PUT /admin/tenants/<t>/lrs/<name>)",
            see_other,
            fields=target_fields,
        ),
        f"{base}/lrs/targets/{{name}}/delete": _post("delete an LRS target", see_other, name),
        f"{base}/statements/{{row_id}}/replay": _post("replay a dead statement", see_other, row),
        f"{base}/grades/{{item_id}}/replay": _post("replay a dead grade", see_other, item),
        f"{base}/oauth-clients": {
            **_page("OAuth clients"),
            **_post(
                "create an OAuth client; its secret is on this answer only",
                {201: _PAGE_OK[200]},
                fields={"name": _text("A name"), "scopes": _text("A scope (repeated)")},
            ),
        },
        f"{base}/oauth-clients/{{client_id}}/revoke": _post(
            "revoke an OAuth client", see_other, client
        ),
        f"{base}/identity-providers": {
            **_page("identity providers"),
            **_post("add or replace an identity provider", see_other, fields=provider_fields),
        },
        f"{base}/identity-providers/{{provider_id}}/remove": _post(
            "remove an admin-added identity provider", see_other, provider
        ),
        f"{base}/courses": _page("courses, content versions and imports"),
        f"{base}/audit": _page("search the audit trail", *audit_filters),
    }
