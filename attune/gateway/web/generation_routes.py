"""Generated items over HTTP (issue 13), on the admin surface
(``Authorization: Bearer <ATTUNE_GATEWAY__ADMIN_TOKEN>``):

- ``POST /admin/tenants/<t>/content/<course>/generate`` with JSON ``{"skill_id", "count",
  "generator": "template" | "model", "template", "level", "subject"}``: generate items for a
  skill; each passes the evaluator or is refused (with the reason), and the admitted ones
  join the course as its next version (the change report names them).
- ``GET /admin/tenants/<t>/content/<course>/generated``: the bank, with each item's
  provenance, verdict and status history.
- ``POST /admin/tenants/<t>/content/<course>/generated/<item>/retire``: retire an item; the
  course's next version leaves it out, for good.
- ``PUT``/``GET /admin/tenants/<t>/terminology/<subject>``: a subject's terminology (YAML or
  JSON: ``subject``, ``terms``, ``avoid``), given to the model with every request.

The model generator is a tenant's OpenAI-compatible server (``ATTUNE_GATEWAY__GENERATORS``),
off unless that tenant's entry enables it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import structlog
from flask import Blueprint, jsonify, request

from attune.content.generation import (
    BankEntry,
    BankError,
    Evaluator,
    ItemGenerator,
    OpenAICompatibleGenerator,
    TemplateGenerator,
    UnknownItemError,
    entry_document,
)
from attune.gateway.app import current
from attune.gateway.errors import BadRequestError, NotFoundError
from attune.gateway.library.generate import generate_items
from attune.gateway.web.content_routes import current_package, publish
from attune.gateway.web.credentials import authorise_admin
from attune.gateway.web.json_body import json_or_none

generation_admin = Blueprint("generation_admin", __name__, url_prefix="/admin")
log = structlog.get_logger("attune.gateway.content")


generation_admin.before_request(authorise_admin)


def _generator(tenant: str, body: dict[str, Any], skill_id: str) -> ItemGenerator:
    kind = body.get("generator", "template")
    if kind == "template":
        template = body.get("template", skill_id)
        if not isinstance(template, str):
            raise BadRequestError("template must be a template name")
        try:
            return TemplateGenerator({skill_id: template})
        except ValueError as exc:
            raise BadRequestError(str(exc)) from exc
    if kind == "model":
        settings = current().settings.generators.get(tenant)
        if settings is None or not settings.enabled:
            raise BadRequestError(
                f"generation with a model is off for tenant {tenant!r} "
                "(ATTUNE_GATEWAY__GENERATORS enables it per tenant)"
            )
        return OpenAICompatibleGenerator(settings)
    raise BadRequestError(f"generator must be 'template' or 'model', not {str(kind)[:40]!r}")


def _int(body: dict[str, Any], name: str, default: int) -> int:
    value = body.get(name, default)
    if not isinstance(value, int) or isinstance(value, bool):
        raise BadRequestError(f"{name} must be a whole number")
    return value


@generation_admin.post("/tenants/<tenant>/content/<course_id>/generate")
def generate(tenant: str, course_id: str) -> Any:
    body = json_or_none()
    if not isinstance(body, dict):
        raise BadRequestError("the body must be a JSON object")
    skill_id = body.get("skill_id")
    if not isinstance(skill_id, str) or not skill_id:
        raise BadRequestError("skill_id is required")
    subject = body.get("subject", "")
    if not isinstance(subject, str):
        raise BadRequestError("subject must be text")
    gw = current()
    package = current_package(tenant, course_id)
    if package.skill(skill_id) is None:
        raise BadRequestError(f"course {course_id!r} has no skill {skill_id!r}")
    terminology = gw.terminology.get(tenant, subject or package.title)
    admitted, refused = generate_items(
        tenant,
        package,
        skill_id=skill_id,
        count=_int(body, "count", 1),
        generator=_generator(tenant, body, skill_id),
        evaluator=Evaluator(terminology=gw.terminology),
        bank=gw.bank,
        level=_int(body, "level", 2),
        subject=subject,
        terminology=terminology,
    )
    outcome = publish(tenant, package, source="generation") if admitted else None
    return jsonify(
        admitted=[_entry_json(e) for e in admitted],
        refused=[{"item": r.item_id, "reason": r.reason} for r in refused],
        report=outcome.report.as_json() if outcome else None,
    )


@generation_admin.get("/tenants/<tenant>/content/<course_id>/generated")
def list_generated(tenant: str, course_id: str) -> Any:
    entries = current().bank.list(tenant, course_id)
    return jsonify(items=[_entry_json(e) for e in entries])


@generation_admin.post("/tenants/<tenant>/content/<course_id>/generated/<item_id>/retire")
def retire(tenant: str, course_id: str, item_id: str) -> Any:
    body = json_or_none() or {}
    reason = body.get("reason", "") if isinstance(body, dict) else ""
    entry = retire_item(tenant, course_id, item_id, by="admin", reason=str(reason)[:300])
    return jsonify(_entry_json(entry))


def retire_item(tenant: str, course_id: str, item_id: str, *, by: str, reason: str) -> BankEntry:
    """Retire a generated item and publish the course without it."""
    gw = current()
    found = gw.bank.get(tenant, item_id)
    if found is None or found.generated.course_id != course_id:
        raise NotFoundError(f"no generated item {item_id!r} in course {course_id!r}")
    try:
        entry = gw.bank.set_status(
            tenant, item_id, "retired", by=by, at=datetime.now(UTC), reason=reason
        )
    except (BankError, UnknownItemError) as exc:
        raise BadRequestError(str(exc)) from exc
    publish(tenant, current_package(tenant, course_id), source=f"retired {item_id}")
    log.info("content.retired", tenant=tenant, course_id=course_id, item_id=item_id)
    return entry


@generation_admin.put("/tenants/<tenant>/terminology/<subject>")
def put_terminology(tenant: str, subject: str) -> Any:
    try:
        terminology = current().terminology.put(tenant, subject, request.get_data(cache=False))
    except ValueError as exc:
        raise BadRequestError(f"the terminology was not kept: {exc}") from exc
    return jsonify(subject=subject, terms=len(terminology.terms), avoid=len(terminology.avoid))


@generation_admin.get("/tenants/<tenant>/terminology/<subject>")
def get_terminology(tenant: str, subject: str) -> Any:
    found = current().terminology.get(tenant, subject)
    if found is None:
        raise NotFoundError(f"no terminology for subject {subject!r}")
    return jsonify(subject=found.subject, terms=dict(found.terms), avoid=dict(found.avoid))


def _entry_json(entry: BankEntry) -> dict[str, Any]:
    doc = entry_document(entry)
    return {
        "item_id": entry.item_id,
        **{k: doc[k] for k in ("status", "history", "skill_id", "provenance", "item")},
    }
