"""The production store: Redis or Redis Cluster, shared by any number of engine processes.

- A learner's state, log and outbox live in the learner's slot (see redis_keys.py), and a
  response commits with ONE script there: idempotency check on the event id, compare-and-set
  on the version, state, event and outbox, all or nothing.
- Learner states are never cached in the process: every read goes to Redis, so no process
  answers from a state another process has moved on. Courses are cached, and invalidated
  through pub/sub (redis_courses.py).
- The tenant's event stream is fed by the outbox relay (redis_relay.py).
- A Redis that cannot be reached makes a call fail with UnavailableError (gRPC
  UNAVAILABLE); nothing is answered from memory instead.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

import structlog

from attune.engine.adapters.codec import decode_event, decode_state, encode_event, encode_state
from attune.engine.adapters.redis_conn import check_server, make_client, unavailable_on_failure
from attune.engine.adapters.redis_courses import CourseCache, RedisCourses
from attune.engine.adapters.redis_erasures import RedisErasures
from attune.engine.adapters.redis_interventions import RedisInterventions, learner_keys
from attune.engine.adapters.redis_keys import LearnerKeys, TenantKeys
from attune.engine.adapters.redis_log import RedisEventLog
from attune.engine.adapters.redis_relay import (
    COMMIT_HEAD,
    OutboxEntry,
    OutboxRelay,
    Pending,
    course_of,
    head_of,
    parse_entries,
)
from attune.engine.adapters.redis_scripts import COMMIT, DELETE_LEARNER, ERASE_FROM_LOG
from attune.engine.domain.course import Course
from attune.engine.domain.erasures import PendingErasure
from attune.engine.domain.errors import ConflictError, UnavailableError
from attune.engine.domain.interventions import InterventionEntry
from attune.engine.domain.interventions_apply import ClassPins
from attune.engine.domain.learner import LearnerState
from attune.engine.domain.lru import Lru
from attune.engine.domain.records import LoggedEvent
from attune.engine.ports import DuplicateEventError, Snapshot
from attune.infra.redis import RedisTarget, RedisUrlError, parse_url

log = structlog.get_logger("attune.store.redis")

SWEEP_SECONDS = 5.0
ERASED_TTL_S = 7 * 24 * 3600  # how long late relays of an erased learner are dropped
_DELETE_ATTEMPTS = 5
DECODED_KEPT = 10_000  # learner states remembered with the exact text they were read as


class RedisStore:
    """:class:`~engine.ports.EngineStore` on Redis."""

    def __init__(
        self,
        target: RedisTarget,
        client: Any,
        sweep_seconds: float = SWEEP_SECONDS,
        relay_after_commit: bool = True,
    ) -> None:
        self.target = target
        self._client = client
        self._relay_after_commit = relay_after_commit
        self.relay = OutboxRelay(client, target.cluster, sweep_seconds)
        self.courses = RedisCourses(client, CourseCache(target))
        self.log = RedisEventLog(client, self.relay)
        self.interventions = RedisInterventions(client)
        self.erasures = RedisErasures(client)
        # The last state text this process wrote or decoded per learner and course, with its
        # version and the state it decodes to. A state is still read from Redis every time;
        # when the text read is exactly this one, its decoding is skipped (issue 17: it cost
        # more than the rest of the response together).
        self._decoded: Lru[tuple[str, str, str], tuple[int, str, LearnerState]] = Lru(DECODED_KEPT)

    @classmethod
    async def open(
        cls,
        url: str,
        sweep_seconds: float = SWEEP_SECONDS,
        relay_after_commit: bool = True,
    ) -> RedisStore:
        """Connect to the URL (raising UnavailableError when Redis does not answer), start
        the course invalidation listener, the relay and its sweeper."""
        target = parse_url(url)
        client = make_client(target)
        try:
            async with unavailable_on_failure("connect"):
                if target.cluster:
                    await client.initialize()
                await client.ping()
                facts = await check_server(client, target)
        except (UnavailableError, RedisUrlError):
            await _close_quietly(client)
            raise
        store = cls(target, client, sweep_seconds, relay_after_commit)
        await store.courses.cache.start()
        store.relay.start()
        log.info("store.redis.open", url=target.display, cluster=target.cluster, **facts)
        if facts.get("aof_enabled") is False:
            log.warning(
                "store.redis.no_aof",
                hint="without appendonly yes, a Redis crash loses acknowledged responses",
            )
        return store

    @property
    def client(self) -> Any:
        """The redis-py client (for diagnostics and tests)."""
        return self._client

    async def close(self) -> None:
        """Relay what this process still holds (briefly), stop the background work and
        close the connections."""
        await self.relay.close()
        await self.courses.cache.close()
        await _close_quietly(self._client)

    # -- courses ---------------------------------------------------------------------------

    async def put_course(self, tenant: str, course: Course) -> None:
        """Create or replace a course (and invalidate every process's copy)."""
        await self.courses.put_course(tenant, course)

    async def get_course(self, tenant: str, course_id: str) -> Course | None:
        """A course, cached in this process while invalidations are heard."""
        return await self.courses.get_course(tenant, course_id)

    async def list_courses(self, tenant: str, after: str, limit: int) -> Sequence[Course]:
        """Courses with ``course_id > after``, ordered by id."""
        return await self.courses.list_courses(tenant, after, limit)

    # -- learners --------------------------------------------------------------------------

    async def load(self, tenant: str, learner_id: str, course_id: str) -> Snapshot | None:
        """The learner's state and version, read from Redis every time."""
        async with unavailable_on_failure("load"):
            raw = await self._client.get(LearnerKeys(tenant, learner_id).state(course_id))
        return self._snapshot((tenant, learner_id, course_id), raw)

    def _snapshot(self, key: tuple[str, str, str], raw: str | None) -> Snapshot | None:
        """The snapshot a state value (``version|body``) holds, decoded unless it is the
        very text last written or decoded here for that learner and course."""
        if raw is None:
            return None
        head, _, body = raw.partition("|")
        version = int(head)
        known = self._decoded.get(key)
        if known is not None and known[0] == version and known[1] == body:
            return Snapshot(state=known[2], version=version)
        state = decode_state(body)
        self._decoded.put(key, (version, body, state))
        return Snapshot(state=state, version=version)

    async def prepare(
        self, tenant: str, learner_id: str, course_id: str, event_id: str
    ) -> tuple[LoggedEvent | None, Snapshot | None]:
        """The idempotency check and the state read in ONE round trip: both keys live in
        the learner's slot, so a plain pipeline reaches one node even on a cluster."""
        keys = LearnerKeys(tenant, learner_id)
        async with unavailable_on_failure("prepare"):
            pipe = self._client.pipeline(transaction=False)
            pipe.hget(keys.events, event_id)
            pipe.get(keys.state(course_id))
            raw_event, raw_state = await pipe.execute()
        logged = decode_event(raw_event) if raw_event is not None else None
        return logged, self._snapshot((tenant, learner_id, course_id), raw_state)

    async def commit(self, event: LoggedEvent, state: LearnerState, expected_version: int) -> int:
        """Check the event id, compare-and-set the version, save the state, log the event
        and queue it for the stream: one script, one round trip (see the port)."""
        keys = LearnerKeys(event.tenant, event.learner_id)
        body = encode_event(event)
        state_text = encode_state(state)
        async with unavailable_on_failure("commit"):
            reply = await COMMIT(
                self._client,
                [
                    keys.state(event.course_id),
                    keys.events,
                    keys.sequence(event.course_id),
                    keys.meta,
                    keys.outbox,
                    self.relay.dirty_key(keys),
                ],
                [
                    event.event_id,
                    body,
                    expected_version,
                    state_text,
                    keys.member,
                    uuid.uuid4().hex[:16],
                    f"c:{event.course_id}",
                    COMMIT_HEAD,
                ],
            )
        if reply[0] == "dup":
            raise DuplicateEventError(event.event_id)
        if reply[0] == "conflict":
            raise ConflictError(f"learner {event.learner_id!r} changed concurrently")
        version, gen = int(reply[1]), str(reply[2])
        self._decoded.put(
            (event.tenant, event.learner_id, event.course_id), (version, state_text, state)
        )
        if self._relay_after_commit:
            # The script sends back the head of the outbox (usually just this event, whose
            # JSON we hold already), so the relay needs no read of its own.
            parsed = [
                (n, eid, body if eid == event.event_id else text)
                for n, eid, text in parse_entries(reply[3:])
            ]
            entries = [
                OutboxEntry(
                    n, eid, event.course_id if eid == event.event_id else course_of(text), text
                )
                for n, eid, text in head_of(parsed)
            ]
            self.relay.submit(Pending(keys, gen, entries))
        return version

    async def delete_learner(
        self, tenant: str, learner_id: str, erasure: PendingErasure | None = None
    ) -> tuple[int, int]:
        """Erase the learner's states and events in every course, and their entries in the
        tenant's stream (right to erasure). Late relays of them are dropped afterwards. The
        pending erasure is written first, once the learner is known to exist (see
        redis_erasures.py: the tenant's slot is not the learner's)."""
        keys = LearnerKeys(tenant, learner_id)
        tkeys = TenantKeys(tenant)
        dirty = self.relay.dirty_key(keys)
        self._decoded.drop(lambda k: k[0] == tenant and k[1] == learner_id)
        for _ in range(_DELETE_ATTEMPTS):
            async with unavailable_on_failure("delete_learner"):
                meta = await self._client.hgetall(keys.meta)
                if not meta:
                    return 0, 0
                if erasure is not None:
                    await self.erasures.record(erasure)
                gen = meta.get("gen", "")
                fields = [f for f in meta if f.startswith("c:")]
                courses = [f[2:] for f in fields]
                # The stream first: if the learner's keys went first and this step then
                # failed, nothing would remember which stream entries to erase.
                await ERASE_FROM_LOG(
                    self._client,
                    [tkeys.log, tkeys.marks, tkeys.stream_ids(learner_id), tkeys.tombstone(gen)],
                    [keys.member, ERASED_TTL_S],
                )
                await self.interventions.forget_learner(tenant, learner_id, courses)
                iv_all, *iv_ids = learner_keys(keys, courses)
                course_keys: list[str] = []
                for c, ids in zip(courses, iv_ids, strict=True):
                    course_keys += [keys.state(c), keys.sequence(c), ids]
                reply = await DELETE_LEARNER(
                    self._client,
                    [keys.meta, keys.events, keys.outbox, dirty, iv_all, *course_keys],
                    [keys.member, *fields],
                )
            if reply[0] == "ok":
                return int(reply[1]), int(reply[2])
        raise ConflictError(f"learner {learner_id!r} kept changing while being erased")

    # -- pending erasures (redis_erasures.py) -----------------------------------------------

    async def pending_erasures(
        self, tenant: str, learner_id: str, limit: int
    ) -> Sequence[PendingErasure]:
        """The tenant's pending erasures, oldest first."""
        return await self.erasures.pending(tenant, learner_id, limit)

    async def acknowledge_erasure(self, tenant: str, learner_id: str, erasure_id: str) -> bool:
        """Delete the pending erasure if it is still ``erasure_id``."""
        return await self.erasures.acknowledge(tenant, learner_id, erasure_id)

    # -- interventions (redis_interventions.py) --------------------------------------------

    async def get_intervention(
        self, tenant: str, course_id: str, learner_id: str, request_id: str
    ) -> InterventionEntry | None:
        """The entry recorded under this request id, if any."""
        return await self.interventions.get_intervention(tenant, course_id, learner_id, request_id)

    async def commit_intervention(
        self, entry: InterventionEntry, state: LearnerState, expected_version: int
    ) -> InterventionEntry:
        """Record the entry and save the state in one script (see the port)."""
        return await self.interventions.commit_intervention(entry, state, expected_version)

    async def class_pins(self, tenant: str, course_id: str) -> ClassPins:
        """The course's class pins."""
        return await self.interventions.class_pins(tenant, course_id)

    async def commit_class_pins(
        self, entry: InterventionEntry, skills: tuple[str, ...], expected_version: int
    ) -> InterventionEntry:
        """Record the entry and set the class's pins in one script."""
        return await self.interventions.commit_class_pins(entry, skills, expected_version)

    async def list_interventions(
        self, tenant: str, course_id: str, learner_id: str, before: int, limit: int
    ) -> Sequence[InterventionEntry]:
        """The course's entries older than ``before``, newest first."""
        return await self.interventions.list_interventions(
            tenant, course_id, learner_id, before, limit
        )

    async def latest_interventions(
        self, tenant: str, course_id: str
    ) -> Sequence[InterventionEntry]:
        """The newest entry of each learner in the course."""
        return await self.interventions.latest_interventions(tenant, course_id)

    # -- event log -------------------------------------------------------------------------

    async def get_event(self, tenant: str, event_id: str, learner_id: str) -> LoggedEvent | None:
        """The learner's logged event with this id, if any."""
        return await self.log.get_event(tenant, event_id, learner_id)

    async def read_events(self, tenant: str, after: int, limit: int) -> Sequence[LoggedEvent]:
        """The tenant's stream after ``after`` (a log id), in log order."""
        return await self.log.read_events(tenant, after, limit)

    async def read_course_events(
        self, tenant: str, course_id: str, after: int, limit: int
    ) -> Sequence[LoggedEvent]:
        """One course's events in the tenant's stream after ``after``, in log order."""
        return await self.log.read_course_events(tenant, course_id, after, limit)

    async def read_learner_events(
        self, tenant: str, learner_id: str, course_id: str
    ) -> Sequence[LoggedEvent]:
        """One learner's events in one course, in the order they were applied."""
        return await self.log.read_learner_events(tenant, learner_id, course_id)


async def _close_quietly(client: Any) -> None:
    try:
        await client.aclose()
    except Exception as exc:  # closing a broken connection must not hide the real error
        log.debug("store.redis.close_failed", error=str(exc))
