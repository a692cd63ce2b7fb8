"""The grade outbox over the leased queue: one implementation for SQLite and Redis.

Each kind of message (``ags-score``) is a queue of its tenant, keyed by learner and line
item, and a newer score supersedes an undelivered older one. The stores inherit this class
and hand it their queue of the ``grades`` family.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from attune.gateway.outbox.ports import LeasedQueue, NewItem, QueueItem


class GradeOutbox:
    """:class:`~gateway.ports.Outbox` on a :class:`~gateway.outbox.ports.LeasedQueue`."""

    def __init__(self, queue: LeasedQueue) -> None:
        self._grades = queue

    def enqueue(self, tenant: str, kind: str, key: str, payload: Mapping[str, Any]) -> int:
        """Queue a message, due now, superseding the pending one with the same key."""
        [item_id] = self._grades.enqueue(
            tenant, [NewItem(kind, key, payload)], supersede=True, now=time.time()
        )
        if item_id is None:  # a superseding enqueue always adds its item
            raise RuntimeError(f"the grade outbox did not queue {kind} {key!r}")
        return item_id

    def due(self, now: float, limit: int) -> list[QueueItem]:
        """Due messages of every tenant, leased."""
        return self._grades.lease(now, limit)

    def delivered(self, tenant: str, item_id: int, now: float) -> None:
        self._grades.ack(tenant, [item_id], now)

    def retry(self, tenant: str, item_id: int, next_at: float, error: str) -> None:
        self._grades.retry(tenant, [item_id], next_at, error)

    def dead(self, tenant: str, item_id: int, error: str) -> None:
        self._grades.dead(tenant, [item_id], error)

    def list_items(self, tenant: str, status: str) -> list[QueueItem]:
        return self._grades.items(tenant, status)

    def replay(self, tenant: str, item_id: int, now: float) -> bool:
        return self._grades.replay(tenant, item_id, now)
