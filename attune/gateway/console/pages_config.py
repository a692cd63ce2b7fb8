"""Console pages for a tenant's plumbing: the overview, LTI registrations and Dynamic
Registration URLs, LRS targets and both outboxes (dead letters and their replay)."""

from __future__ import annotations

import time
from typing import Any

import structlog
from flask import redirect, request, url_for

from attune.gateway.app import current
from attune.gateway.console.blueprint import console, page
from attune.gateway.console.pages_changes import lrs_page
from attune.gateway.errors import BadRequestError, NotFoundError
from attune.gateway.lti.dynamic import mint_url

log = structlog.get_logger("attune.gateway.console")
MAX_ROW_ID = 2**63 - 1  # a larger id names no row (SQLite and Redis ids are signed 64-bit)


@console.get("/")
def overview(tenant: str) -> Any:
    gw = current()
    return page(
        "overview.html",
        "Overview",
        registrations=len(gw.store.list_registrations(tenant)),
        targets=len(gw.statements.targets(tenant)),
        statements=gw.statements.counts(tenant),
        clients=sum(1 for c in gw.store.list_oauth_clients(tenant) if c.active),
        has_engine=gw.settings.serves_tenant(tenant),
    )


@console.get("/registrations")
def registrations(tenant: str) -> Any:
    gw = current()
    return page(
        "registrations.html",
        "LTI registrations",
        registrations=gw.store.list_registrations(tenant),
        has_engine=gw.settings.serves_tenant(tenant),
        new_url="",
        done=request.args.get("done", "")[:80],
    )


@console.post("/registration-urls")
def new_registration_url(tenant: str) -> Any:
    """A one-time Dynamic Registration URL, shown on the page that answers."""
    gw = current()
    if not gw.settings.serves_tenant(tenant):
        raise BadRequestError(f"tenant {tenant[:64]!r} has no engine credential configured")
    url = mint_url(gw.store, tenant, gw.base_url)
    log.info("console.registration_url_issued")
    return page(
        "registrations.html",
        "LTI registrations",
        registrations=gw.store.list_registrations(tenant),
        has_engine=True,
        new_url=url,
    )


@console.get("/lrs")
def lrs(tenant: str) -> Any:
    """LRS targets (secrets masked) with the add-or-replace form, the statement outbox's
    counts and dead letters, and the grade outbox's dead letters."""
    return lrs_page(tenant, done=request.args.get("done", "")[:80])


@console.post("/statements/<int:row_id>/replay")
def replay_statement(tenant: str, row_id: int) -> Any:
    if row_id > MAX_ROW_ID or not current().statements.replay(tenant, row_id, time.time()):
        raise NotFoundError(f"no dead-letter statement {row_id} in tenant {tenant[:64]!r}")
    log.info("console.statement_replayed", row_id=row_id)
    return redirect(url_for("console.lrs", tenant=tenant, done=f"statement {row_id}"), 303)


@console.post("/grades/<int:item_id>/replay")
def replay_grade(tenant: str, item_id: int) -> Any:
    if item_id > MAX_ROW_ID or not current().store.replay(tenant, item_id, time.time()):
        raise NotFoundError(f"no dead-letter grade {item_id} in tenant {tenant[:64]!r}")
    log.info("console.grade_replayed", item_id=item_id)
    return redirect(url_for("console.lrs", tenant=tenant, done=f"grade {item_id}"), 303)
