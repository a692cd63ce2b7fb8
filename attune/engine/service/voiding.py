"""The VoidEvent use case (issue 19): take one logged response back out of a learner's
model by rebuilding the state without it (:mod:`domain.voiding`), and record the void in
the audit trail, in one atomic step with the rebuilt state (the interventions' commit, under
the same per-learner lock and version check as a response). Depends on ports and the domain.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import structlog

from attune.engine.domain.errors import ConflictError, InvalidInputError, NotFoundError
from attune.engine.domain.experiments import course_for
from attune.engine.domain.interventions import (
    MAX_ACTOR_CHARS,
    MAX_REASON_CHARS,
    InterventionEntry,
    Kind,
    Scope,
)
from attune.engine.domain.limits import MAX_ID_CHARS, check_text
from attune.engine.domain.tutoring import TutorPolicy
from attune.engine.domain.voiding import rebuild, void_request_id, voided_events
from attune.engine.ports import Clock, DuplicateInterventionError, EngineStore
from attune.engine.service.keyed_lock import KeyedLock

log = structlog.get_logger("attune.engine")

_CAS_RETRIES = 8
_TRAIL_PAGE = 500


@dataclass(frozen=True, slots=True)
class Voided:
    """The recorded void, whether it was a repeat, and how many responses the state was
    replayed from (0 on a repeat)."""

    entry: InterventionEntry
    duplicate: bool
    replayed: int


def _required(field: str, value: str, limit: int) -> str:
    if not value or not value.strip():
        raise InvalidInputError(field, "must not be empty")
    return check_text(field, value, limit)


class EventVoiding:
    """VoidEvent over an :class:`EngineStore`, sharing the engine's learner locks."""

    def __init__(
        self, store: EngineStore, clock: Clock, tutor: TutorPolicy, locks: KeyedLock
    ) -> None:
        self._store = store
        self._clock = clock
        self._tutor = tutor
        self._locks = locks

    async def void(
        self, tenant: str, course_id: str, learner_id: str, event_id: str, actor: str, reason: str
    ) -> Voided:
        """Void ``event_id`` (a response of the learner in the course) once."""
        _required("course_id", course_id, MAX_ID_CHARS)
        _required("learner_id", learner_id, MAX_ID_CHARS)
        _required("event_id", event_id, MAX_ID_CHARS)
        _required("actor", actor, MAX_ACTOR_CHARS)
        _required("reason", reason, MAX_REASON_CHARS)
        stored = await self._store.get_course(tenant, course_id)
        if stored is None:
            raise NotFoundError("course", course_id)
        course = course_for(stored, tenant, learner_id)
        request_id = void_request_id(event_id)
        async with self._locks.hold((tenant, learner_id)):
            for _ in range(_CAS_RETRIES):
                done = await self._store.get_intervention(tenant, course_id, learner_id, request_id)
                if done is not None:
                    return Voided(done, True, 0)
                event = await self._store.get_event(tenant, event_id, learner_id)
                snap = await self._store.load(tenant, learner_id, course_id)
                # (The embedded store finds event ids per tenant, not per learner.)
                theirs = event is not None and (event.learner_id, event.course_id) == (
                    learner_id,
                    course_id,
                )
                if not theirs or snap is None:
                    raise NotFoundError("event", event_id)
                entries = await self._trail(tenant, course_id, learner_id)
                events = await self._store.read_learner_events(tenant, learner_id, course_id)
                voided = voided_events(entries) | {event_id}
                # The replay is O(history): off the event loop, so other calls go on meanwhile.
                rebuilt = await asyncio.to_thread(
                    rebuild, course, snap.state, events, entries, voided, self._tutor
                )
                state = rebuilt.state
                entry = InterventionEntry(
                    tenant=tenant,
                    request_id=request_id,
                    course_id=course_id,
                    scope=Scope.LEARNER,
                    learner_id=learner_id,
                    kind=Kind.VOID_EVENT,
                    skill_id="",
                    actor=actor,
                    reason=reason,
                    recorded_at=self._clock.now(),
                    pinned=state.pinned,
                    exempt=state.exempt,
                )
                try:
                    entry = await self._store.commit_intervention(entry, state, snap.version)
                except (DuplicateInterventionError, ConflictError):
                    continue  # a concurrent void or response won; the next pass sees it
                log.info(
                    "learner.event_voided",
                    tenant=tenant,
                    course_id=course_id,
                    learner_id=learner_id,
                    event_id=event_id,
                    replayed=rebuilt.replayed,
                    dropped=len(rebuilt.dropped),
                )
                return Voided(entry, False, rebuilt.replayed)
        raise ConflictError(f"learner {learner_id!r} is being updated concurrently")

    async def _trail(self, tenant: str, course_id: str, learner_id: str) -> list[InterventionEntry]:
        """Every audit entry of the learner in the course."""
        found: list[InterventionEntry] = []
        before = 0
        while True:
            page = await self._store.list_interventions(
                tenant, course_id, learner_id, before, _TRAIL_PAGE
            )
            found.extend(page)
            if len(page) < _TRAIL_PAGE:
                return found
            before = page[-1].intervention_id
