"""Per-tenant rate limits on the engine's gRPC API (issue 16 part 6): a real server on port 0,
an injected clock (no sleeps). Over budget: RESOURCE_EXHAUSTED with a retry-after trailer;
another tenant is untouched; the budget refills as the clock moves."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import pytest

from attune.engine.adapters.sqlite_store import SqliteStore
from attune.engine.grpc.auth import StaticTokenAuthenticator
from attune.engine.grpc.server import RunningServer, build_engine, start_server
from attune.engine.grpc.tenant_limits import TenantBuckets, TenantLimitInterceptor, retry_metadata
from attune.engine.limits_settings import TenantLimitSettings
from attune.engine.v1 import course_pb2, course_pb2_grpc, learner_pb2, learner_pb2_grpc
from tests.support.courses import chain_course
from tests.support.engine_server import META_A, META_B, TOKENS, ManualClock

pytestmark = pytest.mark.integration


def _response(event_id: str, learner: str = "l1") -> learner_pb2.RecordResponseRequest:
    return learner_pb2.RecordResponseRequest(
        event_id=event_id, learner_id=learner, course_id="chain", item_id="a1", score=1.0
    )


async def _engine(
    tmp_path: Path, settings: TenantLimitSettings, clock: ManualClock
) -> tuple[RunningServer, grpc.aio.Channel]:
    store = SqliteStore.open(tmp_path / "attune.db")
    engine = build_engine(store, clock=clock)
    running = await start_server(
        engine,
        StaticTokenAuthenticator(TOKENS),
        limits=TenantLimitInterceptor(settings, clock.now),
    )
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{running.port}")
    return running, channel


def _trailers(err: grpc.aio.AioRpcError) -> dict[str, str]:
    return {k: str(v) for k, v in (err.trailing_metadata() or ())}


async def test_responses_budget_per_tenant(tmp_path: Path) -> None:
    clock = ManualClock()
    settings = TenantLimitSettings(responses_per_second=0.5, responses_burst=2)
    running, channel = await _engine(tmp_path, settings, clock)
    try:
        courses = course_pb2_grpc.CourseServiceStub(channel)
        learners = learner_pb2_grpc.LearnerServiceStub(channel)
        for meta in (META_A, META_B):
            await courses.PutCourse(
                course_pb2.PutCourseRequest(course=chain_course()), metadata=meta
            )
        await learners.RecordResponse(_response("e1"), metadata=META_A)
        await learners.RecordResponse(_response("e2"), metadata=META_A)
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await learners.RecordResponse(_response("e3"), metadata=META_A)
        assert refused.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        assert "responses" in (refused.value.details() or "")
        assert _trailers(refused.value)["retry-after"] == "2"
        assert _trailers(refused.value)["retry-after-ms"] == "2000"
        # Nothing was done for the refused call.
        state = await learners.GetLearnerState(
            learner_pb2.GetLearnerStateRequest(learner_id="l1", course_id="chain"), metadata=META_A
        )
        assert state.responses == 2
        # Another tenant has its own budget.
        await learners.RecordResponse(_response("e1"), metadata=META_B)
        # Reads are not responses: still served.
        await courses.GetCourse(course_pb2.GetCourseRequest(course_id="chain"), metadata=META_A)
        clock.t += 2.0  # one token back
        await learners.RecordResponse(_response("e3"), metadata=META_A)
        with pytest.raises(grpc.aio.AioRpcError):
            await learners.RecordResponse(_response("e4"), metadata=META_A)
    finally:
        await channel.close()
        await running.stop(1.0)


async def test_requests_budget_and_stream_messages(tmp_path: Path) -> None:
    clock = ManualClock()
    settings = TenantLimitSettings(
        requests_per_second=1.0, requests_burst=3, responses_per_second=1.0, responses_burst=2
    )
    running, channel = await _engine(tmp_path, settings, clock)
    try:
        courses = course_pb2_grpc.CourseServiceStub(channel)
        learners = learner_pb2_grpc.LearnerServiceStub(channel)
        await courses.PutCourse(course_pb2.PutCourseRequest(course=chain_course()), metadata=META_A)

        async def three() -> AsyncIterator[learner_pb2.StreamResponsesRequest]:
            for n in range(3):
                yield learner_pb2.StreamResponsesRequest(record=_response(f"s{n}"))

        call = learners.StreamResponses(three(), metadata=META_A)
        replies = []
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            async for reply in call:
                replies.append(reply)
        assert refused.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        assert len(replies) == 2  # the two within budget were applied
        assert _trailers(refused.value)["retry-after"] == "1"
        # Three requests spent (PutCourse, the stream): the third call is the last one.
        await courses.GetCourse(course_pb2.GetCourseRequest(course_id="chain"), metadata=META_A)
        with pytest.raises(grpc.aio.AioRpcError) as again:
            await courses.GetCourse(course_pb2.GetCourseRequest(course_id="chain"), metadata=META_A)
        assert again.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        assert "requests" in (again.value.details() or "")
        # Unauthenticated calls are refused by auth before any budget is charged.
        with pytest.raises(grpc.aio.AioRpcError) as unauth:
            await courses.GetCourse(course_pb2.GetCourseRequest(course_id="chain"))
        assert unauth.value.code() == grpc.StatusCode.UNAUTHENTICATED
    finally:
        await channel.close()
        await running.stop(1.0)


def test_buckets_refill_cap_and_evict() -> None:
    clock = ManualClock()
    buckets = TenantBuckets(per_second=2.0, burst=2, max_keys=2, clock=clock.now)
    assert buckets.take("t1") == 0.0 and buckets.take("t1") == 0.0
    assert buckets.take("t1") == pytest.approx(0.5)
    clock.t += 100.0
    assert buckets.take("t1") == 0.0 and buckets.take("t1") == 0.0  # capped at the burst
    assert buckets.take("t1") > 0
    buckets.take("t2")
    buckets.take("t3")
    assert len(buckets) == 2
    assert retry_metadata(0.01) == (("retry-after", "1"), ("retry-after-ms", "10"))


def test_settings_defaults_are_on_and_generous() -> None:
    settings = TenantLimitSettings()
    assert settings.enabled and settings.responses_per_second >= 100
    with pytest.raises(ValueError):
        TenantLimitSettings(responses_per_second=0)
