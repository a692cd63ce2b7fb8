"""Quotas on what a tenant stores (issue 16): at most ``max_courses`` courses and at most
``max_learners`` learners per tenant (0: no limit). A new course or the first response of a
new learner beyond the quota is refused with :class:`QuotaExceededError` (gRPC
RESOURCE_EXHAUSTED, naming the quota) before anything is written.

Counting is O(1) per request: the store keeps the counts (see the adapters'
``sqlite_quota.py`` and ``redis_quota.py``); nothing here scans a tenant's data. A learner is
admitted once, on their first response in the tenant, atomically in the store (exact across
engine processes). A new course is admitted by the store too: on Redis the check and the write
are one script (exact across engine processes); on the embedded store (one process) the check
runs under a per-tenant lock of this process, then the write.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from typing import Protocol

import structlog

from attune.engine.domain.course import Course
from attune.engine.domain.errors import QuotaExceededError
from attune.engine.service.keyed_lock import KeyedLock

log = structlog.get_logger("attune.engine.quotas")

COURSES = "max_courses"
LEARNERS = "max_learners"


class QuotaCounter(Protocol):
    """The store's per-tenant counts."""

    async def course_count(self, tenant: str) -> int:
        """How many courses the tenant stores (O(1))."""
        ...

    async def learner_count(self, tenant: str) -> int:
        """How many learners the tenant counts (O(1))."""
        ...

    async def put_new_course(self, tenant: str, course: Course, limit: int) -> bool:
        """Store ``course``, new to the tenant, unless the tenant stores ``limit`` courses
        already (then False, nothing written). Called under :meth:`Quotas.new_courses`; a
        store shared by several processes makes the check and the write one step."""
        ...

    async def admit_learner(self, tenant: str, learner_id: str, limit: int) -> bool:
        """Atomically: True when the learner is counted already, or is counted now because
        the tenant counts fewer than ``limit`` learners (0: no limit); False otherwise (then
        nothing changed)."""
        ...

    async def release_learner(self, tenant: str, learner_id: str) -> None:
        """The learner is erased: they no longer count."""
        ...


class Quotas:
    """The tenant quotas the engine enforces, over a store's :class:`QuotaCounter`."""

    def __init__(self, counter: QuotaCounter, max_courses: int, max_learners: int) -> None:
        self.counter = counter
        self.max_courses = max_courses
        self.max_learners = max_learners
        self._course_locks = KeyedLock()

    def new_courses(self, tenant: str) -> AbstractAsyncContextManager[None]:
        """Hold while admitting and writing a new course of ``tenant``."""
        return self._course_locks.hold((tenant, COURSES))

    async def put_new_course(self, tenant: str, course: Course) -> None:
        """Store a course new to ``tenant``, or refuse it when the tenant is at its quota
        (call holding :meth:`new_courses`)."""
        if not await self.counter.put_new_course(tenant, course, self.max_courses):
            log.warning("quota.refused", tenant=tenant, quota=COURSES, limit=self.max_courses)
            raise QuotaExceededError(COURSES, self.max_courses, "courses")

    async def admit_learner(self, tenant: str, learner_id: str) -> None:
        """Count the learner (once), or refuse them when ``tenant`` is at its quota."""
        if not await self.counter.admit_learner(tenant, learner_id, self.max_learners):
            log.warning("quota.refused", tenant=tenant, quota=LEARNERS, limit=self.max_learners)
            raise QuotaExceededError(LEARNERS, self.max_learners, "learners")

    async def release_learner(self, tenant: str, learner_id: str) -> None:
        """The learner's slot is free again (after their erasure)."""
        await self.counter.release_learner(tenant, learner_id)
