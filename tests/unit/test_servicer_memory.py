"""The servicers over the in-memory store: every RPC goes through the service only, a response
reads its course once, the learner report and item content come ready from the service, and
the DKT tracer is a port (a fake one serves predictions here)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

import pytest

from attune.engine.adapters.memory_store import MemoryStore
from attune.engine.domain.course import Course
from attune.engine.domain.learner import DktState, LearnerState
from attune.engine.domain.records import DktView, LoggedEvent
from attune.engine.ports import BktOnlyTracer, Tracer
from attune.engine.v1 import course_pb2, events_pb2, events_pb2_grpc, learner_pb2
from tests.support.courses import chain_course
from tests.support.engine_server import META_A, ManualClock, engine_client


class CountingStore(MemoryStore):
    """The memory store, counting course reads."""

    def __init__(self) -> None:
        super().__init__()
        self.course_reads = 0

    async def get_course(self, tenant: str, course_id: str) -> Course | None:
        self.course_reads += 1
        return await super().get_course(tenant, course_id)


class ConstantTracer:
    """A Tracer that predicts 0.5 for every skill and counts its steps."""

    def __init__(self) -> None:
        self.steps = 0

    def why_not(self, course: Course) -> str:
        return ""

    def view(self, course: Course, state: LearnerState) -> DktView:
        if state.dkt is None:
            return DktView(None, None, "")
        return DktView(state.dkt, dict.fromkeys(course.skills, 0.5), "")

    async def advance(
        self,
        course: Course,
        state: LearnerState,
        item_skills: Sequence[str],
        score: float,
        credible: bool,
        history: Callable[[], Awaitable[Sequence[LoggedEvent]]],
    ) -> DktView:
        self.steps += 1
        dkt = DktState("constant@1.0.0", (0.0,), (0.0,), (0.5,), self.steps)
        return DktView(dkt, dict.fromkeys(course.skills, 0.5), "")


def _record(event_id: str) -> learner_pb2.RecordResponseRequest:
    return learner_pb2.RecordResponseRequest(
        event_id=event_id,
        learner_id="l1",
        course_id="chain",
        item_id="a1",
        correct=True,
        response_time_ms=9000,
        max_recommendations=2,
    )


def _course_with_content() -> course_pb2.Course:
    course = chain_course()
    for item in course.items:
        item.content = f"<p>{item.item_id}</p>"
    return course


async def test_a_response_reads_its_course_once_and_sends_item_content() -> None:
    store = CountingStore()
    clock = ManualClock()
    async with engine_client(None, clock=clock, store=store) as client:
        await client.courses.PutCourse(
            course_pb2.PutCourseRequest(course=_course_with_content()), metadata=META_A
        )
        before = store.course_reads
        reply = await client.learners.RecordResponse(_record("e1"), metadata=META_A)
        assert store.course_reads - before == 1
        assert reply.recommendations
        assert all(r.content == f"<p>{r.item_id}</p>" for r in reply.recommendations)
        # A retry reads the course once too, and gets the content again (the log keeps none).
        before = store.course_reads
        again = await client.learners.RecordResponse(_record("e1"), metadata=META_A)
        assert store.course_reads - before == 1
        assert again.duplicate and list(again.recommendations) == list(reply.recommendations)
        logged = await store.get_event("tenant-a", "e1", "l1")
        assert logged is not None
        assert all(r.content == "" for r in logged.reply.recommendations)
        # The default occurred_at is the service's clock.
        assert logged.occurred_at == clock.t
        before = store.course_reads
        recs = await client.learners.Recommend(
            learner_pb2.RecommendRequest(learner_id="l1", course_id="chain", max_items=2),
            metadata=META_A,
        )
        assert store.course_reads - before == 1
        assert all(r.content == f"<p>{r.item_id}</p>" for r in recs.recommendations)


async def test_list_events_reads_each_course_once_per_page() -> None:
    store = CountingStore()
    async with engine_client(None, store=store) as client:
        await client.courses.PutCourse(
            course_pb2.PutCourseRequest(course=_course_with_content()), metadata=META_A
        )
        for n in range(4):
            await client.learners.RecordResponse(_record(f"e{n}"), metadata=META_A)
        before = store.course_reads
        events = events_pb2_grpc.EventServiceStub(client.channel)
        page = await events.ListEvents(events_pb2.ListEventsRequest(), metadata=META_A)
        assert store.course_reads - before == 1
        assert [e.response.event_id for e in page.events] == ["e0", "e1", "e2", "e3"]
        assert page.last_log_id == 4
        first = page.events[0].reply
        assert first.recommendations and first.recommendations[0].content.startswith("<p>")


async def test_the_learner_report_comes_from_the_service() -> None:
    async with engine_client(None, store=MemoryStore()) as client:
        await client.courses.PutCourse(
            course_pb2.PutCourseRequest(course=chain_course()), metadata=META_A
        )
        for n in range(8):
            await client.learners.RecordResponse(_record(f"e{n}"), metadata=META_A)
        state = await client.learners.GetLearnerState(
            learner_pb2.GetLearnerStateRequest(learner_id="l1", course_id="chain"),
            metadata=META_A,
        )
        assert list(state.mastered_skill_ids) == ["a"]
        assert list(state.ready_skill_ids) == ["b"]
        assert list(state.locked_skill_ids) == ["c"]
        by_id = {s.skill_id: s for s in state.skills}
        assert by_id["a"].status == learner_pb2.SKILL_STATUS_MASTERED
        assert by_id["a"].HasField("review_due_at") and by_id["a"].review_interval_hours > 0
        assert not by_id["c"].HasField("review_due_at")
        assert 0.0 < by_id["b"].p_correct < 1.0
        assert state.dkt_model == ""  # BKT only: no DKT predictions
        assert not by_id["a"].HasField("dkt_p_correct")


async def test_the_tracer_is_a_port() -> None:
    tracer = ConstantTracer()
    check: Tracer = tracer  # mypy checks that it is one
    async with engine_client(None, store=MemoryStore(), tracer=check) as client:
        await client.courses.PutCourse(
            course_pb2.PutCourseRequest(course=chain_course()), metadata=META_A
        )
        reply = await client.learners.RecordResponse(_record("e1"), metadata=META_A)
        assert reply.predictor == learner_pb2.PREDICTOR_DKT and tracer.steps == 1
        state = await client.learners.GetLearnerState(
            learner_pb2.GetLearnerStateRequest(learner_id="l1", course_id="chain"),
            metadata=META_A,
        )
        assert state.dkt_model == "constant@1.0.0"
        assert {s.dkt_p_correct for s in state.skills} == {0.5}


async def test_without_dkt_a_pinned_course_is_refused_naming_why() -> None:
    import grpc

    async with engine_client(None, store=MemoryStore(), tracer=BktOnlyTracer()) as client:
        course = chain_course()
        course.dkt_model = "toy@1.0.0"
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await client.courses.PutCourse(
                course_pb2.PutCourseRequest(course=course), metadata=META_A
            )
        assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert err.value.details() == "course.dkt_model: DKT serving is disabled"
