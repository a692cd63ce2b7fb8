"""Server-side staff sessions in the gateway store (SQLite or Redis, like its other state).

The cookie holds 256 random bits; the store keeps only their SHA-256 (the session's public
id), so a copy of the store signs nobody in. A session ends after ``idle_seconds`` without a
request or ``absolute_seconds`` after sign-in, whichever comes first, judged by the injected
clock; it can be revoked by its holder (sign-out), by an admin (one session, or every session
of a subject in the tenant).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import asdict, replace
from typing import Any

from attune.gateway.ports import KeyValueStore
from attune.gateway.sso.principal import Principal
from attune.gateway.sso.settings import SsoSettings

_INDEX = "sso-session-tenant:"  # session id -> tenant, in the "" namespace
_SESSION = "sso-session:"
_REVOKED = "sso-revoked:"  # subject digest -> sessions signed in up to then are revoked


def session_id(token: str) -> str:
    """The public id of the session behind a cookie value."""
    return hashlib.sha256(token.encode()).hexdigest()[:40]


def _subject_key(subject: str) -> str:
    return _REVOKED + hashlib.sha256(subject.encode()).hexdigest()[:40]


class StaffSessions:
    """Create, load (with expiry and revocation) and revoke staff sessions."""

    def __init__(
        self, store: KeyValueStore, settings: SsoSettings, clock: Callable[[], float]
    ) -> None:
        self._store = store
        self._idle = float(settings.idle_seconds)
        self._absolute = float(settings.absolute_seconds)
        self._clock = clock

    def create(self, principal: Principal) -> tuple[str, Principal]:
        """A new session for ``principal``: the cookie value and the principal with its id."""
        token = secrets.token_urlsafe(32)
        sid = session_id(token)
        now = self._clock()
        signed_in = replace(principal, session_id=sid)
        record: dict[str, Any] = {**asdict(signed_in), "created": now, "seen": now}
        self._store.put(principal.tenant, _SESSION + sid, record, self._absolute)
        self._store.put("", _INDEX + sid, principal.tenant, self._absolute)
        return token, signed_in

    def load(self, token: str) -> Principal | None:
        """The principal of a live session, or ``None`` (unknown, expired or revoked). A
        live session's idle timer restarts."""
        if not token or len(token) > 128:
            return None
        sid = session_id(token)
        tenant = self._store.get("", _INDEX + sid)
        if not isinstance(tenant, str):
            return None
        record = self._store.get(tenant, _SESSION + sid)
        if not isinstance(record, dict):
            return None
        now = self._clock()
        created, seen = float(record["created"]), float(record["seen"])
        revoked = self._store.get(tenant, _subject_key(str(record["subject"])))
        if (
            now - seen > self._idle
            or now - created > self._absolute
            or (revoked is not None and created <= float(revoked))
        ):
            self._drop(tenant, sid)
            return None
        if now - seen >= min(60.0, self._idle / 10):  # not a write on every request
            remaining = max(1.0, self._absolute - (now - created))
            self._store.put(tenant, _SESSION + sid, {**record, "seen": now}, remaining)
        fields = {k: v for k, v in record.items() if k not in ("created", "seen")}
        return Principal(**{**fields, "roles": tuple(fields["roles"])})

    def revoke(self, token: str) -> bool:
        """End the session behind a cookie value (sign-out); whether there was one."""
        if not token or len(token) > 128:
            return False
        sid = session_id(token)
        tenant = self._store.get("", _INDEX + sid)
        return isinstance(tenant, str) and self._drop(tenant, sid)

    def revoke_session(self, tenant: str, sid: str) -> bool:
        """An admin ends one session of ``tenant`` by its public id; whether it existed."""
        if self._store.get("", _INDEX + sid) != tenant:
            return False
        return self._drop(tenant, sid)

    def revoke_subject(self, tenant: str, subject: str) -> None:
        """An admin ends every session ``subject`` holds in ``tenant`` now (later sign-ins
        are not affected)."""
        self._store.put(tenant, _subject_key(subject), self._clock(), self._absolute)

    def _drop(self, tenant: str, sid: str) -> bool:
        found = self._store.take(tenant, _SESSION + sid) is not None
        self._store.take("", _INDEX + sid)
        return found
