"""Pending erasures, the service side: new entries for :meth:`Engine.delete_learner`, the
gateway's list and acknowledge calls, and what this process knows of the backlog (for the
metrics: how old the oldest unacknowledged erasure is)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence

import structlog

from attune.engine.domain.erasures import DEFAULT_ERASURE_PAGE, MAX_ERASURE_PAGE, PendingErasure
from attune.engine.domain.errors import InvalidInputError
from attune.engine.ports import Clock, ErasureStore

log = structlog.get_logger("attune.engine.erasures")


def _nothing(_: int) -> None:
    return None


class Erasures:
    """Records, lists and acknowledges the tenant's pending erasures.

    The backlog's age is known per process: from the erasures this process recorded and the
    lists it answered (the gateway polls every few seconds), so a stalled gateway shows as a
    growing :meth:`oldest_age` on the process it last polled and on every process that
    recorded an erasure since.
    """

    def __init__(self, store: ErasureStore, clock: Clock) -> None:
        self._store = store
        self._clock = clock
        self._oldest: dict[str, float] = {}  # tenant -> oldest requested_at known pending
        self.on_recorded: Callable[[int], None] = _nothing  # metrics (observability/wiring)
        self.on_acknowledged: Callable[[int], None] = _nothing

    def new(self, tenant: str, learner_id: str, request_id: str) -> PendingErasure:
        """The entry a delete of the learner records, stamped now."""
        return PendingErasure(tenant, learner_id, uuid.uuid4().hex, self._clock.now(), request_id)

    def recorded(self, erasure: PendingErasure) -> None:
        """The store recorded ``erasure`` with a delete."""
        known = self._oldest.get(erasure.tenant)
        if known is None or erasure.requested_at < known:
            self._oldest[erasure.tenant] = erasure.requested_at
        self.on_recorded(1)

    async def pending(
        self, tenant: str, learner_id: str, page_size: int
    ) -> Sequence[PendingErasure]:
        """The tenant's pending erasures, oldest first; ``page_size`` 0 means the default."""
        if page_size < 0 or page_size > MAX_ERASURE_PAGE:
            raise InvalidInputError("page_size", f"must be between 0 and {MAX_ERASURE_PAGE}")
        limit = page_size or DEFAULT_ERASURE_PAGE
        found = await self._store.pending_erasures(tenant, learner_id, limit)
        if not learner_id:
            if found:
                self._oldest[tenant] = found[0].requested_at
            else:
                self._oldest.pop(tenant, None)
        return found

    async def acknowledge(self, tenant: str, learner_id: str, erasure_id: str) -> bool:
        """Drop the learner's pending erasure if it is still ``erasure_id``."""
        for value, name in ((learner_id, "learner_id"), (erasure_id, "erasure_id")):
            if not value or not value.strip():
                raise InvalidInputError(name, "must not be empty")
        done = await self._store.acknowledge_erasure(tenant, learner_id, erasure_id)
        if done:
            self.on_acknowledged(1)
            log.info("erasure.acknowledged", tenant=tenant, learner_id=learner_id)
        return done

    def oldest_age(self) -> float:
        """Seconds since the oldest erasure this process knows to be unacknowledged (0 when
        none): the value to alert on."""
        if not self._oldest:
            return 0.0
        return max(0.0, self._clock.now() - min(self._oldest.values()))
