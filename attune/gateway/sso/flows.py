"""Sign-ins in progress: what the gateway must remember between sending a browser to an
identity provider and the provider's answer.

Each flow is stored server-side under a one-time key (the OIDC ``state``, or the SAML
AuthnRequest's ID that comes back as ``InResponseTo``), bound to the browser that started it
by a random cookie whose digest the flow keeps: an answer delivered to another browser (login
CSRF, a leaked callback URL) is refused, and a replayed answer finds no flow (``take`` is
atomic, exactly one caller gets it).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from typing import Any

from attune.gateway.ports import KeyValueStore
from attune.gateway.sso.errors import SignInError

_FLOW = "sso-flow:"


def binding_digest(cookie: str) -> str:
    return hashlib.sha256(cookie.encode()).hexdigest()


class SignInFlows:
    """One-time sign-in records in the gateway store."""

    def __init__(self, store: KeyValueStore, ttl: float, clock: Callable[[], float]) -> None:
        self._store = store
        self._ttl = ttl
        self._clock = clock

    def begin(self, tenant: str, key: str, binding: str, record: dict[str, Any]) -> None:
        """Remember a flow started by the browser holding the cookie ``binding``."""
        stored = {**record, "binding": binding_digest(binding), "started": self._clock()}
        self._store.put(tenant, _FLOW + key, stored, self._ttl)

    def finish(self, tenant: str, key: str, binding: str) -> dict[str, Any]:
        """The flow's record, removed; :class:`SignInError` when it is unknown, used,
        expired or was started by another browser."""
        record = self._store.take(tenant, _FLOW + key) if key and len(key) <= 256 else None
        if not isinstance(record, dict):
            raise SignInError("this sign-in is unknown, expired or already used: start again")
        if self._clock() - float(record["started"]) > self._ttl:
            raise SignInError("this sign-in took too long: start again")
        if not binding or not hmac.compare_digest(binding_digest(binding), str(record["binding"])):
            raise SignInError("this sign-in was started in another browser: start again")
        return record
