"""The pages' sessions and rosters: a page's session token, staff-only pages, and the roster
of the instructor's LMS context (synced with NRPS), shared by the page routes."""

from __future__ import annotations

from typing import Any

import structlog

from attune.gateway.app import current
from attune.gateway.errors import ForbiddenError
from attune.gateway.sessions import LaunchSession

ROSTER_TTL = 30 * 86400.0


def page_session(token: str) -> LaunchSession:
    """The session behind a page's token (the tenant bound to the log context)."""
    session = current().sessions.load(token)
    structlog.contextvars.bind_contextvars(tenant=session.tenant)
    return session


def staff_session(token: str) -> LaunchSession:
    """The session of a staff page; 403 for a learner's."""
    session = page_session(token)
    if not session.staff:
        raise ForbiddenError("this page is for the course's instructors")
    return session


def roster_key(session: LaunchSession) -> str:
    return f"roster:{session.issuer}:{session.context_id}"


def roster_of(session: LaunchSession) -> list[dict[str, Any]]:
    """The synced roster of the session's LMS context (empty before the first sync)."""
    roster: list[dict[str, Any]] = current().store.get(session.tenant, roster_key(session)) or []
    return roster


def roster_ids(session: LaunchSession) -> set[str]:
    return {m["learner_id"] for m in roster_of(session)}
