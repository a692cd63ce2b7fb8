"""The pages' sessions and rosters: a page's session token, staff-only pages, and the roster
of the instructor's LMS context (synced with NRPS), shared by the page routes."""

from __future__ import annotations

from typing import Any

import structlog
from flask import g

from attune.gateway.app import current
from attune.gateway.sessions import LaunchSession

ROSTER_TTL = 30 * 86400.0


def page_session(token: str) -> LaunchSession:
    """The session behind a page's token (the tenant bound to the log context). The RBAC
    hook (gateway.rbac) loaded it and decided the caller's role; it is taken from there."""
    cached = g.get("rbac_launch")
    session = cached[1] if cached is not None and cached[0] == token else None
    if session is None:
        session = current().sessions.load(token)
    structlog.contextvars.bind_contextvars(tenant=session.tenant)
    return session


def staff_session(token: str) -> LaunchSession:
    """The session of a staff page. Only a staff launch gets here: the RBAC hook refuses a
    learner's session (403, naming role instructor) before the view runs."""
    return page_session(token)


def roster_key(session: LaunchSession) -> str:
    return f"roster:{session.issuer}:{session.context_id}"


def roster_of(session: LaunchSession) -> list[dict[str, Any]]:
    """The synced roster of the session's LMS context (empty before the first sync)."""
    roster: list[dict[str, Any]] = current().store.get(session.tenant, roster_key(session)) or []
    return roster


def roster_ids(session: LaunchSession) -> set[str]:
    return {m["learner_id"] for m in roster_of(session)}
