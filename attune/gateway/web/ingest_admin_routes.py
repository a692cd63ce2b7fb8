"""The admin side of ingestion (``Authorization: Bearer <ATTUNE_GATEWAY__ADMIN_TOKEN>``): which
course item each inbound activity id is, per tenant.

``PUT /admin/tenants/<t>/activity-map`` replaces the map with a JSON object
``{"<activity IRI>": {"course_id": ..., "item_id": ...}, ...}``; every IRI, and every course
and item (asked of the engine), is checked first, so a refused map changes nothing. ``GET``
returns the map in the same shape. Our own item IRIs map without an entry.
"""

from __future__ import annotations

from typing import Any

import structlog
from flask import Blueprint, jsonify

from attune.gateway.app import current
from attune.gateway.errors import (
    BadRequestError,
    NotFoundError,
    UnknownTenantError,
)
from attune.gateway.ingest import Ingestor, InvalidInputError, parse_activity_map
from attune.gateway.ingest.activity_map import activity_map_json
from attune.gateway.web.credentials import require_admin
from attune.gateway.web.json_body import json_or_none

ingest_admin = Blueprint("ingest_admin", __name__, url_prefix="/admin")
log = structlog.get_logger("attune.gateway.admin")


ingest_admin.before_request(require_admin)


def _ingestor() -> Ingestor:
    gw = current()
    return Ingestor(gw.store, gw.engine, gw.courses)


@ingest_admin.get("/tenants/<tenant>/activity-map")
def get_activity_map(tenant: str) -> Any:
    return jsonify(activity_map_json(_ingestor().activity_map(tenant)))


@ingest_admin.put("/tenants/<tenant>/activity-map")
def put_activity_map(tenant: str) -> Any:
    body = json_or_none()
    try:
        mapping = parse_activity_map(body)
    except InvalidInputError as exc:
        raise BadRequestError(exc.reason) from exc
    ingestor = _ingestor()
    for activity, ref in mapping.items():
        try:
            missing = ingestor.missing_item(tenant, ref)
        except UnknownTenantError as exc:
            # The operator named a tenant this gateway holds no engine credential for: a
            # request about an unknown tenant (404), not an outage.
            raise NotFoundError(
                f"tenant {tenant[:64]!r} has no engine credential, so its courses cannot be "
                "checked; set ATTUNE_GATEWAY__ENGINE_TOKENS for it first"
            ) from exc
        if missing:
            raise BadRequestError(f"{activity}: {missing}")
    ingestor.put_activity_map(tenant, mapping)
    log.info("admin.activity_map.put", entries=len(mapping))
    return jsonify(activity_map_json(mapping))
