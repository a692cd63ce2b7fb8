"""The engine's use cases. One response: idempotency check -> load -> update -> select ->
persist atomically -> reply. Transport-free: the gRPC layer converts and delegates here, and
reaches nothing else (not the store, not the clock). Depends on ports and the domain only:
the store, the DKT tracer and the clock are injected."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TypeVar

import structlog

from attune.engine.domain.analytics import ClassReport
from attune.engine.domain.course import Course
from attune.engine.domain.credibility import credibility
from attune.engine.domain.errors import ConflictError, InvalidInputError, NotFoundError
from attune.engine.domain.experiments import course_for
from attune.engine.domain.gaps import find_gaps
from attune.engine.domain.interventions_apply import without_exempt
from attune.engine.domain.item_stats import ItemStats, median_ms
from attune.engine.domain.learner import LearnerState, Response, validate_response
from attune.engine.domain.limits import MAX_REPLY_BYTES
from attune.engine.domain.policy import Recommendation, SelectionContext, recommend
from attune.engine.domain.records import (
    LoggedEvent,
    RecordResult,
    content_of,
    log_entry,
    reply_of,
    with_content,
)
from attune.engine.domain.replay import check_replay
from attune.engine.domain.report import LearnerReport, build_report
from attune.engine.domain.tutoring import TutorPolicy
from attune.engine.domain.update import apply_response
from attune.engine.ports import (
    BktOnlyTracer,
    Clock,
    DuplicateEventError,
    EngineStore,
    TenantData,
    Tracer,
)
from attune.engine.service.class_book import ClassBook
from attune.engine.service.erasures import Erasures
from attune.engine.service.experiment_book import ExperimentBook
from attune.engine.service.interventions import Interventions
from attune.engine.service.item_book import ItemBook
from attune.engine.service.keyed_lock import KeyedLock
from attune.engine.service.quotas import Quotas
from attune.engine.service.tenant_gate import TenantGate
from attune.engine.service.tenants import TenantAdmin
from attune.engine.service.voiding import EventVoiding

log = structlog.get_logger("attune.engine")

DEFAULT_RECOMMENDATIONS = 3
MAX_RECOMMENDATIONS = 50
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500
DEFAULT_EVENT_PAGE = 100
MAX_EVENT_PAGE = 1000
_CAS_RETRIES = 8
MAX_CLASS = 5000  # learner ids in one class report
COURSE_WORKERS = 2  # courses converted or validated at the same time, in worker threads
T = TypeVar("T")


class SystemClock:
    """The real clock."""

    def now(self) -> float:
        """Epoch seconds."""
        return time.time()


@dataclass(frozen=True, slots=True)
class _Step:
    """One response, computed and ready to commit."""

    state: LearnerState
    result: RecordResult
    event: LoggedEvent


def _require(value: str, field: str) -> None:
    if not value or not value.strip():
        raise InvalidInputError(field, "must not be empty")


def _count(value: int, field: str, default: int, maximum: int) -> int:
    if value < 0:
        raise InvalidInputError(field, "must be >= 0")
    if value > maximum:
        raise InvalidInputError(field, f"must be at most {maximum}")
    return value or default


class Engine:
    """Tutors learners of every tenant over an :class:`EngineStore`, with DKT from a
    :class:`Tracer` (BKT only when none is given)."""

    def __init__(
        self,
        store: EngineStore,
        clock: Clock | None = None,
        tutor: TutorPolicy | None = None,
        tracer: Tracer | None = None,
    ) -> None:
        self.store = store
        self.tracer: Tracer = tracer or BktOnlyTracer()
        self.clock: Clock = clock or SystemClock()
        self.tutor = tutor or TutorPolicy()
        self.items = ItemBook(store)
        self.classes = ClassBook(store)
        self.experiments = ExperimentBook(store)
        self._learner_locks = KeyedLock()
        self._course_work = asyncio.Semaphore(COURSE_WORKERS)
        self.interventions = Interventions(store, self.clock, self.tutor, self._learner_locks)
        self.voiding = EventVoiding(store, self.clock, self.tutor, self._learner_locks)
        self.on_committed: Callable[[RecordResult], None] | None = None  # metrics (issue 17)
        self.quotas: Quotas | None = None  # stored-size quotas per tenant (service/quotas.py)
        self.erasures = Erasures(store, self.clock)  # pending for the gateway (issue 16)
        self.tenant_data: TenantData | None = None  # whole-tenant export and delete
        self.gate = TenantGate()  # a tenant's calls kept out while it is deleted
        self.tenants = TenantAdmin(self, self.gate)

    def now(self) -> float:
        """The engine's clock (epoch seconds): the default ``occurred_at`` of a response."""
        return self.clock.now()

    async def close(self) -> None:
        """Flush the store and release it (at shutdown, once no call is in flight)."""
        await self.store.close()

    def forget_tenant(self, tenant: str) -> None:
        """Drop the service's caches of a deleted tenant (the store drops its own)."""
        self.items.forget(tenant)
        self.classes.forget_tenant(tenant)
        self.experiments.forget_tenant(tenant)
        self.interventions.forget_tenant(tenant)

    # -- courses ---------------------------------------------------------------------------

    async def off_loop(self, work: Callable[[], T]) -> T:
        """Run ``work`` (CPU work on a whole course: converting, validating, encoding it) in
        a worker thread, a few at a time. A course at the size limits takes tens of
        milliseconds, which must not stall every other tenant's calls on the event loop."""
        async with self._course_work:
            return await asyncio.to_thread(work)

    async def put_course_from(self, tenant: str, build: Callable[[], Course]) -> Course:
        """:meth:`put_course` of the course ``build`` returns, built and validated off the
        event loop."""
        return await self.put_course(tenant, await self.off_loop(build))

    async def put_course(self, tenant: str, course: Course) -> Course:
        """Create or replace a (validated) course. A DKT model pin must name a loaded model
        that knows every skill of the course."""
        self.gate.check(tenant)  # background writers too (the refit job), not only calls
        if course.dkt_model:
            why = self.tracer.why_not(course)
            if why:
                raise InvalidInputError("course.dkt_model", why)
        quotas = self.quotas
        if quotas is not None and quotas.max_courses and not await self._known(tenant, course):
            async with quotas.new_courses(tenant):
                if await self._known(tenant, course):
                    await self.store.put_course(tenant, course)
                else:
                    await quotas.put_new_course(tenant, course)
        else:
            await self.store.put_course(tenant, course)
        log.info(
            "course.put",
            tenant=tenant,
            course_id=course.course_id,
            skills=len(course.skills),
            items=len(course.items),
        )
        return course

    async def _known(self, tenant: str, course: Course) -> bool:
        return await self.store.get_course(tenant, course.course_id) is not None

    async def get_course(self, tenant: str, course_id: str) -> Course:
        """The course, or :class:`NotFoundError`."""
        _require(course_id, "course_id")
        course = await self.store.get_course(tenant, course_id)
        if course is None:
            raise NotFoundError("course", course_id)
        return course

    async def list_courses(
        self, tenant: str, page_size: int, page_token: str
    ) -> tuple[Sequence[Course], str]:
        """One page of courses and the token of the next page ("" on the last).

        A page holds at most ``page_size`` courses and at most MAX_REPLY_BYTES of them (as
        course sizes count, see course_size.py), so it always fits one gRPC message; it
        always holds at least one course, so paging makes progress.
        """
        size = _count(page_size, "page_size", DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
        courses = await self.store.list_courses(tenant, page_token, size + 1)
        page: list[Course] = []
        used = 0
        for course in courses[:size]:
            if page and used + course.size > MAX_REPLY_BYTES:
                break
            page.append(course)
            used += course.size
        if len(page) < len(courses):
            return page, page[-1].course_id
        return page, ""

    async def list_events(
        self, tenant: str, after_log_id: int, page_size: int
    ) -> tuple[Sequence[LoggedEvent], int]:
        """One page of the tenant's event log after ``after_log_id`` (each reply with its
        items' content, each course read once), and the cursor for the next page."""
        if after_log_id < 0:
            raise InvalidInputError("after_log_id", "must be >= 0")
        size = _count(page_size, "page_size", DEFAULT_EVENT_PAGE, MAX_EVENT_PAGE)
        events = await self.store.read_events(tenant, after_log_id, size)
        courses: dict[str, Course | None] = {}
        page: list[LoggedEvent] = []
        for e in events:
            if e.course_id not in courses:
                courses[e.course_id] = await self.store.get_course(tenant, e.course_id)
            page.append(replace(e, reply=with_content(e.reply, courses[e.course_id])))
        last = events[-1].log_id if events else after_log_id
        return page, last

    # -- learners --------------------------------------------------------------------------

    async def record(
        self, tenant: str, response: Response, max_recommendations: int = 0
    ) -> RecordResult:
        """Apply one response exactly once and return the reply (the original on a retry),
        its recommendations with their items' content."""
        _require(response.event_id, "event_id")
        _require(response.learner_id, "learner_id")
        _require(response.course_id, "course_id")
        n = _count(
            max_recommendations,
            "max_recommendations",
            DEFAULT_RECOMMENDATIONS,
            MAX_RECOMMENDATIONS,
        )
        # The whole request is valid before its event id is looked up (issue 11 item 18).
        # The learner's view: their experiment arm's mastery policy, when the course has one.
        course = course_for(
            await self.get_course(tenant, response.course_id), tenant, response.learner_id
        )
        validate_response(response, course)
        async with self._learner_locks.hold((tenant, response.learner_id)):
            for _ in range(_CAS_RETRIES):
                logged, snap = await self.store.prepare(
                    tenant, response.learner_id, response.course_id, response.event_id
                )
                if logged is not None:
                    # A retry gets its reply; any other use of a known id one refusal that
                    # names nobody (never another learner's reply).
                    check_replay(logged, response)
                    return with_content(replace(logged.reply, duplicate=True), course)
                if snap is None and self.quotas is not None:  # maybe new in the tenant
                    await self.quotas.admit_learner(tenant, response.learner_id)
                state = snap.state if snap else LearnerState(response.learner_id, course.course_id)
                step = await self._apply(tenant, course, state, response, n)
                try:
                    await self.store.commit(step.event, step.state, snap.version if snap else 0)
                except DuplicateEventError:
                    continue  # a concurrent retry won; the next pass replays its reply
                except ConflictError:
                    continue  # another process moved the state on; recompute from it
                self._committed(tenant, course.course_id, response, step)
                return with_content(step.result, course)
        raise ConflictError(f"learner {response.learner_id!r} is being updated concurrently")

    async def _apply(
        self, tenant: str, course: Course, state: LearnerState, response: Response, n: int
    ) -> _Step:
        """Compute the new state, the reply and the log entry; nothing is written yet."""
        stats = await self.items.table(tenant, course.course_id)
        item_stats = stats.get(response.item_id, ItemStats())
        weight = credibility(
            response.response_time_ms,
            median_ms(item_stats),
            item_stats.timed,
            self.tutor.credibility,
        )
        outcome = apply_response(course, state, response, weight, self.tutor)
        dkt = await self.tracer.advance(
            course,
            state,
            course.items[response.item_id].skill_ids,
            response.score,
            weight >= 1.0,
            lambda: self.store.read_learner_events(tenant, state.learner_id, course.course_id),
        )
        if dkt.note:
            log.warning("dkt.fallback", course_id=course.course_id, reason=dkt.note)
        new_state = replace(outcome.state, dkt=dkt.state)
        ctx = SelectionContext(
            now=response.occurred_at,
            item_stats=stats,
            predicted=dkt.predicted,
            tutor=self.tutor,
            pinned=await self.interventions.class_pins(tenant, course.course_id),
        )
        recs = tuple(recommend(course, new_state, n, ctx))
        result = reply_of(course, response, outcome, weight, dkt, recs)
        event = log_entry(tenant, response, outcome, result, self.clock.now())
        return _Step(state=new_state, result=result, event=event)

    def _committed(self, tenant: str, course_id: str, response: Response, step: _Step) -> None:
        """Feed item statistics and log what a teacher or operator would want to know."""
        weight = step.event.credibility
        self.items.observe(
            tenant,
            course_id,
            response.item_id,
            step.event.gain,
            response.response_time_ms,
            timed=weight >= 1.0,
        )
        who = {"tenant": tenant, "learner_id": response.learner_id, "course_id": course_id}
        if weight < 1.0:
            log.info(
                "response.too_fast",
                **who,
                item_id=response.item_id,
                ms=response.response_time_ms,
                credibility=weight,
            )
        for m in step.result.mastery_events:
            log.info("learner.mastered", **who, skill_id=m.skill_id, attempts=m.attempts)
        for sid in step.result.revoked:
            log.info("learner.mastery_revoked", **who, skill_id=sid)
        if self.on_committed is not None:
            self.on_committed(step.result)

    async def recommend(
        self, tenant: str, learner_id: str, course_id: str, max_items: int
    ) -> tuple[Sequence[Recommendation], bool]:
        """The next items for a learner and whether they are diagnostic. A learner with no
        history is a new learner, not an error."""
        _require(learner_id, "learner_id")
        n = _count(max_items, "max_items", DEFAULT_RECOMMENDATIONS, MAX_RECOMMENDATIONS)
        course = course_for(await self.get_course(tenant, course_id), tenant, learner_id)
        snap = await self.store.load(tenant, learner_id, course_id)
        state = snap.state if snap else LearnerState(learner_id, course_id)
        ctx = SelectionContext(
            now=self.clock.now(),
            item_stats=await self.items.table(tenant, course_id),
            predicted=self.tracer.view(course, state).predicted,
            tutor=self.tutor,
            pinned=await self.interventions.class_pins(tenant, course_id),
        )
        recs = content_of(recommend(course, state, n, ctx), course)
        return recs, state.in_diagnostic(course)

    async def learner_report(self, tenant: str, learner_id: str, course_id: str) -> LearnerReport:
        """The learner model in one course, ready to send, or :class:`NotFoundError`."""
        _require(learner_id, "learner_id")
        course = course_for(await self.get_course(tenant, course_id), tenant, learner_id)
        snap = await self.store.load(tenant, learner_id, course_id)
        if snap is None:
            raise NotFoundError("learner", learner_id)
        dkt = self.tracer.view(course, snap.state)
        return build_report(
            course,
            snap.state,
            find_gaps(course, snap.state, self.tutor.gaps),
            self.tutor.review,
            dkt.predicted,
            dkt.state.model if dkt.state else "",
        )

    async def class_report(
        self, tenant: str, course_id: str, learner_ids: Sequence[str] = ()
    ) -> tuple[Course, ClassReport, int]:
        """The class report of a course (limited to ``learner_ids`` when given), with the
        course and the last log id it includes."""
        if len(learner_ids) > MAX_CLASS:
            raise InvalidInputError(
                "learner_ids", f"at most {MAX_CLASS} learners, not {len(learner_ids)}"
            )
        course = await self.get_course(tenant, course_id)
        report, last = await self.classes.report(tenant, course, self.now(), learner_ids)
        exempt = await self.interventions.exempt(tenant, course_id)
        return course, without_exempt(report, exempt), last

    async def delete_learner(
        self, tenant: str, learner_id: str, request_id: str = ""
    ) -> tuple[int, int]:
        """Erase the learner from the tenant; (courses, events) erased. The store records a
        pending erasure with the delete, for the gateway's stores (service/erasures.py)."""
        _require(learner_id, "learner_id")
        erasure = self.erasures.new(tenant, learner_id, request_id)
        async with self._learner_locks.hold((tenant, learner_id)):
            courses, events = await self.store.delete_learner(tenant, learner_id, erasure)
            if self.quotas is not None:
                await self.quotas.release_learner(tenant, learner_id)
        if courses or events:
            self.erasures.recorded(erasure)
        if courses == 0 and events == 0:
            # Nothing erased: nothing to recompute (a flush here let anyone force full log
            # rescans by deleting made-up learners).
            raise NotFoundError("learner", learner_id)
        if events:
            # The item statistics include the erased responses: rebuild them from the log
            # (off the event loop, see ItemBook) the next time they are needed.
            self.items.forget(tenant)
            self.classes.forget_learner(tenant, learner_id)
            self.experiments.forget_learner(tenant, learner_id)
        log.info(
            "learner.deleted", tenant=tenant, learner_id=learner_id, courses=courses, events=events
        )
        return courses, events
