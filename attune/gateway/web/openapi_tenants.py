"""The OpenAPI description of the whole-tenant export and delete (issue 16). Part of
:func:`attune.gateway.web.openapi.openapi_document`."""

from __future__ import annotations

from attune.gateway.web.openapi import _ADMIN, _TENANT, Json, _json_body, _json_ok, _op, _responses


def tenant_paths() -> Json:
    """``/admin/tenants/{tenant}/export`` and ``/delete``."""
    base = "/admin/tenants/{tenant}"
    archive = {200: {"content": {"application/gzip": {"schema": {"type": "string"}}}}}
    confirm = {
        "type": "object",
        "properties": {"confirm_tenant": {"type": "string", "description": "The tenant again"}},
        "required": ["confirm_tenant"],
    }
    return {
        f"{base}/export": {
            "get": _op(
                "The tenant's data from every store, as a .tar.gz (tenant administrators: "
                "their own tenant)",
                _responses("json", archive, (401, 403, 404, 409, 429, 503)),
                parameters=[_TENANT],
                security=_ADMIN,
            )
        },
        f"{base}/delete": {
            "post": _op(
                "Delete the tenant from every store and cache (the admin token only)",
                _responses("json", {200: _json_ok()}, (400, 401, 403, 404, 409, 429, 503)),
                parameters=[_TENANT],
                security=_ADMIN,
                requestBody=_json_body(confirm),
            )
        },
    }
