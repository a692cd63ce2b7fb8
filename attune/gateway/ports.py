"""The gateway's ports: small Protocols its adapters implement (the embedded SQLite store now).

Every record carries its tenant. The gateway is synchronous (a WSGI app on a thread pool), so
these are plain methods, safe to call from many threads.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from attune.gateway.library.ports import ContentStore
from attune.gateway.oauth.ports import OAuthClientStore
from attune.gateway.outbox.ports import QueueItem
from attune.gateway.xapi_store.ports import StatementStore


@dataclass(frozen=True, slots=True)
class Registration:
    """One LTI 1.3 platform registration (an issuer and the client id it gave us)."""

    tenant: str
    issuer: str
    client_id: str
    auth_login_url: str
    auth_token_url: str
    key_set_url: str
    auth_audience: str = ""
    name: str = ""
    deployment_ids: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Activity:
    """An adaptive activity an instructor placed with deep linking: a course or some skills."""

    tenant: str
    activity_id: str
    course_id: str
    title: str
    skill_ids: tuple[str, ...] = ()  # empty: every skill of the course


@dataclass(frozen=True, slots=True)
class ToolKey:
    """One of the tool's RSA signing keys."""

    kid: str
    private_pem: str
    public_jwk: Mapping[str, Any] = field(default_factory=dict)
    created_at: float = 0.0
    retired_at: float | None = None


class KeyValueStore(Protocol):
    """Expiring JSON values per tenant: nonces, OIDC state, launch data, caches, sessions."""

    def put(self, tenant: str, key: str, value: Any, ttl: float) -> None: ...

    def get(self, tenant: str, key: str) -> Any | None: ...

    def add(self, tenant: str, key: str, value: Any, ttl: float) -> bool:
        """Store only if absent (or expired); whether it was stored."""
        ...

    def take(self, tenant: str, key: str) -> Any | None:
        """Remove and return the value, atomically: exactly one caller gets it."""
        ...

    def purge_expired(self) -> int:
        """Drop expired values (where the store does not by itself); how many."""
        ...


@runtime_checkable
class BatchedPuts(Protocol):
    """A :class:`KeyValueStore` that can store several values in one durable write (the
    practice page's answer writes three; stores without it get three ``put`` calls)."""

    def put_many(self, tenant: str, items: Sequence[tuple[str, Any, float]]) -> None:
        """Store each ``(key, value, ttl)`` of ``items``, all in one write."""
        ...


class RegistrationStore(Protocol):
    """Platform registrations and their deployments, per tenant."""

    def put_registration(self, registration: Registration) -> None: ...

    def find_registration(self, issuer: str, client_id: str | None) -> Registration | None:
        """The registration of ``issuer`` (with ``client_id``; without it, the only one)."""
        ...

    def list_registrations(self, tenant: str) -> Sequence[Registration]: ...

    def delete_registration(self, tenant: str, issuer: str, client_id: str) -> bool: ...


class ActivityStore(Protocol):
    """Deep-linked activities."""

    def put_activity(self, activity: Activity) -> None: ...

    def get_activity(self, tenant: str, activity_id: str) -> Activity | None: ...


class Outbox(Protocol):
    """The grade outbox as the store exposes it: a durable queue with retries where a newer
    message with the same key replaces an undelivered older one (only the latest score for a
    learner and line item matters). One implementation over the leased queue, for every
    store: :class:`gateway.grades.queue.GradeOutbox`."""

    def enqueue(self, tenant: str, kind: str, key: str, payload: Mapping[str, Any]) -> int: ...

    def due(self, now: float, limit: int) -> Sequence[QueueItem]: ...

    def delivered(self, tenant: str, item_id: int, now: float) -> None: ...

    def retry(self, tenant: str, item_id: int, next_at: float, error: str) -> None: ...

    def dead(self, tenant: str, item_id: int, error: str) -> None: ...

    def list_items(self, tenant: str, status: str) -> Sequence[QueueItem]: ...

    def replay(self, tenant: str, item_id: int, now: float) -> bool: ...


class KeyRing(Protocol):
    """The tool's signing keys."""

    def tool_keys(self) -> Sequence[ToolKey]: ...

    def add_key(self, key: ToolKey) -> None: ...

    def retire_key(self, kid: str, at: float) -> None: ...


class GatewayStore(
    KeyValueStore,
    RegistrationStore,
    ActivityStore,
    Outbox,
    KeyRing,
    ContentStore,
    OAuthClientStore,
    StatementStore,
    Protocol,
):
    """Everything the gateway persists; one adapter implements all of it."""

    def close(self) -> None: ...
