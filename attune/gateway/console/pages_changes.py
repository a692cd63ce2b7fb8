"""Console changes to a tenant's plumbing: create, replace and delete an LRS target (the
admin API's validation, :func:`attune.gateway.lrs.targets.target_from_json`), and delete an
LTI registration after a confirmation page.

Secrets (a basic password, a bearer token, an OAuth client secret) are never sent back: the
page shows whether one is stored, a form re-shown after an error leaves them empty, and a
replacement that leaves one empty keeps the stored one (same target, same auth kind)."""

from __future__ import annotations

import re
from typing import Any

import structlog
from flask import redirect, request, url_for

from attune.gateway.app import current
from attune.gateway.console.blueprint import console, page
from attune.gateway.errors import BadRequestError, NotFoundError
from attune.gateway.lrs.targets import LrsTarget, target_from_json

log = structlog.get_logger("attune.gateway.console")
FIELD_CHARS = 2000
SHOWN = 100  # dead letters listed per outbox
NAME = re.compile(r"[A-Za-z0-9_.-]{1,64}")
SECRETS = ("password", "token", "client_secret")
_TEXT = ("url", "username", "token_url", "client_id", "scope", "home_page", "activity_base")
_CHOICES = {"kind": "xapi", "auth": "basic", "xapi_version": "1.0.3"}


def lrs_page(tenant: str, status: int = 200, **extra: Any) -> Any:
    """The LRS page: targets (secrets masked), the outboxes' counts and dead letters, and the
    add-or-replace form (``form``: what was typed, secrets left out; ``error``)."""
    gw = current()
    context: dict[str, Any] = {"error": "", "form": {}, "done": ""}
    context.update(extra)
    targets = gw.statements.targets(tenant)
    editing = request.args.get("edit", "") if request.method == "GET" else ""
    for target in targets:  # "Edit": the form filled with the target, secrets left out
        if editing and target.name == editing and not context["form"]:
            context["form"] = {k: v for k, v in target.public().items() if k not in SECRETS}
    return page(
        "lrs.html",
        "LRS targets and outboxes",
        status,
        targets=[_row(t) for t in targets],
        counts=gw.statements.counts(tenant),
        statements=gw.statements.list_statements(tenant, "dead", SHOWN),
        grades=list(gw.store.list_items(tenant, "dead"))[:SHOWN],
        **context,
    )


def _row(target: LrsTarget) -> dict[str, Any]:
    row = target.public()
    row["secrets"] = [s for s in SECRETS if getattr(target, s)]
    return row


def _form_body(stored: LrsTarget | None) -> dict[str, Any]:
    """The admin API's JSON body the form describes; empty fields are left out (so the
    API's defaults apply), and an empty secret keeps the stored one of the same auth."""
    form = request.form
    body: dict[str, Any] = {k: form.get(k, v)[:FIELD_CHARS] for k, v in _CHOICES.items()}
    for field in _TEXT:
        value = form.get(field, "").strip()[:FIELD_CHARS]
        if value:
            body[field] = value
    for field in SECRETS:
        value = form.get(field, "")[:FIELD_CHARS]
        if not value and stored is not None and stored.auth == body["auth"]:
            value = getattr(stored, field)
        if value:
            body[field] = value
    body["share_identity"] = form.get("share_identity") == "on"
    body["enabled"] = form.get("enabled") == "on"
    return body


@console.post("/lrs/targets")
def put_lrs_target(tenant: str) -> Any:
    """Create or replace the target named in the form; 400 with the form re-shown (no
    secrets) naming the bad field."""
    gw = current()
    name = request.form.get("name", "").strip()[:FIELD_CHARS]
    stored = {t.name: t for t in gw.statements.targets(tenant)}.get(name)
    body = _form_body(stored)
    shown = {"name": name, **{k: v for k, v in body.items() if k not in SECRETS}}
    try:
        if not NAME.fullmatch(name):
            raise BadRequestError("name must be 1 to 64 letters, digits, '_', '.' or '-'")
        target = target_from_json(tenant, name, body, gw.base_url)
    except BadRequestError as exc:
        return lrs_page(tenant, 400, error=exc.reason, form=shown)
    gw.statements.put_target(target)
    log.info("console.lrs_target_saved", target=name, kind=target.kind, auth=target.auth)
    done = f"{'replaced' if stored else 'added'} {name}"
    return redirect(url_for("console.lrs", tenant=tenant, done=done), 303)


@console.post("/lrs/targets/<name>/delete")
def delete_lrs_target(tenant: str, name: str) -> Any:
    if not current().statements.delete_target(tenant, name):
        raise NotFoundError(f"no LRS target {name[:64]!r} in tenant {tenant[:64]!r}")
    log.info("console.lrs_target_deleted", target=name[:64])
    return redirect(url_for("console.lrs", tenant=tenant, done=f"deleted {name[:64]}"), 303)


def _registration(tenant: str, issuer: str, client_id: str) -> Any:
    for registration in current().store.list_registrations(tenant):
        if registration.issuer == issuer and registration.client_id == client_id:
            return registration
    raise NotFoundError(
        f"no registration {issuer[:200]!r} / {client_id[:200]!r} in tenant {tenant[:64]!r}"
    )


@console.get("/registrations/delete")
def confirm_registration_delete(tenant: str) -> Any:
    """The confirmation step: what would be deleted, and the form that deletes it."""
    args = request.args
    found = _registration(tenant, args.get("issuer", ""), args.get("client_id", ""))
    return page("registration_delete.html", "Delete an LTI registration", registration=found)


@console.post("/registrations/delete")
def delete_registration(tenant: str) -> Any:
    """Delete a registration; the confirmation page's form sends ``confirm=yes``."""
    form = request.form
    issuer, client_id = form.get("issuer", ""), form.get("client_id", "")
    if form.get("confirm") != "yes":
        raise BadRequestError("confirm: open the confirmation page and confirm there")
    _registration(tenant, issuer, client_id)
    if not current().store.delete_registration(tenant, issuer, client_id):
        raise NotFoundError(f"no registration {issuer[:200]!r} / {client_id[:200]!r}")
    log.info("console.registration_deleted", issuer=issuer[:200], client_id=client_id[:200])
    done = f"deleted {client_id[:64]}"
    return redirect(url_for("console.registrations", tenant=tenant, done=done), 303)
