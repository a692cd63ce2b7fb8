"""The bank of generated items, and their review state.

An item enters the bank only through :func:`admit`, which refuses any item the evaluator did
not accept: the bank is the one way a generated item reaches a learner, so an unverified
item never does. Statuses: ``active`` (admitted: may be shown) and ``retired`` (an instructor
retired it: never shown again, and never re-admitted, since :meth:`GeneratedBank.put`
refuses an id it already holds). Each change keeps who made it and when.

The review state is pure (:func:`admit`, :func:`transition`); :class:`GeneratedBank` is the
port a store fills (the gateway's, over the tenant key-value store; the in-memory one here
for tests). Every method is scoped by tenant.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Literal, Protocol, get_args

from attune.content.generation.records import GeneratedItem

BankStatus = Literal["active", "retired"]
BANK_STATUSES: tuple[BankStatus, ...] = get_args(BankStatus)
_ALLOWED: frozenset[tuple[BankStatus, BankStatus]] = frozenset({("active", "retired")})


class BankError(Exception):
    """A bank operation that is not allowed (the message says why)."""


class RefusedItemError(BankError):
    """The item was not accepted by the evaluator (or never evaluated)."""


class UnknownItemError(BankError, KeyError):
    """No item with that id in the tenant's bank."""


@dataclass(frozen=True)
class StatusChange:
    """One change of status: to what, by whom (a user id, or ``evaluator``), when, why."""

    status: BankStatus
    by: str
    at: datetime
    reason: str = ""


@dataclass(frozen=True)
class BankEntry:
    """A generated item in the bank, its current status and the history of its statuses."""

    generated: GeneratedItem
    status: BankStatus
    history: tuple[StatusChange, ...]

    @property
    def tenant(self) -> str:
        """The tenant it belongs to."""
        return self.generated.tenant

    @property
    def item_id(self) -> str:
        """The item's id."""
        return self.generated.item_id

    @property
    def shown(self) -> bool:
        """True when learners may see it."""
        return self.status == "active"


def admit(generated: GeneratedItem, *, at: datetime, by: str = "evaluator") -> BankEntry:
    """The ``active`` entry of an accepted item; :class:`RefusedItemError` otherwise."""
    verdict = generated.provenance.verdict
    if verdict is None:
        raise RefusedItemError(f"item {generated.item_id} was never evaluated")
    if not verdict.accepted:
        raise RefusedItemError(f"item {generated.item_id} was refused: {verdict.reason}")
    return BankEntry(generated, "active", (StatusChange("active", by, at, "passed the evaluator"),))


def require_admitted(entry: BankEntry) -> None:
    """:class:`RefusedItemError` unless ``entry`` is an admitted item (active, accepted): what
    every bank checks before it stores a new entry."""
    if entry.status != "active" or not entry.generated.accepted:
        raise RefusedItemError(f"item {entry.item_id} is not an admitted item")


def transition(
    entry: BankEntry, status: BankStatus, *, by: str, at: datetime, reason: str = ""
) -> BankEntry:
    """``entry`` moved to ``status``; :class:`BankError` unless the move is allowed (only
    ``active`` -> ``retired``: retiring is final)."""
    if status not in BANK_STATUSES:
        raise BankError(f"unknown status {status!r}")
    if (entry.status, status) not in _ALLOWED:
        raise BankError(f"item {entry.item_id} cannot go from {entry.status} to {status}")
    if not by.strip():
        raise BankError("a status change needs who made it")
    change = StatusChange(status, by, at, reason)
    return replace(entry, status=status, history=(*entry.history, change))


class GeneratedBank(Protocol):
    """Where a tenant's generated items are kept."""

    def put(self, entry: BankEntry) -> None:
        """Store a new entry; :class:`BankError` when its id is already in the tenant's bank
        (a retired item must stay retired)."""
        ...

    def get(self, tenant: str, item_id: str) -> BankEntry | None:
        """The entry, or None."""
        ...

    def list(
        self,
        tenant: str,
        course_id: str,
        *,
        skill_id: str | None = None,
        status: BankStatus | None = None,
    ) -> list[BankEntry]:
        """The course's entries (of one skill, one status), oldest first."""
        ...

    def set_status(
        self,
        tenant: str,
        item_id: str,
        status: BankStatus,
        *,
        by: str,
        at: datetime,
        reason: str = "",
    ) -> BankEntry:
        """Apply :func:`transition` and store it; :class:`UnknownItemError` for an unknown id,
        :class:`BankError` for a move that is not allowed."""
        ...


class InMemoryGeneratedBank:
    """A :class:`GeneratedBank` in a dict (unit tests); thread-safe."""

    def __init__(self) -> None:
        self._entries: dict[tuple[str, str], BankEntry] = {}
        self._lock = threading.Lock()

    def put(self, entry: BankEntry) -> None:
        """See :meth:`GeneratedBank.put`."""
        require_admitted(entry)
        with self._lock:
            key = (entry.tenant, entry.item_id)
            if key in self._entries:
                raise BankError(f"item {entry.item_id} is already in the bank")
            self._entries[key] = entry

    def get(self, tenant: str, item_id: str) -> BankEntry | None:
        """See :meth:`GeneratedBank.get`."""
        with self._lock:
            return self._entries.get((tenant, item_id))

    def list(
        self,
        tenant: str,
        course_id: str,
        *,
        skill_id: str | None = None,
        status: BankStatus | None = None,
    ) -> list[BankEntry]:
        """See :meth:`GeneratedBank.list`."""
        with self._lock:
            entries = list(self._entries.values())
        return [
            e
            for e in entries
            if e.tenant == tenant
            and e.generated.course_id == course_id
            and (skill_id is None or e.generated.skill_id == skill_id)
            and (status is None or e.status == status)
        ]

    def set_status(
        self,
        tenant: str,
        item_id: str,
        status: BankStatus,
        *,
        by: str,
        at: datetime,
        reason: str = "",
    ) -> BankEntry:
        """See :meth:`GeneratedBank.set_status`."""
        with self._lock:
            entry = self._entries.get((tenant, item_id))
            if entry is None:
                raise UnknownItemError(f"no item {item_id} in the bank")
            changed = transition(entry, status, by=by, at=at, reason=reason)
            self._entries[(tenant, item_id)] = changed
            return changed
