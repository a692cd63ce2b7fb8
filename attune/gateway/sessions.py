"""Launch sessions: what a validated launch lets its browser do afterwards.

A session is an unguessable token (256 random bits) that the pages carry in their URLs and
forms, never in a cookie: inside an LMS iframe third-party cookies are often blocked. The
record behind it lives in the store under the tenant and expires; it names the learner, so a
token can only ever show its own learner's page.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import asdict, dataclass, field
from typing import Any

from attune.gateway.errors import UnauthorizedError
from attune.gateway.ports import KeyValueStore

_INDEX = "session-tenant:"  # token -> tenant, in the "" namespace (the token names no tenant)


@dataclass(frozen=True, slots=True)
class LaunchSession:
    """One learner's (or instructor's) launch into one activity."""

    tenant: str
    issuer: str
    client_id: str
    deployment_id: str
    sub: str  # the platform's user id: used only towards that platform (AGS userId)
    learner_id: str  # the pseudonymous id the engine knows
    course_id: str
    skill_ids: tuple[str, ...]
    staff: bool
    context_id: str = ""
    context_title: str = ""
    resource_link_id: str = ""
    activity_title: str = ""
    lineitem: str = ""
    ags: dict[str, Any] = field(default_factory=dict)
    nrps_url: str = ""
    deep_link: dict[str, Any] = field(default_factory=dict)  # deep_linking_settings
    given_name: str = ""


def learner_pseudonym(issuer: str, sub: str) -> str:
    """A stable id for a platform user that reveals neither the platform nor the user id."""
    return "lti-" + hashlib.sha256(f"{issuer}\n{sub}".encode()).hexdigest()[:32]


class SessionStore:
    """Sessions in the key/value store."""

    def __init__(self, store: KeyValueStore, ttl: float) -> None:
        self._store = store
        self._ttl = ttl

    def create(self, session: LaunchSession) -> str:
        """Store ``session``; its token."""
        token = secrets.token_urlsafe(32)
        record = asdict(session)
        self._store.put(session.tenant, f"session:{token}", record, self._ttl)
        self._store.put("", _INDEX + token, session.tenant, self._ttl)
        return token

    def load(self, token: str) -> LaunchSession:
        """The session, or :class:`UnauthorizedError` when it is unknown or expired."""
        tenant = self._store.get("", _INDEX + token) if token else None
        record = self._store.get(tenant, f"session:{token}") if tenant is not None else None
        if record is None:
            raise UnauthorizedError(
                "this page's session is unknown or has expired: open the activity again "
                "from your course"
            )
        return LaunchSession(**{**record, "skill_ids": tuple(record["skill_ids"])})
