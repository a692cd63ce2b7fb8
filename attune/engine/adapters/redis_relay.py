"""The outbox relay: from each learner's outbox to the tenant's event stream.

A commit is atomic in the learner's slot, and the tenant's stream lives in another slot, so
the commit cannot append to the stream itself. It appends to the learner's outbox instead
and adds the learner to the dirty set of its slot, in the same script. The relay then:

1. runs one script in the tenant's slot that XADDs each outbox entry newer than the
   learner's mark (``<gen>|<n>``), records the stream id for erasure and moves the mark:
   an entry reaches the stream once, even when two relays carry it;
2. runs one script in the learner's slot that pops the entries up to the mark, and takes
   the learner out of the dirty set once the outbox is empty.

It runs in the background right after each commit (batched with the commits around it),
and a sweeper goes through the dirty sets every few seconds to finish what a crashed or
disconnected process left behind. A crash anywhere in between loses nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import structlog

from attune.engine.adapters.redis_conn import is_transient
from attune.engine.adapters.redis_keys import SWEEP_LOCK, LearnerKeys, TenantKeys, dirty_key
from attune.engine.adapters.redis_scripts import (
    ACK_OUTBOX,
    FETCH_OUTBOX,
    RELAY,
    SAMPLE_DIRTY,
    Call,
    run_pipelined,
)

log = structlog.get_logger("attune.store.redis")

OUTBOX_BATCH = 100  # outbox entries the sweeper carries per learner per relay
COMMIT_HEAD = 20  # outbox entries a commit sends back for its relay (usually just its own)
_LEARNERS_PER_SCRIPT = 50
_QUEUE_BATCH = 256
_SWEEP_SAMPLE = 100  # learners taken from each dirty set per sweep


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    """One committed event waiting for the stream."""

    n: int
    event_id: str
    course_id: str
    event_json: str


@dataclass
class Pending:
    """The head of one learner's outbox, in order."""

    keys: LearnerKeys
    gen: str
    entries: list[OutboxEntry] = field(default_factory=list)


_Learner = tuple[LearnerKeys, str]  # the learner and its incarnation (gen)


def parse_entries(flat: Sequence[Any]) -> list[tuple[int, str, str]]:
    """``[entry, json, entry, json, ...]`` from a script -> ``[(n, event_id, json)]``."""
    out: list[tuple[int, str, str]] = []
    for i in range(0, len(flat) - 1, 2):
        n, _, event_id = str(flat[i]).partition("|")
        out.append((int(n), event_id, str(flat[i + 1] or "")))
    return out


class OutboxRelay:
    """Moves committed events to the tenant streams, right after commits and by a sweeper."""

    def __init__(self, client: Any, cluster: bool, sweep_seconds: float) -> None:
        self._client = client
        self._cluster = cluster
        self._sweep_seconds = sweep_seconds
        self._queue: asyncio.Queue[Pending] = asyncio.Queue()
        self._submitted = 0
        self._finished = 0
        self._progress = asyncio.Condition()
        self._tasks: list[asyncio.Task[None]] = []
        self._token = f"{os.getpid()}-{id(self)}"
        self.relayed = 0  # outbox entries this process put on a stream
        self.swept = 0  # learners the sweeper relayed for

    def dirty_key(self, keys: LearnerKeys) -> str:
        """The dirty set of the learner's slot."""
        return dirty_key(keys.slot() if self._cluster else None)

    def start(self) -> None:
        """Start the background worker and the sweeper."""
        self._tasks.append(asyncio.create_task(self._work(), name="attune-outbox-relay"))
        if self._sweep_seconds > 0:
            self._tasks.append(asyncio.create_task(self._sweep_loop(), name="attune-sweeper"))

    def submit(self, pending: Pending) -> None:
        """Relay this outbox head soon (the commit does not wait for it)."""
        self._submitted += 1
        self._queue.put_nowait(pending)

    async def drain(self) -> None:
        """Wait until everything submitted so far was relayed (or left to the sweeper).
        Later submissions are not waited for, so this ends under any load."""
        if not self._tasks:
            return
        target = self._submitted
        async with self._progress:
            await self._progress.wait_for(lambda: self._finished >= target)

    async def close(self, timeout: float = 5.0) -> None:
        """Relay what is queued (bounded), then stop."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.drain(), timeout)
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()

    async def _work(self) -> None:
        while True:
            batch = [await self._queue.get()]
            while len(batch) < _QUEUE_BATCH and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            try:
                await self.relay(batch)
            except Exception as exc:
                # The entries stay in their outboxes; the sweeper retries them.
                self._report(exc, "store.redis.relay_failed")
            finally:
                self._finished += len(batch)
                async with self._progress:
                    self._progress.notify_all()

    def _report(self, exc: Exception, event: str) -> None:
        if is_transient(exc):
            log.warning(event, error=str(exc))
        else:
            log.error(event, error=repr(exc), exc_info=exc)

    async def relay(self, batch: Sequence[Pending]) -> None:
        """Put these outbox heads on their tenants' streams, then trim the outboxes.

        Entries go out in the order they were submitted (so one process's log order is its
        commit order), each learner's always in outbox order."""
        found: dict[_Learner, dict[int, OutboxEntry]] = {}
        seen_at: dict[_Learner, list[int]] = {}
        position = 0
        for p in batch:
            learner = (p.keys, p.gen)
            entries = found.setdefault(learner, {})
            for e in p.entries:
                if e.n not in entries:
                    entries[e.n] = e
                    seen_at.setdefault(learner, []).append(position)
                    position += 1
        placed = {
            learner: list(zip(sorted(seen_at[learner]), (es[n] for n in sorted(es)), strict=True))
            for learner, es in found.items()
            if es
        }
        by_tenant: dict[str, list[_Learner]] = defaultdict(list)
        for learner in sorted(placed, key=lambda k: placed[k][0][0]):
            by_tenant[learner[0].tenant].append(learner)
        calls: list[Call] = []
        groups: list[list[_Learner]] = []
        for tenant, learners in by_tenant.items():
            for i in range(0, len(learners), _LEARNERS_PER_SCRIPT):
                group = learners[i : i + _LEARNERS_PER_SCRIPT]
                calls.append(_relay_call(TenantKeys(tenant), group, placed))
                groups.append(group)
        marks = await run_pipelined(self._client, calls)
        acks: list[Call] = []
        for group, result in zip(groups, marks, strict=True):
            for (keys, gen), mark in zip(group, result, strict=True):
                if int(mark) < 0:
                    continue  # the learner was erased meanwhile
                self.relayed += sum(1 for _, e in placed[(keys, gen)] if e.n <= int(mark))
                acks.append(
                    (
                        ACK_OUTBOX,
                        [keys.meta, keys.outbox, self.dirty_key(keys)],
                        [gen, int(mark), keys.member],
                    )
                )
        await run_pipelined(self._client, acks)

    async def _dirty_members(self) -> list[str]:
        """A sample of every dirty set: one command, or one script per cluster node."""
        if not self._cluster:
            return list(await self._client.srandmember(dirty_key(None), _SWEEP_SAMPLE) or [])
        by_node: dict[Any, list[str]] = defaultdict(list)
        for slot, nodes in self._client.nodes_manager.slots_cache.items():
            by_node[nodes[0]].append(dirty_key(slot))
        members: list[str] = []
        for node, keys in by_node.items():
            members += await SAMPLE_DIRTY.on_node(self._client, node, [], [_SWEEP_SAMPLE, *keys])
        return members

    async def _sweep_loop(self) -> None:
        while True:
            await asyncio.sleep(self._sweep_seconds)
            try:
                await self.sweep()
            except Exception as exc:
                self._report(exc, "store.redis.sweep_failed")

    async def sweep(self, lock: bool = True) -> int:
        """Relay the outboxes the dirty sets name; the number of learners relayed for.

        With ``lock``, only one process sweeps per interval (a SET NX PX lease)."""
        if lock:
            lease_ms = max(1, int(self._sweep_seconds * 900))
            if not await self._client.set(SWEEP_LOCK, self._token, nx=True, px=lease_ms):
                return 0
        learners = {LearnerKeys.from_member(m) for m in await self._dirty_members()}
        if not learners:
            return 0
        ordered = sorted(learners, key=lambda k: (k.tenant, k.learner_id))
        fetched = await run_pipelined(
            self._client,
            [
                (
                    FETCH_OUTBOX,
                    [k.meta, k.outbox, k.events, self.dirty_key(k)],
                    [OUTBOX_BATCH, k.member],
                )
                for k in ordered
            ],
        )
        batch: list[Pending] = []
        for keys, reply in zip(ordered, fetched, strict=True):
            if not reply:
                continue
            entries = [
                OutboxEntry(n, eid, course_of(body), body)
                for n, eid, body in head_of(parse_entries(reply[1:]))
            ]
            batch.append(Pending(keys, str(reply[0]), entries))
        await self.relay(batch)
        self.swept += len(batch)
        if batch:
            log.info("store.redis.swept", learners=len(batch))
        return len(batch)


def head_of(entries: list[tuple[int, str, str]]) -> list[tuple[int, str, str]]:
    """The entries up to the first without its event. A relay must carry a gap-free head
    of the outbox: the mark moves past everything it carries."""
    for i, (_, _, body) in enumerate(entries):
        if not body:
            return entries[:i]
    return entries


def course_of(event_json: str) -> str:
    """The course id of an encoded event."""
    return str(json.loads(event_json)["c"])


def _relay_call(
    tenant: TenantKeys,
    group: Sequence[_Learner],
    placed: dict[_Learner, list[tuple[int, OutboxEntry]]],
) -> Call:
    keys = [tenant.log, tenant.marks]
    args: list[Any] = [len(group)]
    for learner_keys, gen in group:
        keys += [tenant.stream_ids(learner_keys.learner_id), tenant.tombstone(gen)]
        args += [learner_keys.member, gen, learner_keys.learner_id]
    flat = sorted(
        (position, g, e) for g, learner in enumerate(group, 1) for position, e in placed[learner]
    )
    for _, g, e in flat:
        args += [g, e.n, e.event_id, e.course_id, e.event_json]
    return (RELAY, keys, args)
