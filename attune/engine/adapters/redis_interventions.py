"""Interventions on Redis: the audit trail and the class pins.

A learner's entries live in the learner's slot, beside their state, so that an intervention
and the state it changes commit in ONE script (the same version check as a response):

- ``{t,l}:iv``: hash ``<course>:<request id>`` -> ``<intervention id>|<entry JSON>`` (the
  entries, and the idempotency index);
- ``{t,l}:iv-ids:<course>``: sorted set of those fields by intervention id (the learner's
  trail in a course, newest last).

The tenant's slot holds what is shared by a course's class:

- ``{t}:iv-seq``: the tenant's counter of intervention ids;
- ``{t}:iv-learners:<course>``: the learners with entries in the course;
- ``{t}:class-pins:<course>``: ``<version>|<pins JSON>``;
- ``{t}:iv-class:<course>`` and ``{t}:iv-class-ids:<course>``: the class's own entries, as
  above.

A learner's intervention first takes its id from the tenant's counter and adds the learner
to the course's set (one script in the tenant's slot), then commits in the learner's slot.
A commit that fails afterwards leaves a gap in the ids and, at worst, a learner in the set
with no entry: the set is only ever a superset, so a course's trail (every learner's entries
merged by id) misses nothing. Erasure removes the learner from the sets and deletes their
keys with their state (see redis_store.py).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from attune.engine.adapters.codec import encode_state
from attune.engine.adapters.intervention_codec import (
    decode_entry,
    decode_pins,
    encode_entry,
    encode_pins,
)
from attune.engine.adapters.redis_conn import unavailable_on_failure
from attune.engine.adapters.redis_keys import PREFIX, LearnerKeys, TenantKeys
from attune.engine.adapters.redis_scripts import Call, Script, run_pipelined
from attune.engine.domain.errors import ConflictError
from attune.engine.domain.interventions import InterventionEntry
from attune.engine.domain.interventions_apply import ClassPins
from attune.engine.domain.learner import LearnerState
from attune.engine.ports import DuplicateInterventionError
from attune.infra.redis import escape


def entries_key(keys: LearnerKeys) -> str:
    """The learner's hash of entries (every course)."""
    return f"{PREFIX}:{keys.tag}:iv"


def ids_key(keys: LearnerKeys, course_id: str) -> str:
    """The learner's entries in one course, by id."""
    return f"{PREFIX}:{keys.tag}:iv-ids:{escape(course_id)}"


def _field(course_id: str, request_id: str) -> str:
    # The course is escaped (no ':'), so the first ':' ends it.
    return f"{escape(course_id)}:{request_id}"


class _TenantIv:
    """The tenant-slot keys of one course."""

    def __init__(self, tenant: str, course_id: str) -> None:
        tag, course = TenantKeys(tenant).tag, escape(course_id)
        self.seq = f"{PREFIX}:{tag}:iv-seq"
        self.learners = f"{PREFIX}:{tag}:iv-learners:{course}"
        self.pins = f"{PREFIX}:{tag}:class-pins:{course}"
        self.entries = f"{PREFIX}:{tag}:iv-class:{course}"
        self.ids = f"{PREFIX}:{tag}:iv-class-ids:{course}"


# KEYS: counter, learners of the course    ARGV: learner id -> the new intervention id
ALLOCATE = Script(
    """
redis.call('SADD', KEYS[2], ARGV[1])
return redis.call('INCR', KEYS[1])
"""
)

_VERSION_OF = """
local function version_of(key)
  local current = redis.call('GET', key)
  if not current then return 0 end
  return tonumber(string.sub(current, 1, string.find(current, '|', 1, true) - 1))
end
"""

# KEYS: state, entries, ids, meta
# ARGV: field, "<id>|<entry JSON>", expected version, state JSON, id, course field, new gen
# -> {"dup"} | {"conflict", version} | {"ok", version}
COMMIT_LEARNER = Script(
    _VERSION_OF
    + """
if redis.call('HEXISTS', KEYS[2], ARGV[1]) == 1 then return {'dup'} end
local version = version_of(KEYS[1])
if version ~= tonumber(ARGV[3]) then return {'conflict', version} end
version = version + 1
redis.call('SET', KEYS[1], version .. '|' .. ARGV[4])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[3], tonumber(ARGV[5]), ARGV[1])
if redis.call('HEXISTS', KEYS[4], 'gen') == 0 then redis.call('HSET', KEYS[4], 'gen', ARGV[7]) end
redis.call('HSET', KEYS[4], ARGV[6], 1)
return {'ok', version}
"""
)

# KEYS: pins, entries, ids, counter    ARGV: request id, entry JSON, expected version, pins
# -> {"dup"} | {"conflict", version} | {"ok", id}
COMMIT_CLASS = Script(
    _VERSION_OF
    + """
if redis.call('HEXISTS', KEYS[2], ARGV[1]) == 1 then return {'dup'} end
local version = version_of(KEYS[1])
if version ~= tonumber(ARGV[3]) then return {'conflict', version} end
local id = redis.call('INCR', KEYS[4])
redis.call('SET', KEYS[1], (version + 1) .. '|' .. ARGV[4])
redis.call('HSET', KEYS[2], ARGV[1], id .. '|' .. ARGV[2])
redis.call('ZADD', KEYS[3], id, ARGV[1])
return {'ok', id}
"""
)

# KEYS: entries, ids    ARGV: upper bound (exclusive score or "+inf"), limit
# -> the newest entries below the bound, newest first ("<id>|<entry JSON>")
TRAIL = Script(
    """#!lua flags=no-writes
local fields = redis.call('ZREVRANGEBYSCORE', KEYS[2], ARGV[1], '-inf', 'LIMIT', 0, ARGV[2])
if #fields == 0 then return {} end
return redis.call('HMGET', KEYS[1], unpack(fields))
"""
)


def _entry(raw: str | None) -> InterventionEntry | None:
    if not raw:
        return None
    n, _, body = raw.partition("|")
    return decode_entry(body, int(n))


class RedisInterventions:
    """The InterventionStore port on Redis (see the module doc)."""

    def __init__(self, client: Any) -> None:
        self._client = client

    async def get_intervention(
        self, tenant: str, course_id: str, learner_id: str, request_id: str
    ) -> InterventionEntry | None:
        """The entry recorded under this request id ("" learner: the class's)."""
        async with unavailable_on_failure("get_intervention"):
            if learner_id:
                keys = LearnerKeys(tenant, learner_id)
                raw = await self._client.hget(entries_key(keys), _field(course_id, request_id))
            else:
                raw = await self._client.hget(_TenantIv(tenant, course_id).entries, request_id)
        return _entry(raw)

    async def commit_intervention(
        self, entry: InterventionEntry, state: LearnerState, expected_version: int
    ) -> InterventionEntry:
        """Take an id in the tenant's slot, then commit in the learner's (see the doc)."""
        tkeys = _TenantIv(entry.tenant, entry.course_id)
        keys = LearnerKeys(entry.tenant, entry.learner_id)
        field = _field(entry.course_id, entry.request_id)
        async with unavailable_on_failure("commit_intervention"):
            n = int(await ALLOCATE(self._client, [tkeys.seq, tkeys.learners], [entry.learner_id]))
            reply = await COMMIT_LEARNER(
                self._client,
                [keys.state(entry.course_id), entries_key(keys), ids_key(keys, entry.course_id),
                 keys.meta],
                [field, f"{n}|{encode_entry(entry)}", expected_version, encode_state(state), n,
                 f"c:{entry.course_id}", uuid.uuid4().hex[:16]],
            )  # fmt: skip
        _check(reply, entry)
        return _numbered(entry, n)

    async def class_pins(self, tenant: str, course_id: str) -> ClassPins:
        """The course's class pins."""
        async with unavailable_on_failure("class_pins"):
            raw = await self._client.get(_TenantIv(tenant, course_id).pins)
        if raw is None:
            return ClassPins()
        version, _, body = raw.partition("|")
        return ClassPins(decode_pins(body), int(version))

    async def commit_class_pins(
        self, entry: InterventionEntry, skills: tuple[str, ...], expected_version: int
    ) -> InterventionEntry:
        """Record the entry and set the pins: one script in the tenant's slot."""
        tkeys = _TenantIv(entry.tenant, entry.course_id)
        async with unavailable_on_failure("commit_class_pins"):
            reply = await COMMIT_CLASS(
                self._client,
                [tkeys.pins, tkeys.entries, tkeys.ids, tkeys.seq],
                [entry.request_id, encode_entry(entry), expected_version, encode_pins(skills)],
            )
        _check(reply, entry)
        return _numbered(entry, int(reply[1]))

    async def list_interventions(
        self, tenant: str, course_id: str, learner_id: str, before: int, limit: int
    ) -> Sequence[InterventionEntry]:
        """The course's entries older than ``before``, newest first: the class's and each
        learner's newest, merged (or one learner's alone)."""
        bound = f"({before}" if before > 0 else "+inf"
        tkeys = _TenantIv(tenant, course_id)
        async with unavailable_on_failure("list_interventions"):
            if learner_id:
                learners = [learner_id]
            else:
                learners = sorted(await self._client.smembers(tkeys.learners))
            calls: list[Call] = []
            for lid in learners:
                keys = LearnerKeys(tenant, lid)
                calls.append((TRAIL, [entries_key(keys), ids_key(keys, course_id)], [bound, limit]))
            if not learner_id:
                calls.append((TRAIL, [tkeys.entries, tkeys.ids], [bound, limit]))
            pages = await run_pipelined(self._client, calls)
        # Each learner's page may hold ``limit`` entries: order them by the id in front of
        # each, and decode only the ones kept.
        raws = [r for page in pages for r in page if r]
        raws.sort(key=lambda r: -int(r.partition("|")[0]))
        return [e for e in map(_entry, raws[:limit]) if e is not None]

    async def latest_interventions(
        self, tenant: str, course_id: str
    ) -> Sequence[InterventionEntry]:
        """The newest entry of each learner with entries in the course."""
        tkeys = _TenantIv(tenant, course_id)
        async with unavailable_on_failure("latest_interventions"):
            learners = sorted(await self._client.smembers(tkeys.learners))
            calls: list[Call] = []
            for lid in learners:
                keys = LearnerKeys(tenant, lid)
                calls.append((TRAIL, [entries_key(keys), ids_key(keys, course_id)], ["+inf", 1]))
            pages = await run_pipelined(self._client, calls)
        return [e for page in pages for e in map(_entry, page) if e is not None]

    async def forget_learner(self, tenant: str, learner_id: str, course_ids: list[str]) -> None:
        """Take an erased learner out of their courses' sets (the tenant's slot); their own
        keys go with their state (:func:`learner_keys`)."""
        if not course_ids:
            return
        async with unavailable_on_failure("delete_learner"):
            pipe = self._client.pipeline(transaction=False)
            for course_id in course_ids:
                pipe.srem(_TenantIv(tenant, course_id).learners, learner_id)
            await pipe.execute()


def learner_keys(keys: LearnerKeys, course_ids: Sequence[str]) -> list[str]:
    """The learner's intervention keys, to delete with their state."""
    return [entries_key(keys), *(ids_key(keys, c) for c in course_ids)]


def _check(reply: Sequence[Any], entry: InterventionEntry) -> None:
    if reply[0] == "dup":
        raise DuplicateInterventionError(entry.request_id)
    if reply[0] == "conflict":
        raise ConflictError(f"learner {entry.learner_id!r} changed concurrently")


def _numbered(entry: InterventionEntry, n: int) -> InterventionEntry:
    return replace(entry, intervention_id=n)
