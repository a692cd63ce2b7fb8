"""The leased-queue port: what the grade outbox and the statement outbox both need.

An item lives in one *family* of queues (an adapter serves one: ``grades`` or
``statements``), belongs to a tenant, sits in one named queue of that tenant (a kind of
message, or a target) and carries a key: a newer item with the same key either supersedes an
undelivered older one (a grade: only the latest score matters) or is not queued again (a
statement: its id was queued once already). A worker *leases* due items, so that two gateways
never hold the same one at once, then settles each: acknowledged, retried at a later time, or
dead-lettered with a reason. A dead letter can be listed and replayed.

Statuses: ``pending`` (waiting or leased), ``delivered``, ``dead``, ``superseded``.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

Status = Literal["pending", "delivered", "dead", "superseded"]
STATUSES: tuple[Status, ...] = ("pending", "delivered", "dead", "superseded")
ERROR_CHARS = 1000  # a reason is kept to this length


@dataclass(frozen=True, slots=True)
class NewItem:
    """An item to queue. ``parked`` (a reason) queues it as a dead letter from the start:
    kept and listed, never due (a log entry whose statements cannot be built, say)."""

    queue: str
    key: str
    payload: Mapping[str, Any]
    parked: str = ""


@dataclass(frozen=True, slots=True)
class QueueItem:
    """One queued item as the store holds it; ``payload`` exactly as it was queued."""

    item_id: int
    tenant: str
    queue: str
    key: str
    payload: Mapping[str, Any]
    status: Status = "pending"
    attempts: int = 0
    next_at: float = 0.0
    last_error: str = ""


class LeasedQueue(Protocol):
    """A durable queue with leases, retries and dead letters, per tenant."""

    def enqueue(
        self,
        tenant: str,
        items: Sequence[NewItem],
        *,
        supersede: bool = False,
        cursor: tuple[str, int] | None = None,
        now: float = 0.0,
    ) -> list[int | None]:
        """Queue ``items`` and move the tenant's named ``cursor`` forward (never back), all in
        one atomic step; per item, its new id, or None when it was skipped.

        With ``supersede``, a pending item with the same queue and key is superseded by the
        new one; without it, an item whose queue and key were ever queued is skipped (so a
        re-read of a source doubles nothing). New items are due at ``now``."""
        ...

    def cursor(self, tenant: str, name: str) -> int:
        """Where the tenant's cursor ``name`` stands (0 if it never moved)."""
        ...

    def lease(
        self,
        now: float,
        limit: int,
        tenant: str | None = None,
        queue: str | None = None,
        skip: Collection[int] = (),
    ) -> list[QueueItem]:
        """Up to ``limit`` due items (of one tenant's queue, or of all), oldest first, leased:
        no other lease returns them until they are settled or the lease runs out. Never an
        item of ``skip``: the ones the caller is still sending (a store whose lease is the
        read itself would return them again)."""
        ...

    def ack(
        self, tenant: str, item_ids: Sequence[int], now: float, queue: str | None = None
    ) -> None:
        """The items were delivered. ``queue``: the queue they were all leased from, when
        the caller knows it (it saves a read; an item of another queue is left as it is)."""
        ...

    def retry(self, tenant: str, item_ids: Sequence[int], next_at: float, error: str) -> None:
        """Try the still-pending items again at ``next_at``; ``error`` says why they failed."""
        ...

    def dead(self, tenant: str, item_ids: Sequence[int], error: str) -> None:
        """The items failed for good: dead letters, with the reason."""
        ...

    def items(self, tenant: str, status: str, limit: int | None = None) -> list[QueueItem]:
        """The tenant's items with ``status``, oldest first."""
        ...

    def replay(
        self,
        tenant: str,
        item_id: int,
        now: float,
        check: Callable[[QueueItem], None] | None = None,
    ) -> bool:
        """Put a dead letter back in its queue, due at ``now``; False if the tenant has no
        dead letter with that id. ``check`` sees the dead letter first and may refuse it by
        raising."""
        ...

    def counts(self, tenant: str) -> dict[str, int]:
        """How many of the tenant's items are in each status (absent: none)."""
        ...

    def close(self) -> None: ...
