"""The statement outbox over the leased queue: one implementation for SQLite and Redis.

Each target is a queue of its tenant, keyed by statement id, so a statement is queued once
per target and re-reading the log doubles nothing. Each target has its own cursor into its
tenant's log (a new target is fed the tenant's history first), and the cursor moves in the
same atomic step as the rows it produced, so a crash between the two cannot lose or double a
statement. A log entry whose statements cannot be built is parked in that step as a dead
letter (``unbuilt``), and its replay is refused.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from attune.gateway.lrs.ports import LrsTargets, QueuedStatement, UnbuiltEvent, is_unbuilt
from attune.gateway.lrs.targets import LrsTarget
from attune.gateway.lrs.unbuilt import not_replayable
from attune.gateway.outbox.ports import LeasedQueue, NewItem, QueueItem


class QueuedStatementOutbox:
    """:class:`~gateway.lrs.ports.StatementOutbox` from a queue and a target store."""

    def __init__(self, queue: LeasedQueue, targets: LrsTargets) -> None:
        self._queue = queue
        self._targets = targets

    # -- targets --------------------------------------------------------------------------

    def put_target(self, target: LrsTarget) -> None:
        self._targets.put_target(target)

    def targets(self, tenant: str | None = None) -> list[LrsTarget]:
        """Every target (of ``tenant``), enabled or not."""
        return self._targets.targets(tenant)

    def delete_target(self, tenant: str, name: str) -> bool:
        return self._targets.delete_target(tenant, name)

    # -- the feed -------------------------------------------------------------------------

    def cursor(self, target: str) -> int:
        """How far into its tenant's event log a target has been fed (0: not yet)."""
        return self._queue.cursor(_tenant_of(target), target)

    def enqueue(
        self,
        tenant: str,
        rows: Sequence[tuple[str, str, dict[str, Any]]],
        cursor: tuple[str, int] | None = None,
        unbuilt: Sequence[UnbuiltEvent] = (),
    ) -> int:
        """Queue ``(target, statement_id, body)`` rows not queued before, park ``unbuilt``
        log entries as dead letters, and move a target's cursor (``(target, after_log_id)``,
        when given), atomically; how many rows were new."""
        items = [NewItem(target, statement_id, body) for target, statement_id, body in rows]
        items += [NewItem(u.target, u.statement_id, u.body, parked=u.reason) for u in unbuilt]
        ids = self._queue.enqueue(tenant, items, cursor=cursor)
        return sum(1 for new, item in zip(ids, items, strict=True) if new and not item.parked)

    # -- delivery -------------------------------------------------------------------------

    def due(
        self, target: LrsTarget, now: float, limit: int, skip: Collection[int] = ()
    ) -> list[QueuedStatement]:
        """The oldest pending statements of a target whose retry time has come, leased; none
        of ``skip`` (row ids still being sent)."""
        leased = self._queue.lease(now, limit, target.tenant, target.key, skip)
        return [_queued(i) for i in leased]

    def delivered(
        self, tenant: str, row_ids: Sequence[int], now: float = 0.0, target: str = ""
    ) -> None:
        """The rows were delivered; ``target``, when given, is the target they were all
        leased for (it saves a read on Redis)."""
        self._queue.ack(tenant, row_ids, now, target or None)

    def retry(self, tenant: str, row_ids: Sequence[int], next_at: float, error: str) -> None:
        self._queue.retry(tenant, row_ids, next_at, error)

    def dead(self, tenant: str, row_id: int, error: str) -> None:
        self._queue.dead(tenant, [row_id], error)

    def list_statements(self, tenant: str, status: str, limit: int = 500) -> list[QueuedStatement]:
        return [_queued(i) for i in self._queue.items(tenant, status, limit)]

    def replay(self, tenant: str, row_id: int, now: float) -> bool:
        """Put a dead letter back in the queue; False if there is none with that id, and
        :class:`~gateway.lrs.ports.NotReplayableError` for an entry that could not be
        built (it would fail the same way)."""
        return self._queue.replay(tenant, row_id, now, _refuse_unbuilt)

    def counts(self, tenant: str) -> dict[str, int]:
        return self._queue.counts(tenant)

    def close(self) -> None:
        self._queue.close()
        self._targets.close()


def _refuse_unbuilt(item: QueueItem) -> None:
    if is_unbuilt(item.key):
        raise not_replayable(item.item_id, dict(item.payload), item.last_error)


def _tenant_of(target: str) -> str:
    """The tenant of a target key, ``<tenant>/<name>``."""
    return target.rpartition("/")[0]


def _queued(item: QueueItem) -> QueuedStatement:
    return QueuedStatement(
        row_id=item.item_id,
        tenant=item.tenant,
        target=item.queue,
        statement_id=item.key,
        body=dict(item.payload),
        attempts=item.attempts,
        last_error=item.last_error,
    )
