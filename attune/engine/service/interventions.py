"""The interventions use case: apply one exactly once, atomically with the state it
changes, and read the audit trail. Depends on ports and the domain only.

A learner's intervention runs under the same per-learner lock as a response and commits
under the same version check, so it never interleaves with a response of that learner: on a
conflict (another engine process moved the state on) it is recomputed from the new state.
The class's pins are read on every recommendation; they are cached here for
``PIN_TTL_S`` seconds (dropped at once by a pin change made in this process), so a pin made
on another engine sharing the store takes effect here within that time.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import structlog

from attune.engine.domain.course import Course
from attune.engine.domain.errors import ConflictError, InvalidInputError, NotFoundError
from attune.engine.domain.experiments import course_for
from attune.engine.domain.interventions import (
    InterventionEntry,
    InterventionRequest,
    Kind,
    Scope,
    check_against,
    check_replay,
    entry_of,
    validate_request,
)
from attune.engine.domain.interventions_apply import (
    apply_to_learner,
    exempt_learners,
    in_course_order,
    pinned_after,
)
from attune.engine.domain.lru import Lru
from attune.engine.domain.tutoring import TutorPolicy
from attune.engine.ports import Clock, DuplicateInterventionError, EngineStore
from attune.engine.service.keyed_lock import KeyedLock

log = structlog.get_logger("attune.engine")

DEFAULT_PAGE = 50
MAX_PAGE = 500
# Long enough that the read stays off the response path (a response costs 2 round trips on
# Redis, and a pin read every second made it 3 on a slow run); short enough for a teacher.
PIN_TTL_S = 30.0
PIN_CACHE = 4096  # (tenant, course) pairs whose class pins are cached
_CAS_RETRIES = 8


@dataclass(frozen=True, slots=True)
class Applied:
    """An intervention as recorded, whether it was a retry (then nothing was applied), and
    the class's pins now, in course order."""

    entry: InterventionEntry
    duplicate: bool
    class_pins: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class InterventionPage:
    """One page of a course's audit trail, with the class's pins and the exempt learners as
    they stand now."""

    entries: Sequence[InterventionEntry]
    next_page_token: str
    class_pins: tuple[str, ...]
    exempt: tuple[str, ...]


def _page_size(value: int) -> int:
    if value < 0:
        raise InvalidInputError("page_size", "must be >= 0")
    if value > MAX_PAGE:
        raise InvalidInputError("page_size", f"must be at most {MAX_PAGE}")
    return value or DEFAULT_PAGE


def _before(token: str) -> int:
    """The page token: the id of the last entry of the previous page."""
    if not token:
        return 0
    if not token.isdigit() or len(token) > 19 or int(token) < 1:
        raise InvalidInputError("page_token", "is not a token this service gave")
    return int(token)


class Interventions:
    """Interventions over an :class:`EngineStore`, sharing the engine's learner locks."""

    def __init__(
        self, store: EngineStore, clock: Clock, tutor: TutorPolicy, locks: KeyedLock
    ) -> None:
        self._store = store
        self._clock = clock
        self._tutor = tutor
        self._locks = locks
        self._pins: Lru[tuple[str, str], tuple[float, frozenset[str]]] = Lru(PIN_CACHE)

    def forget_tenant(self, tenant: str) -> None:
        """Drop the tenant's cached class pins (after the tenant was deleted)."""
        self._pins.drop(lambda k: k[0] == tenant)

    async def _course(self, tenant: str, course_id: str) -> Course:
        course = await self._store.get_course(tenant, course_id)
        if course is None:
            raise NotFoundError("course", course_id)
        return course

    async def intervene(self, tenant: str, req: InterventionRequest) -> Applied:
        """Apply ``req`` once (on a retry, the entry is the original)."""
        kind = validate_request(req)
        course = await self._course(tenant, req.course_id)
        check_against(req, course)
        if req.scope is Scope.CLASS:
            async with self._locks.hold((tenant, req.course_id, "class pins")):
                entry, duplicate = await self._for_class(tenant, course, req, kind)
            self._pins.pop((tenant, req.course_id))
        else:
            async with self._locks.hold((tenant, req.learner_id)):
                # The learner's view of the course: their experiment arm's mastery policy.
                learner_course = course_for(course, tenant, req.learner_id)
                entry, duplicate = await self._for_learner(tenant, learner_course, req, kind)
        if not duplicate:
            log.info(
                "learner.intervention",
                tenant=tenant,
                course_id=entry.course_id,
                learner_id=entry.learner_id,
                scope=entry.scope.value,
                kind=entry.kind.value,
                skill_id=entry.skill_id,
                actor=entry.actor,
                intervention_id=entry.intervention_id,
            )
        pins = await self._store.class_pins(tenant, req.course_id)
        return Applied(entry, duplicate, in_course_order(course, pins.skills))

    async def _for_learner(
        self, tenant: str, course: Course, req: InterventionRequest, kind: Kind
    ) -> tuple[InterventionEntry, bool]:
        store = self._store
        for _ in range(_CAS_RETRIES):
            logged = await store.get_intervention(
                tenant, req.course_id, req.learner_id, req.request_id
            )
            if logged is not None:
                check_replay(logged, req)
                return logged, True
            snap = await store.load(tenant, req.learner_id, req.course_id)
            if snap is None:
                raise NotFoundError("learner", req.learner_id)
            state, change = apply_to_learner(
                course, snap.state, kind, req.skill_id, self._tutor.review.revoke_margin
            )
            entry = entry_of(
                tenant, req, kind, self._clock.now(), change, state.pinned, state.exempt
            )
            try:
                return await store.commit_intervention(entry, state, snap.version), False
            except (DuplicateInterventionError, ConflictError):
                continue  # a concurrent retry or response won; the next pass sees it
        raise ConflictError(f"learner {req.learner_id!r} is being updated concurrently")

    async def _for_class(
        self, tenant: str, course: Course, req: InterventionRequest, kind: Kind
    ) -> tuple[InterventionEntry, bool]:
        store = self._store
        for _ in range(_CAS_RETRIES):
            logged = await store.get_intervention(tenant, req.course_id, "", req.request_id)
            if logged is not None:
                check_replay(logged, req)
                return logged, True
            pins = await store.class_pins(tenant, req.course_id)
            after = pinned_after(course, pins.skills, kind, req.skill_id)
            entry = entry_of(tenant, req, kind, self._clock.now(), None, after, False)
            try:
                return await store.commit_class_pins(entry, after, pins.version), False
            except (DuplicateInterventionError, ConflictError):
                continue
        raise ConflictError(f"the class pins of {req.course_id!r} are changing concurrently")

    async def class_pins(self, tenant: str, course_id: str) -> frozenset[str]:
        """The skills pinned for the whole class of a course (cached, see the module doc)."""
        key = (tenant, course_id)
        now = time.monotonic()
        cached = self._pins.get(key)
        if cached is not None and cached[0] > now:
            return cached[1]
        pins = frozenset((await self._store.class_pins(tenant, course_id)).skills)
        self._pins.put(key, (now + PIN_TTL_S, pins))
        return pins

    async def exempt(self, tenant: str, course_id: str, learner_id: str = "") -> set[str]:
        """The course's learners exempt now (just ``learner_id``, when given): each
        learner's newest entry carries their flag."""
        if learner_id:
            newest = await self._store.list_interventions(tenant, course_id, learner_id, 0, 1)
        else:
            newest = await self._store.latest_interventions(tenant, course_id)
        return exempt_learners(newest)

    async def trail(
        self, tenant: str, course_id: str, learner_id: str, page_size: int, page_token: str
    ) -> InterventionPage:
        """One page of the course's audit trail, newest first (only the learner's when
        ``learner_id`` is given)."""
        if not course_id or not course_id.strip():
            raise InvalidInputError("course_id", "must not be empty")
        size = _page_size(page_size)
        before = _before(page_token)
        course = await self._course(tenant, course_id)
        found = await self._store.list_interventions(
            tenant, course_id, learner_id, before, size + 1
        )
        page = found[:size]
        token = str(page[-1].intervention_id) if len(found) > size else ""
        pins = await self._store.class_pins(tenant, course_id)
        exempt = await self.exempt(tenant, course_id, learner_id)
        return InterventionPage(
            page, token, in_course_order(course, pins.skills), tuple(sorted(exempt))
        )
