"""The admin surface (``Authorization: Bearer <ATTUNE_GATEWAY__ADMIN_TOKEN>``): platform
registrations per tenant, one-time dynamic-registration URLs, the grade outbox's dead letters,
and key rotation."""

from __future__ import annotations

import time
from typing import Any

import structlog
from flask import Blueprint, jsonify, request

from attune.gateway.app import current
from attune.gateway.errors import BadRequestError, NotFoundError
from attune.gateway.lrs.targets import target_from_json
from attune.gateway.lti.dynamic import mint_url
from attune.gateway.ports import Registration
from attune.gateway.registrations import registration_from_json, registration_to_json
from attune.gateway.web.credentials import require_admin
from attune.gateway.web.json_body import json_or_none

admin = Blueprint("admin", __name__, url_prefix="/admin")
log = structlog.get_logger("attune.gateway.admin")
MAX_ROW_ID = 2**63 - 1  # a larger id names no row (SQLite and Redis ids are signed 64-bit)


admin.before_request(require_admin)


@admin.get("/tenants/<tenant>/registrations")
def list_registrations(tenant: str) -> Any:
    regs = current().store.list_registrations(tenant)
    return jsonify(registrations=[registration_to_json(r) for r in regs])


@admin.put("/tenants/<tenant>/registrations")
def put_registration(tenant: str) -> Any:
    body = json_or_none()
    if not isinstance(body, dict):
        raise BadRequestError("the body must be a JSON object")
    registration = registration_from_json(tenant, body)
    _refuse_other_tenant(registration)
    current().store.put_registration(registration)
    log.info("admin.registration.put", issuer=registration.issuer, client_id=registration.client_id)
    return jsonify(registration_to_json(registration))


@admin.delete("/tenants/<tenant>/registrations")
def delete_registration(tenant: str) -> Any:
    issuer, client_id = request.args.get("issuer", ""), request.args.get("client_id", "")
    if not current().store.delete_registration(tenant, issuer, client_id):
        raise NotFoundError(f"no registration {issuer!r} / {client_id!r} in tenant {tenant!r}")
    return jsonify(deleted=True)


@admin.post("/tenants/<tenant>/registration-urls")
def new_registration_url(tenant: str) -> Any:
    gw = current()
    if not gw.settings.serves_tenant(tenant):
        raise BadRequestError(f"tenant {tenant!r} has no engine credential configured")
    return jsonify(url=mint_url(gw.store, tenant, gw.base_url))


@admin.get("/tenants/<tenant>/outbox")
def list_outbox(tenant: str) -> Any:
    status = request.args.get("status", "dead")
    if status not in ("pending", "dead", "delivered", "superseded"):
        raise BadRequestError(f"status must be pending, dead, delivered or superseded: {status!r}")
    items = current().store.list_items(tenant, status)
    return jsonify(
        items=[
            {
                "id": i.item_id,
                "kind": i.queue,
                "key": i.key,
                "attempts": i.attempts,
                "last_error": i.last_error,
                "payload": i.payload,
            }
            for i in items
        ]
    )


@admin.post("/tenants/<tenant>/outbox/<int:item_id>/replay")
def replay(tenant: str, item_id: int) -> Any:
    if item_id > MAX_ROW_ID or not current().store.replay(tenant, item_id, time.time()):
        raise NotFoundError(f"no dead-letter item {item_id} in tenant {tenant!r}")
    return jsonify(replayed=item_id)


@admin.post("/keys/rotate")
def rotate_keys() -> Any:
    key = current().keys.rotate()
    log.info("admin.keys.rotated", kid=key.kid)
    return jsonify(kid=key.kid)


def _refuse_other_tenant(registration: Registration) -> None:
    found = current().store.find_registration(registration.issuer, registration.client_id)
    if found is not None and found.tenant != registration.tenant:
        raise BadRequestError(
            "this issuer and client id are registered to another tenant; delete it there first"
        )


# -- learning record stores (issue 7) ------------------------------------------------------


@admin.get("/tenants/<tenant>/lrs")
def list_lrs(tenant: str) -> Any:
    gw = current()
    return jsonify(
        targets=[t.public() for t in gw.statements.targets(tenant)],
        statements=gw.statements.counts(tenant),
    )


@admin.put("/tenants/<tenant>/lrs/<name>")
def put_lrs(tenant: str, name: str) -> Any:
    gw = current()
    body = json_or_none()
    if not isinstance(body, dict):
        raise BadRequestError("the body must be a JSON object")
    target = target_from_json(tenant, name, body, gw.base_url)
    gw.statements.put_target(target)
    log.info("admin.lrs.put", target=name, url=target.url, kind=target.kind)
    return jsonify(target.public())


@admin.delete("/tenants/<tenant>/lrs/<name>")
def delete_lrs(tenant: str, name: str) -> Any:
    if not current().statements.delete_target(tenant, name):
        raise NotFoundError(f"no LRS target {name!r} in tenant {tenant!r}")
    return jsonify(deleted=True)


@admin.get("/tenants/<tenant>/statements")
def list_statements(tenant: str) -> Any:
    status = request.args.get("status", "dead")
    if status not in ("pending", "dead", "delivered"):
        raise BadRequestError(f"status must be pending, dead or delivered: {status!r}")
    rows = current().statements.list_statements(tenant, status)
    return jsonify(
        statements=[
            {
                "id": q.row_id,
                "target": q.target,
                "statement_id": q.statement_id,
                "attempts": q.attempts,
                "last_error": q.last_error,
                "body": q.body,
            }
            for q in rows
        ]
    )


@admin.post("/tenants/<tenant>/statements/<int:row_id>/replay")
def replay_statement(tenant: str, row_id: int) -> Any:
    if row_id > MAX_ROW_ID or not current().statements.replay(tenant, row_id, time.time()):
        raise NotFoundError(f"no dead-letter statement {row_id} in tenant {tenant!r}")
    return jsonify(replayed=row_id)
