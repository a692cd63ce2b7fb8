"""Applying parsed statements and events: each id once, in order, and only if the whole
request can be taken.

Two mechanisms together give an LRS's semantics (xAPI 1.0.3 Communication §2.1):
- The key/value store remembers every id with the fingerprint of its content. Only that
  can tell "the same statement again" (not applied again, not an error) from "another
  statement under a known id" (409 Conflict), and it covers statements that never reach
  the engine (no result, unmapped activity).
- The engine's idempotency by event id makes applying crash-safe: an id is claimed
  (``pending``) before its response is recorded and marked done after. A retry that finds
  its own claim still pending records again, and the engine answers ``duplicate`` if the
  first attempt got through; so nothing is lost and nothing is applied twice.

Conflicts, mappings and unknown items are all worked out before the first response is
recorded, so a refused request has changed nothing. (Two requests racing with different
content for one id can still meet mid-batch; the later one then gets 409 for the rest.)
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal, Protocol

from attune.engine.v1 import course_pb2, learner_pb2
from attune.gateway.errors import EngineCallError
from attune.gateway.ingest.activity_map import ItemRef, activity_map_json
from attune.gateway.ingest.caliper_check import CaliperEvent
from attune.gateway.ingest.mapping import (
    Mapped,
    MappedResponse,
    NotApplied,
    TenantView,
    map_caliper,
    map_statement,
)
from attune.gateway.ingest.problems import IdConflictError
from attune.gateway.ingest.xapi_batch import ParsedStatement
from attune.gateway.ports import KeyValueStore
from attune.gateway.xapi_store.accept import StatementKeeper, Voider, default_authority
from attune.gateway.xapi_store.ports import StatementStore

# The store expires every value; seen ids and the activity map are kept for a century.
KEEP_SECONDS = 100 * 365 * 86400.0
ACTIVITY_MAP_KEY = "ingest:activity-map"

Status = Literal["applied", "duplicate", "not_applied"]


class Recorder(Protocol):
    """The engine's RecordResponse (an ``EngineClient`` is one)."""

    def record(
        self, tenant: str, request: learner_pb2.RecordResponseRequest
    ) -> learner_pb2.RecordResponseResponse: ...


class IngestStore(KeyValueStore, StatementStore, Protocol):
    """Seen ids and the activity map, and the accepted statements."""


class Courses(Protocol):
    """Courses by id (``CourseCache`` is one); EngineCallError NOT_FOUND for none."""

    def get(self, tenant: str, course_id: str) -> course_pb2.Course: ...


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of one statement or event."""

    ident: str
    status: Status
    reason: str = ""


@dataclass(frozen=True, slots=True)
class _Pending:
    ident: str
    path: str
    key: str
    fingerprint: str
    mapped: Mapped


class Ingestor:
    """Applies inbound xAPI statements and Caliper events for one tenant at a time."""

    def __init__(
        self,
        store: IngestStore,
        engine: Recorder,
        courses: Courses,
        clock: Callable[[], float] = time.time,
        voider: Voider | None = None,
    ) -> None:
        self._store = store
        self._engine = engine
        self._courses = courses
        # An engine client that can void (the gRPC one) voids unless told otherwise.
        can_void = voider or (engine if isinstance(engine, Voider) else None)
        self._keeper = StatementKeeper(store, clock, can_void)

    # -- the activity map -----------------------------------------------------------------

    def activity_map(self, tenant: str) -> dict[str, ItemRef]:
        stored = self._store.get(tenant, ACTIVITY_MAP_KEY) or {}
        return {iri: ItemRef(ref["course_id"], ref["item_id"]) for iri, ref in stored.items()}

    def put_activity_map(self, tenant: str, mapping: dict[str, ItemRef]) -> None:
        self._store.put(tenant, ACTIVITY_MAP_KEY, activity_map_json(mapping), KEEP_SECONDS)

    def missing_item(self, tenant: str, ref: ItemRef) -> str:
        """Why ``ref`` is not an item of the tenant's courses, or ``""`` when it is."""
        try:
            course = self._courses.get(tenant, ref.course_id)
        except EngineCallError as exc:
            if exc.code == "NOT_FOUND":
                return f"course {ref.course_id!r} does not exist"
            raise
        if not any(item.item_id == ref.item_id for item in course.items):
            return f"course {ref.course_id!r} has no item {ref.item_id!r}"
        return ""

    # -- applying -------------------------------------------------------------------------

    def apply_xapi(
        self,
        view: TenantView,
        statements: Sequence[ParsedStatement],
        authority: dict[str, Any] | None = None,
        version: str = "1.0.0",
    ) -> list[Outcome]:
        """Apply a validated batch, then keep its statements for GET and apply its voiding
        statements (:mod:`gateway.xapi_store.accept`); :class:`IdConflictError` (nothing
        applied) on a known id with other content. ``authority`` and ``version`` are what
        the LRS sets on a statement that has none."""
        pending = []
        for s in statements:
            key = f"ingest:xapi:{s.statement_id}"
            seen = self._seen(view.tenant, key, s.fingerprint)
            if seen == "conflict":
                raise IdConflictError(s.path, s.statement_id)
            mapped = NotApplied("seen before") if seen == "done" else map_statement(s, view)
            pending.append(_Pending(s.statement_id, s.path, key, s.fingerprint, mapped))
        outcomes = self._apply(view.tenant, pending, conflict=self._refuse)
        engine_refs = {
            p.ident: (p.mapped.learner_id, p.mapped.course_id, p.mapped.event_id)
            for p, o in zip(pending, outcomes, strict=True)
            if isinstance(p.mapped, MappedResponse) and o.status != "not_applied"
        }
        home = view.home_pages[0] if view.home_pages else "https://attune.invalid"
        who = authority or default_authority(view.tenant, home)
        self._keeper.keep(view.tenant, statements, engine_refs, who, version)
        return outcomes

    def apply_caliper(self, view: TenantView, events: Sequence[CaliperEvent]) -> list[Outcome]:
        """Apply a validated envelope's events. Caliper has no 409: an id seen before with
        other content is reported as not applied."""
        pending = []
        for e in events:
            key = f"ingest:caliper:{e.event_id}"
            seen = self._seen(view.tenant, key, e.fingerprint)
            mapped = NotApplied("seen before") if seen else map_caliper(e, view)
            pending.append(_Pending(e.event_id, e.path, key, e.fingerprint, mapped))
        return self._apply(view.tenant, pending, conflict=None)

    def _seen(self, tenant: str, key: str, fingerprint: str) -> Literal["", "conflict", "done"]:
        """Whether the id is known with other content, or done with this content. (A pending
        claim counts as unseen: its request stopped half-way and this one finishes it.)"""
        seen = self._store.get(tenant, key)
        if seen is None:
            return ""
        if seen["fingerprint"] != fingerprint:
            return "conflict"
        return "done" if seen["state"] != "pending" else ""

    @staticmethod
    def _refuse(item: _Pending) -> None:
        raise IdConflictError(item.path, item.ident)

    def _apply(
        self,
        tenant: str,
        pending: list[_Pending],
        conflict: Callable[[_Pending], None] | None,
    ) -> list[Outcome]:
        # Unknown courses and items are found now, before anything is recorded: the engine
        # would refuse them mid-batch.
        checked = [self._check_item(tenant, item) for item in pending]
        return [self._one(tenant, item, conflict) for item in checked]

    def _check_item(self, tenant: str, item: _Pending) -> _Pending:
        if isinstance(item.mapped, MappedResponse):
            ref = ItemRef(item.mapped.course_id, item.mapped.item_id)
            missing = self.missing_item(tenant, ref)
            if missing:
                return replace(item, mapped=NotApplied(missing))
        return item

    def _one(
        self, tenant: str, item: _Pending, conflict: Callable[[_Pending], None] | None
    ) -> Outcome:
        claim = {"fingerprint": item.fingerprint, "state": "pending"}
        if not self._store.add(tenant, item.key, claim, KEEP_SECONDS):
            seen: dict[str, Any] = self._store.get(tenant, item.key) or claim
            if seen["fingerprint"] != item.fingerprint:
                if conflict is not None:
                    conflict(item)
                return Outcome(item.ident, "not_applied", "id seen before with different content")
            if seen["state"] != "pending":
                return Outcome(item.ident, "duplicate")
            # Our own claim from an attempt that stopped half-way: go on, the engine dedupes.
        outcome = self._record(tenant, item)
        done = {"fingerprint": item.fingerprint, "state": outcome.status, "reason": outcome.reason}
        self._store.put(tenant, item.key, done, KEEP_SECONDS)
        return outcome

    def _record(self, tenant: str, item: _Pending) -> Outcome:
        mapped = item.mapped
        if isinstance(mapped, NotApplied):
            return Outcome(item.ident, "not_applied", mapped.reason)
        reply = self._engine.record(tenant, to_request(mapped))
        return Outcome(item.ident, "duplicate" if reply.duplicate else "applied")


def to_request(mapped: MappedResponse) -> learner_pb2.RecordResponseRequest:
    """The RecordResponse request for one mapped response."""
    request = learner_pb2.RecordResponseRequest(
        event_id=mapped.event_id,
        learner_id=mapped.learner_id,
        course_id=mapped.course_id,
        item_id=mapped.item_id,
        response_time_ms=mapped.response_time_ms,
    )
    if mapped.score is not None:
        request.score = mapped.score
    else:
        request.correct = bool(mapped.correct)
    if mapped.occurred_at is not None:
        # Whole seconds and microseconds apart: epoch nanoseconds exceed a float's precision.
        seconds = math.floor(mapped.occurred_at)
        micros = min(999_999, round((mapped.occurred_at - seconds) * 1e6))
        request.occurred_at.seconds, request.occurred_at.nanos = seconds, micros * 1000
    return request
