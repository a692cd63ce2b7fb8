"""Stored-size quotas per tenant (issue 16) over real gRPC, on the embedded store and on a
real Redis: the (N+1)th course and the (M+1)th learner are refused with RESOURCE_EXHAUSTED
naming the quota and nothing stored; existing ones keep working; another tenant has its own
quota; erasing a learner frees a slot; a data dir with data from before quotas is counted."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import grpc
import pytest

from attune.engine.adapters.sqlite_store import SqliteStore
from attune.engine.limits_settings import TenantLimitSettings
from attune.engine.quota_setup import open_quotas
from attune.engine.service.quotas import Quotas
from attune.engine.v1 import course_pb2, learner_pb2
from tests.support.courses import chain_course
from tests.support.engine_server import META_A, META_B, Client, ManualClock, engine_client

pytestmark = pytest.mark.integration
LIMITS = TenantLimitSettings(max_courses=2, max_learners=2)


@asynccontextmanager
async def _engine(
    kind: str, tmp_path: Path, redis: Any, limits: TenantLimitSettings = LIMITS
) -> AsyncIterator[tuple[Client, Quotas]]:
    store: Any
    if kind == "redis":
        from attune.engine.adapters.redis_store import RedisStore

        redis.flush()
        store = await RedisStore.open(redis.url, sweep_seconds=0)
    else:
        store = SqliteStore.open(tmp_path / "attune.db")
    async with engine_client(None, clock=ManualClock(), store=store) as client:
        quotas = await open_quotas(store, limits)
        assert quotas is not None
        client.running.engine.quotas = quotas
        yield client, quotas


async def _put(client: Client, course_id: str, meta: Any = META_A) -> None:
    await client.courses.PutCourse(
        course_pb2.PutCourseRequest(course=chain_course(course_id)), metadata=meta
    )


async def _answer(
    client: Client, eid: str, learner: str, course: str = "c1", meta: Any = META_A
) -> learner_pb2.RecordResponseResponse:
    reply: learner_pb2.RecordResponseResponse = await client.learners.RecordResponse(
        learner_pb2.RecordResponseRequest(
            event_id=eid, learner_id=learner, course_id=course, item_id="a1", correct=True,
            response_time_ms=9000,
        ),
        metadata=meta,
    )  # fmt: skip
    return reply


async def _refused(call: Any, quota: str) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await call
    assert err.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert quota in (err.value.details() or "")


async def _state_code(client: Client, learner: str, course: str = "c1") -> grpc.StatusCode:
    try:
        await client.learners.GetLearnerState(
            learner_pb2.GetLearnerStateRequest(learner_id=learner, course_id=course),
            metadata=META_A,
        )
    except grpc.aio.AioRpcError as exc:
        return exc.code()
    return grpc.StatusCode.OK


@pytest.fixture(params=["sqlite", "redis"])
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


async def test_the_course_beyond_the_quota_is_refused_and_not_stored(
    kind: str, tmp_path: Path, redis_standalone: Any
) -> None:
    async with _engine(kind, tmp_path, redis_standalone) as (client, quotas):
        await _put(client, "c1")
        await _put(client, "c2")
        await _refused(_put(client, "c3"), "max_courses")
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await client.courses.GetCourse(
                course_pb2.GetCourseRequest(course_id="c3"), metadata=META_A
            )
        assert err.value.code() == grpc.StatusCode.NOT_FOUND
        listed = await client.courses.ListCourses(course_pb2.ListCoursesRequest(), metadata=META_A)
        assert [c.course_id for c in listed.courses] == ["c1", "c2"]
        await _put(client, "c2")  # replacing an existing course is not a new one
        assert await quotas.counter.course_count("tenant-a") == 2
        await _put(client, "c3", meta=META_B)  # another tenant, its own quota
        assert await quotas.counter.course_count("tenant-b") == 1


async def test_the_learner_beyond_the_quota_is_refused_and_erasure_frees_a_slot(
    kind: str, tmp_path: Path, redis_standalone: Any
) -> None:
    async with _engine(kind, tmp_path, redis_standalone) as (client, quotas):
        await _put(client, "c1")
        await _put(client, "c2")
        await _answer(client, "e1", "ann")
        await _answer(client, "e2", "bob")
        await _refused(_answer(client, "e3", "cat"), "max_learners")
        assert await _state_code(client, "cat") == grpc.StatusCode.NOT_FOUND
        assert await quotas.counter.learner_count("tenant-a") == 2
        # Existing learners keep working, in their course and in another one.
        assert (await _answer(client, "e4", "ann")).sequence == 2
        assert (await _answer(client, "e5", "bob", course="c2")).sequence == 1
        # A retry of the refused response is refused again, still storing nothing.
        await _refused(_answer(client, "e3", "cat"), "max_learners")
        # Another tenant has its own quota.
        await _put(client, "c1", meta=META_B)
        await _answer(client, "b1", "cat", meta=META_B)
        # Erasing a learner frees their slot.
        await client.learners.DeleteLearner(
            learner_pb2.DeleteLearnerRequest(learner_id="ann"), metadata=META_A
        )
        assert await quotas.counter.learner_count("tenant-a") == 1
        assert (await _answer(client, "e3", "cat")).sequence == 1
        await _refused(_answer(client, "e6", "ann"), "max_learners")
        assert await _state_code(client, "cat") == grpc.StatusCode.OK
        assert await _state_code(client, "ann") == grpc.StatusCode.NOT_FOUND


async def test_zero_means_no_limit(kind: str, tmp_path: Path, redis_standalone: Any) -> None:
    limits = TenantLimitSettings(max_courses=0, max_learners=0)
    async with _engine(kind, tmp_path, redis_standalone, limits) as (client, quotas):
        for n in range(4):
            await _put(client, f"c{n}")
        for n in range(4):
            await _answer(client, f"e{n}", f"l{n}", course="c0")
        assert await quotas.counter.course_count("tenant-a") == 4
        assert await quotas.counter.learner_count("tenant-a") == 4


async def test_a_data_dir_from_before_quotas_is_counted(tmp_path: Path) -> None:
    store = SqliteStore.open(tmp_path / "attune.db")
    async with engine_client(None, clock=ManualClock(), store=store) as client:
        for course in ("c1", "c2", "c3"):
            await _put(client, course)
        for n, learner in enumerate(("ann", "bob", "cat")):
            await _answer(client, f"e{n}", learner)
        quotas = await open_quotas(store, LIMITS)
        assert quotas is not None
        client.running.engine.quotas = quotas
        assert await quotas.counter.course_count("tenant-a") == 3
        assert await quotas.counter.learner_count("tenant-a") == 3
        await _refused(_put(client, "c4"), "max_courses")
        await _refused(_answer(client, "e9", "dan"), "max_learners")
        await _put(client, "c1")  # over the quota, existing ones keep working
        assert (await _answer(client, "e4", "cat", course="c2")).sequence == 1
    reopened = SqliteStore.open(tmp_path / "attune.db")  # counted once: not again on reopen
    try:
        again = await open_quotas(reopened, LIMITS)
        assert again is not None
        assert await again.counter.learner_count("tenant-a") == 3
        assert await again.counter.course_count("tenant-a") == 3
    finally:
        await reopened.close()


async def test_the_engine_deployable_reads_the_quotas_from_its_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from attune.engine.domain.errors import QuotaExceededError
    from attune.engine.grpc.convert import course_from_pb
    from attune.engine.main import open_engine
    from attune.engine.settings import EngineSettings

    monkeypatch.setenv("ATTUNE_LIMITS__MAX_COURSES", "1")
    monkeypatch.setenv("ATTUNE_LIMITS__MAX_LEARNERS", "0")
    opened = await open_engine(EngineSettings(data_dir=tmp_path, demo_course=False))
    try:
        engine = opened.engine
        assert engine.quotas is not None
        assert (engine.quotas.max_courses, engine.quotas.max_learners) == (1, 0)
        await engine.put_course("t", course_from_pb(chain_course("c1")))
        with pytest.raises(QuotaExceededError) as err:
            await engine.put_course("t", course_from_pb(chain_course("c2")))
        assert err.value.quota == "max_courses"
        assert await engine.store.get_course("t", "c2") is None
    finally:
        await opened.close()
    assert TenantLimitSettings().max_courses == 10_000  # the defaults are generous
    assert TenantLimitSettings().max_learners == 1_000_000
