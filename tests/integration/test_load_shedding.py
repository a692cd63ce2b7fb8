"""Load shedding (issue 17) over a real server on port 0. The engine is saturated
deterministically: a store that holds every read of a ``held-`` learner until the test opens
the gate. Analytics is refused (UNAVAILABLE, retry trailers) while tutoring still passes;
tutoring waits for a slot, then is refused when the wait queue is full; a refused call
changes nothing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import grpc
import pytest

from attune.engine.adapters.sqlite_store import SqliteStore
from attune.engine.admission_settings import AdmissionSettings
from attune.engine.grpc.admission import (
    ANALYTICS,
    TUTORING,
    AdmissionGate,
    AdmissionInterceptor,
)
from attune.engine.grpc.auth import StaticTokenAuthenticator
from attune.engine.grpc.server import RunningServer, build_engine, start_server
from attune.engine.ports import EngineStore
from attune.engine.v1 import (
    analytics_pb2,
    analytics_pb2_grpc,
    course_pb2,
    course_pb2_grpc,
    events_pb2,
    events_pb2_grpc,
    learner_pb2,
    learner_pb2_grpc,
)
from tests.support.courses import chain_course
from tests.support.engine_server import META_A, TOKENS

pytestmark = pytest.mark.integration


class GatedStore:
    """The real store, except that reading a ``held-`` learner's state waits for the gate."""

    def __init__(self, inner: SqliteStore) -> None:
        self._inner = inner
        self.gate = asyncio.Event()
        self.held = 0

    async def load(self, tenant: str, learner_id: str, course_id: str) -> Any:
        if learner_id.startswith("held-"):
            self.held += 1
            await self.gate.wait()
        return await self._inner.load(tenant, learner_id, course_id)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


@dataclass
class Shedding:
    running: RunningServer
    channel: grpc.aio.Channel
    store: GatedStore
    gate: AdmissionGate

    @property
    def learners(self) -> learner_pb2_grpc.LearnerServiceStub:
        return learner_pb2_grpc.LearnerServiceStub(self.channel)

    @property
    def courses(self) -> course_pb2_grpc.CourseServiceStub:
        return course_pb2_grpc.CourseServiceStub(self.channel)

    def hold(self, n: int) -> list[asyncio.Task[Any]]:
        """``n`` Recommend calls that stay in flight until the gate opens."""
        return [
            asyncio.create_task(
                _await(
                    self.learners.Recommend(
                        learner_pb2.RecommendRequest(learner_id=f"held-{i}", course_id="chain"),
                        metadata=META_A,
                    )
                )
            )
            for i in range(n)
        ]


async def _await(call: Awaitable[Any]) -> Any:
    return await call


async def _until(condition: Callable[[], bool]) -> None:
    """Wait for the server to reach a state (a bounded number of turns, no timing)."""
    for _ in range(2000):
        if condition():
            return
        await asyncio.sleep(0.005)
    raise AssertionError("the server never reached the expected state")


@pytest.fixture
async def shedding(tmp_path: Path) -> AsyncIterator[Callable[..., Awaitable[Shedding]]]:
    started: list[Shedding] = []

    async def start(
        clock: Callable[[], float] | None = None, max_rpcs: int = 0, **limits: Any
    ) -> Shedding:
        store = GatedStore(SqliteStore.open(tmp_path / f"attune-{len(started)}.db"))
        engine = build_engine(cast(EngineStore, store))
        gate = AdmissionGate(AdmissionSettings(**limits))
        running = await start_server(
            engine,
            StaticTokenAuthenticator(TOKENS),
            admission=AdmissionInterceptor(gate, clock) if clock else AdmissionInterceptor(gate),
            max_rpcs=max_rpcs,
        )
        channel = grpc.aio.insecure_channel(f"127.0.0.1:{running.port}")
        s = Shedding(running, channel, store, gate)
        started.append(s)
        await s.courses.PutCourse(
            course_pb2.PutCourseRequest(course=chain_course()), metadata=META_A
        )
        return s

    yield start
    for s in started:
        s.store.gate.set()
        await s.channel.close()
        await s.running.stop(1.0)


def _record(event_id: str, learner: str = "l1") -> learner_pb2.RecordResponseRequest:
    return learner_pb2.RecordResponseRequest(
        event_id=event_id, learner_id=learner, course_id="chain", item_id="a1", score=1.0
    )


def _refused(err: grpc.aio.AioRpcError, retry_ms: int) -> None:
    assert err.code() == grpc.StatusCode.UNAVAILABLE
    assert "saturated" in (err.details() or "")
    trailers = {k: str(v) for k, v in (err.trailing_metadata() or ())}
    assert trailers["retry-after-ms"] == str(retry_ms)
    assert trailers["retry-after"] == str(max(1, -(-retry_ms // 1000)))


async def test_analytics_yields_while_tutoring_passes(
    shedding: Callable[..., Awaitable[Shedding]],
) -> None:
    s = await shedding(max_in_flight=4, analytics_yield_at=0.5, analytics_retry_after_ms=1500)
    await s.learners.RecordResponse(_record("e1"), metadata=META_A)
    held = s.hold(2)
    await _until(lambda: s.store.held == 2)
    assert s.gate.in_flight(TUTORING) == 2

    reports = analytics_pb2_grpc.AnalyticsServiceStub(s.channel)
    events = events_pb2_grpc.EventServiceStub(s.channel)
    with pytest.raises(grpc.aio.AioRpcError) as report:
        await reports.GetClassReport(
            analytics_pb2.GetClassReportRequest(course_id="chain"), metadata=META_A
        )
    _refused(report.value, 1500)
    with pytest.raises(grpc.aio.AioRpcError) as listed:
        await events.ListEvents(events_pb2.ListEventsRequest(), metadata=META_A)
    _refused(listed.value, 1500)
    with pytest.raises(grpc.aio.AioRpcError) as put:
        await s.courses.PutCourse(
            course_pb2.PutCourseRequest(course=chain_course("other")), metadata=META_A
        )
    _refused(put.value, 1500)
    # Tutoring still passes: two of four slots are taken.
    reply = await s.learners.RecordResponse(_record("e2"), metadata=META_A)
    assert not reply.duplicate
    assert s.gate.in_flight(ANALYTICS) == 0

    s.store.gate.set()
    assert all(r.recommendations for r in await asyncio.gather(*held))
    assert s.gate.in_flight(TUTORING) == 0
    # Once the load is gone analytics is served, and the refused PutCourse did nothing.
    page = await events.ListEvents(events_pb2.ListEventsRequest(), metadata=META_A)
    assert [e.response.event_id for e in page.events] == ["e1", "e2"]
    with pytest.raises(grpc.aio.AioRpcError) as missing:
        await s.courses.GetCourse(course_pb2.GetCourseRequest(course_id="other"), metadata=META_A)
    assert missing.value.code() == grpc.StatusCode.NOT_FOUND


async def test_tutoring_waits_for_a_slot_then_is_refused_when_the_queue_is_full(
    shedding: Callable[..., Awaitable[Shedding]],
) -> None:
    s = await shedding(max_in_flight=2, max_queued=1, max_queue_ms=60_000, retry_after_ms=300)
    held = s.hold(2)
    await _until(lambda: s.store.held == 2)
    waiting = asyncio.create_task(_await(s.learners.RecordResponse(_record("e1"), metadata=META_A)))
    await _until(lambda: s.gate.queued == 1)
    with pytest.raises(grpc.aio.AioRpcError) as full:
        await s.learners.RecordResponse(_record("e2"), metadata=META_A)
    _refused(full.value, 300)
    assert "queue_full" in (full.value.details() or "")

    s.store.gate.set()
    assert (await waiting).event_id == "e1"  # it got the first slot given back
    await asyncio.gather(*held)
    state = await s.learners.GetLearnerState(
        learner_pb2.GetLearnerStateRequest(learner_id="l1", course_id="chain"), metadata=META_A
    )
    assert state.responses == 1  # the refused e2 was never applied
    assert (await s.learners.RecordResponse(_record("e2"), metadata=META_A)).event_id == "e2"


async def test_a_tutoring_call_that_waits_too_long_is_refused(
    shedding: Callable[..., Awaitable[Shedding]],
) -> None:
    s = await shedding(max_in_flight=1, max_queued=4, max_queue_ms=20)
    s.hold(1)
    await _until(lambda: s.store.held == 1)
    with pytest.raises(grpc.aio.AioRpcError) as late:
        await s.learners.RecordResponse(_record("e1"), metadata=META_A)
    _refused(late.value, 200)
    assert "queue_timeout" in (late.value.details() or "")
    assert s.gate.queued == 0 and s.gate.in_flight(TUTORING) == 1


async def test_stream_messages_hold_a_slot_each(
    shedding: Callable[..., Awaitable[Shedding]],
) -> None:
    s = await shedding(max_in_flight=1, max_queue_ms=0)

    async def messages(ids: list[str]) -> AsyncIterator[learner_pb2.StreamResponsesRequest]:
        for event_id in ids:
            yield learner_pb2.StreamResponsesRequest(record=_record(event_id))

    # One slot is enough for a whole stream: each message gives it back when it is done.
    replies = [
        r async for r in s.learners.StreamResponses(messages(["s1", "s2", "s3"]), metadata=META_A)
    ]
    assert [r.event_id for r in replies] == ["s1", "s2", "s3"]
    assert s.gate.in_flight(TUTORING) == 0

    s.hold(1)
    await _until(lambda: s.store.held == 1)
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        async for _ in s.learners.StreamResponses(messages(["s4"]), metadata=META_A):
            pass
    _refused(refused.value, 200)
    s.store.gate.set()
    await _until(lambda: s.gate.in_flight(TUTORING) == 0)
    state = await s.learners.GetLearnerState(
        learner_pb2.GetLearnerStateRequest(learner_id="l1", course_id="chain"), metadata=META_A
    )
    assert state.responses == 3  # s4 was refused before anything was done


class SteppingClock:
    """Each reading is ``step`` seconds after the last: every call seems to have waited
    ``step`` between its dispatch and its start (as on an event loop that is behind)."""

    def __init__(self, step: float) -> None:
        self.t = 0.0
        self.step = step

    def __call__(self) -> float:
        self.t += self.step
        return self.t


async def test_a_call_that_waited_too_long_to_start_is_refused_by_its_class(
    shedding: Callable[..., Awaitable[Shedding]],
) -> None:
    clock = SteppingClock(0.0)
    s = await shedding(clock=clock, max_delay_ms=500, analytics_max_delay_ms=100)
    clock.step = 0.3
    # 0.3 s late: beyond analytics' 100 ms, within tutoring's 500 ms.
    reply = await s.learners.RecordResponse(_record("e1"), metadata=META_A)
    assert reply.event_id == "e1"
    events = events_pb2_grpc.EventServiceStub(s.channel)
    with pytest.raises(grpc.aio.AioRpcError) as late:
        await events.ListEvents(events_pb2.ListEventsRequest(), metadata=META_A)
    _refused(late.value, 2000)
    assert "late" in (late.value.details() or "")
    clock.step = 0.6  # now beyond tutoring's bound too: refused before anything is done
    with pytest.raises(grpc.aio.AioRpcError) as too_late:
        await s.learners.RecordResponse(_record("e2"), metadata=META_A)
    _refused(too_late.value, 200)
    clock.step = 0.0
    state = await s.learners.GetLearnerState(
        learner_pb2.GetLearnerStateRequest(learner_id="l1", course_id="chain"), metadata=META_A
    )
    assert state.responses == 1
    assert s.gate.in_flight(TUTORING) == 0 and s.gate.in_flight(ANALYTICS) == 0


async def test_grpcs_own_bound_refuses_beyond_max_rpcs(
    shedding: Callable[..., Awaitable[Shedding]],
) -> None:
    s = await shedding(max_rpcs=2)
    s.hold(2)
    await _until(lambda: s.store.held == 2)
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await s.learners.RecordResponse(_record("e1"), metadata=META_A)
    assert refused.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    s.store.gate.set()
    await _until(lambda: s.gate.in_flight(TUTORING) == 0)
    with pytest.raises(grpc.aio.AioRpcError) as unknown:  # the refused call did nothing
        await s.learners.GetLearnerState(
            learner_pb2.GetLearnerStateRequest(learner_id="l1", course_id="chain"),
            metadata=META_A,
        )
    assert unknown.value.code() == grpc.StatusCode.NOT_FOUND
