"""Reading the event log on Redis: the learner's log and the tenant's stream.

- A learner's events live in the learner's slot (the hash ``events`` and, per course, the
  list ``seq:<course>`` in the order the commits were accepted). They are the system of
  record: written atomically with the state, read for idempotency and for DKT rebuilds.
- The tenant's stream ``{t=<tenant>}:log`` receives every event once, from the relay, a
  moment after its commit. ``log_id`` is the stream entry id as one integer,
  ``milliseconds << 20 | sequence``, so it orders the log and pages it like the embedded
  store. The relay gives entries explicit ids, each the next after the stream's last (see
  RELAY), so a tenant's log ids run 1, 2, 3, ... and say nothing of time or of other
  tenants (a stream of an older version, with time-based ids, continues above them).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from attune.engine.adapters.codec import decode_event
from attune.engine.adapters.redis_conn import unavailable_on_failure
from attune.engine.adapters.redis_keys import LearnerKeys, TenantKeys
from attune.engine.adapters.redis_relay import OutboxRelay
from attune.engine.adapters.redis_scripts import LEARNER_EVENTS
from attune.engine.domain.records import LoggedEvent

_SEQ_BITS = 20
_SEQ_MASK = (1 << _SEQ_BITS) - 1
_SCAN_CHUNK = 1000


def log_id_of(stream_id: str) -> int:
    """A stream entry id (``<ms>-<seq>``) as one ordered integer."""
    ms, _, seq = stream_id.partition("-")
    n = int(seq)
    if n > _SEQ_MASK:  # more than a million entries in one millisecond: never in practice
        raise ValueError(f"stream id {stream_id} does not fit a log id")
    return (int(ms) << _SEQ_BITS) | n


def stream_id_of(log_id: int) -> str:
    """Inverse of :func:`log_id_of`."""
    return f"{log_id >> _SEQ_BITS}-{log_id & _SEQ_MASK}"


def _after(log_id: int) -> str:
    return f"({stream_id_of(log_id)}" if log_id > 0 else "-"


def _entry_event(entry_id: str, fields: dict[str, str] | None) -> LoggedEvent | None:
    if not fields or "event" not in fields:
        return None  # erased (XDEL) while it waited in a consumer group
    return decode_event(fields["event"], log_id_of(entry_id))


def _entry_events(entries: Sequence[Any]) -> list[LoggedEvent]:
    return [e for e in (_entry_event(i, f) for i, f in entries) if e is not None]


class RedisEventLog:
    """The EventLog port on Redis."""

    def __init__(self, client: Any, relay: OutboxRelay) -> None:
        self._client = client
        self._relay = relay

    async def get_event(self, tenant: str, event_id: str, learner_id: str) -> LoggedEvent | None:
        """The learner's logged event with this id (the idempotency check)."""
        keys = LearnerKeys(tenant, learner_id)
        async with unavailable_on_failure("get_event"):
            raw = await self._client.hget(keys.events, event_id)
        return decode_event(raw) if raw is not None else None

    async def read_learner_events(
        self, tenant: str, learner_id: str, course_id: str
    ) -> Sequence[LoggedEvent]:
        """One learner's events in one course, in the order the store accepted them."""
        keys = LearnerKeys(tenant, learner_id)
        async with unavailable_on_failure("read_learner_events"):
            raws = await LEARNER_EVENTS(self._client, [keys.sequence(course_id), keys.events], [])
        return [decode_event(r) for r in raws if r]

    async def read_events(self, tenant: str, after: int, limit: int) -> Sequence[LoggedEvent]:
        """The tenant's stream after ``after``. This process's own commits are relayed
        first, so it reads its writes; other processes' show up a moment after theirs."""
        await self._relay.drain()
        async with unavailable_on_failure("read_events"):
            entries = await self._client.xrange(
                TenantKeys(tenant).log, _after(after), "+", count=limit
            )
        return await asyncio.to_thread(_entry_events, entries)

    async def read_course_events(
        self, tenant: str, course_id: str, after: int, limit: int
    ) -> Sequence[LoggedEvent]:
        """Events of one course in the tenant's stream after ``after``, in log order.

        The stream is per tenant, so this scans it and keeps the course's entries."""
        await self._relay.drain()
        key = TenantKeys(tenant).log
        found: list[LoggedEvent] = []
        start = _after(after)
        chunk = _SCAN_CHUNK  # entries carry replies (~1.3 KB each): keep replies small
        while len(found) < limit:
            async with unavailable_on_failure("read_course_events"):
                entries = await self._client.xrange(key, start, "+", count=chunk)
            mine = [(i, f) for i, f in entries if f.get("course_id") == course_id]
            # Decoding is the costly part of a scan (a statistics rebuild reads a course's
            # whole log): a worker thread does it, not the event loop.
            found += (await asyncio.to_thread(_entry_events, mine))[: limit - len(found)]
            if len(entries) < chunk:
                break
            start = f"({entries[-1][0]}"
        return found
