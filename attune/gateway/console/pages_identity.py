"""Console pages for who may call and who may sign in: the tenant's OAuth clients (list,
create with the secret shown once, revoke) and its identity providers (list, add, remove)."""

from __future__ import annotations

from typing import Any

import structlog
from flask import redirect, request, url_for
from pydantic import ValidationError

from attune.gateway.app import current
from attune.gateway.console.blueprint import console, page
from attune.gateway.errors import NotFoundError
from attune.gateway.oauth.clients import new_client
from attune.gateway.oauth.scopes import SCOPES
from attune.gateway.sso.settings import IdentityProvider
from attune.gateway.sso.wiring import current_sso

log = structlog.get_logger("attune.gateway.console")
FIELD_CHARS = 2000  # one form field; metadata XML may be longer
METADATA_CHARS = 200_000


def _clients_page(tenant: str, status: int = 200, **extra: Any) -> Any:
    clients = sorted(current().store.list_oauth_clients(tenant), key=lambda c: -c.created_at)
    context: dict[str, Any] = {"made": None, "secret": None, "error": "", "form": {}}
    context.update(extra)
    return page(
        "oauth_clients.html", "OAuth clients", status, clients=clients, scopes=SCOPES, **context
    )


@console.get("/oauth-clients")
def oauth_clients(tenant: str) -> Any:
    return _clients_page(tenant, done=request.args.get("done", "")[:80])


@console.post("/oauth-clients")
def create_oauth_client(tenant: str) -> Any:
    """A new client with a secret; the answer is the only place the secret ever appears."""
    gw = current()
    name = request.form.get("name", "").strip()
    scopes = request.form.getlist("scopes")
    try:
        made = new_client(tenant, name, scopes, gw.wall_clock())
    except ValueError as exc:
        form = {"name": name[:FIELD_CHARS], "scopes": scopes}
        return _clients_page(tenant, 400, error=str(exc), form=form)
    gw.store.put_oauth_client(made.client)
    log.info("console.oauth_client_created", client_id=made.client.client_id)
    return _clients_page(tenant, 201, made=made.client, secret=made.secret)


@console.post("/oauth-clients/<client_id>/revoke")
def revoke_oauth_client(tenant: str, client_id: str) -> Any:
    gw = current()
    if not gw.store.revoke_oauth_client(tenant, client_id, gw.wall_clock()):
        raise NotFoundError(f"no active OAuth client {client_id[:64]!r} in {tenant[:64]!r}")
    log.info("console.oauth_client_revoked", client_id=client_id[:64])
    done = f"revoked {client_id[:64]}"
    return redirect(url_for("console.oauth_clients", tenant=tenant, done=done), 303)


def _providers_page(tenant: str, status: int = 200, **extra: Any) -> Any:
    sso = current_sso()
    configured = {p.id for p in sso.settings.providers.get(tenant, [])}
    found = sorted(sso.providers.for_tenant(tenant).values(), key=lambda p: p.id)
    context: dict[str, Any] = {"error": "", "form": {}, "done": ""}
    context.update(extra)
    return page(
        "identity_providers.html",
        "Identity providers",
        status,
        providers=[p.public() for p in found],
        configured=configured,
        base_url=sso.base_url,
        **context,
    )


@console.get("/identity-providers")
def identity_providers(tenant: str) -> Any:
    return _providers_page(tenant, done=request.args.get("done", "")[:80])


def _values(name: str) -> list[str]:
    raw = request.form.get(name, "")[:FIELD_CHARS]
    return [v.strip() for v in raw.split(",") if v.strip()]


def _provider_body() -> dict[str, Any]:
    """The provider the add form describes, as the admin API's JSON shape."""
    form = request.form
    roles = {v: "instructor" for v in _values("instructor_values")}
    roles.update({v: "tenant_admin" for v in _values("admin_values")})
    body: dict[str, Any] = {
        "id": form.get("provider_id", "").strip()[:FIELD_CHARS],
        "protocol": form.get("protocol", ""),
        "name": form.get("name", "")[:FIELD_CHARS],
        "mapping": {
            "role": form.get("role_attribute", "").strip()[:FIELD_CHARS] or "roles",
            "name": form.get("name_attribute", "").strip()[:FIELD_CHARS] or "name",
            "email": form.get("email_attribute", "").strip()[:FIELD_CHARS] or "email",
            "roles": roles,
        },
    }
    if body["protocol"] == "oidc":
        body["issuer"] = form.get("issuer", "").strip()[:FIELD_CHARS]
        body["client_id"] = form.get("client_id", "").strip()[:FIELD_CHARS]
        body["client_secret"] = form.get("client_secret", "")[:FIELD_CHARS]
    else:
        body["entity_id"] = form.get("entity_id", "").strip()[:FIELD_CHARS]
        body["metadata_xml"] = form.get("metadata_xml", "")[:METADATA_CHARS]
    return body


@console.post("/identity-providers")
def add_identity_provider(tenant: str) -> Any:
    body = _provider_body()
    try:
        provider = IdentityProvider.model_validate(body)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "form"
        shown = {k: v for k, v in body.items() if k not in ("client_secret", "metadata_xml")}
        return _providers_page(tenant, 400, error=f"{where}: {first['msg']}", form=shown)
    current_sso().providers.put(tenant, provider)
    log.info("console.identity_provider_saved", provider=provider.id)
    done = f"saved {provider.id}"
    return redirect(url_for("console.identity_providers", tenant=tenant, done=done), 303)


@console.post("/identity-providers/<provider_id>/remove")
def remove_identity_provider(tenant: str, provider_id: str) -> Any:
    if not current_sso().providers.delete(tenant, provider_id):
        raise NotFoundError(f"no admin-added provider {provider_id[:64]!r} in {tenant[:64]!r}")
    log.info("console.identity_provider_removed", provider=provider_id[:64])
    done = f"removed {provider_id[:64]}"
    return redirect(url_for("console.identity_providers", tenant=tenant, done=done), 303)
