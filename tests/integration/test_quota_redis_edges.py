"""The Redis quota's edge cases (issue 16), on a real redis-server: two engine processes' stores
racing to create new courses never store more than the quota between them; learners stored
before quotas existed are counted by ``attune quota recount`` (resumable, safe twice, per
tenant) and by the engine's one-time pass at start."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from attune.engine.adapters.redis_quota import RedisQuota, learners_key
from attune.engine.adapters.redis_recount import PROGRESS, _count_page, recount, recount_once
from attune.engine.adapters.redis_store import RedisStore
from attune.engine.domain.errors import QuotaExceededError
from attune.engine.grpc.convert import course_from_pb
from attune.engine.grpc.server import build_engine
from attune.engine.service.quotas import Quotas
from attune.engine.v1 import course_pb2, learner_pb2
from tests.support.courses import chain_course
from tests.support.engine_server import META_A, META_B, Client, ManualClock, engine_client

pytestmark = pytest.mark.integration


async def test_two_engines_racing_new_courses_store_no_more_than_the_quota(
    redis_standalone: Any,
) -> None:
    redis_standalone.flush()
    first = await RedisStore.open(redis_standalone.url, sweep_seconds=0)
    second = await RedisStore.open(redis_standalone.url, sweep_seconds=0)
    engines = []
    for store in (first, second):
        engine = build_engine(store)
        engine.quotas = Quotas(RedisQuota(store), max_courses=3, max_learners=0)
        engines.append(engine)
    try:
        for rnd in range(5):  # several rounds: each a fresh tenant, 12 new courses at once
            tenant = f"race-{rnd}"
            calls = [
                engines[n % 2].put_course(tenant, course_from_pb(chain_course(f"c{n}")))
                for n in range(12)
            ]
            results = await asyncio.gather(*calls, return_exceptions=True)
            stored = [r for r in results if not isinstance(r, BaseException)]
            refused = [r for r in results if isinstance(r, QuotaExceededError)]
            assert len(stored) == 3, results
            assert len(refused) == 9
            assert await engines[0].quotas.counter.course_count(tenant) == 3  # type: ignore[union-attr]
            listed = await first.list_courses(tenant, "", 100)
            assert sorted(c.course_id for c in listed) == sorted(c.course_id for c in stored)
            # Replacing a stored course is no new course, on either engine.
            again = course_from_pb(chain_course(stored[0].course_id))
            await engines[1].put_course(tenant, again)
    finally:
        for engine in engines:
            await engine.close()


async def _learners(client: Client, tenant_meta: Any, names: list[str]) -> None:
    await client.courses.PutCourse(
        course_pb2.PutCourseRequest(course=chain_course("c1")), metadata=tenant_meta
    )
    for n, learner in enumerate(names):
        await client.learners.RecordResponse(
            learner_pb2.RecordResponseRequest(
                event_id=f"e{n}", learner_id=learner, course_id="c1", item_id="a1",
                correct=True, response_time_ms=9000,
            ),
            metadata=tenant_meta,
        )  # fmt: skip


async def test_recount_counts_learners_from_before_quotas_once(redis_standalone: Any) -> None:
    redis_standalone.flush()
    store = await RedisStore.open(redis_standalone.url, sweep_seconds=0)
    async with engine_client(None, clock=ManualClock(), store=store) as client:  # no quotas yet
        a_names = [f"a:{n}" for n in range(7)] + ["we{ird}*"]
        await _learners(client, META_A, a_names)
        await _learners(client, META_B, ["b0", "b1"])
        redis = store.client
        await client.learners.DeleteLearner(
            learner_pb2.DeleteLearnerRequest(learner_id="a:0"), metadata=META_A
        )
        quota = RedisQuota(store)
        assert await quota.learner_count("tenant-a") == 0

        only_b = await recount(redis, "tenant-b")
        assert (only_b.seen, only_b.added) == (2, 2)
        assert await quota.learner_count("tenant-a") == 0  # one tenant only
        whole = await recount(redis, page=2)
        assert whole.added == 7  # the erased learner is not counted; tenant-b's were already
        assert await redis.smembers(learners_key("tenant-a")) == set(a_names[1:])
        assert await quota.learner_count("tenant-b") == 2
        twice = await recount(redis)
        assert (twice.added, twice.resumed) == (0, False)
        assert await quota.learner_count("tenant-a") == 7
        assert await recount_once(redis) is None  # the start-up pass: done before, skipped


async def test_recount_resumes_from_its_stored_cursor(redis_standalone: Any) -> None:
    redis_standalone.flush()
    store = await RedisStore.open(redis_standalone.url, sweep_seconds=0)
    async with engine_client(None, clock=ManualClock(), store=store) as client:
        names = [f"l{n}" for n in range(40)]
        await _learners(client, META_A, names)
        redis = store.client
        # A run stopped after its first pages: they counted, their cursor stored. (A page of
        # SCAN may match nothing: stop after the first page that counted a learner, or a
        # resume that finds all 40 could not be told from a start over.)
        cursor, first = 0, 0
        while first == 0:
            cursor, keys = await redis.scan(
                cursor=cursor, match="attune:{t=*:l=*}:meta", count=5
            )
            first += await _count_page(redis, list(keys))
        assert int(cursor) != 0
        await redis.hset(PROGRESS, "cursor:*", int(cursor))
        resumed = await recount(redis)
        assert resumed.resumed
        assert first + resumed.added == 40
        assert resumed.seen < 40  # it did not start over
        assert await RedisQuota(store).learner_count("tenant-a") == 40
        assert not await redis.hexists(PROGRESS, "cursor:*")
        assert await redis.hexists(PROGRESS, "done:*")


async def test_recount_undoes_a_count_when_the_learner_was_erased_meanwhile(
    redis_standalone: Any,
) -> None:
    redis_standalone.flush()
    store = await RedisStore.open(redis_standalone.url, sweep_seconds=0)
    async with engine_client(None, clock=ManualClock(), store=store) as client:
        await _learners(client, META_A, ["ann", "bob"])
        redis = store.client
        keys = sorted([k async for k in redis.scan_iter(match="attune:{t=*:l=*}:meta")])
        await client.learners.DeleteLearner(  # erased between the scan and the count
            learner_pb2.DeleteLearnerRequest(learner_id="ann"), metadata=META_A
        )
        assert await _count_page(redis, keys) == 1
        assert await redis.smembers(learners_key("tenant-a")) == {"bob"}


def _last_line(out: str) -> Any:
    return json.loads(out.strip().splitlines()[-1])  # the log lines come first


def test_the_command_recounts_a_tenant(
    redis_standalone: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    from attune.cli import main

    async def setup() -> None:
        redis_standalone.flush()
        store = await RedisStore.open(redis_standalone.url, sweep_seconds=0)
        async with engine_client(None, clock=ManualClock(), store=store) as client:
            await _learners(client, META_A, ["ann", "bob", "cat"])

    asyncio.run(setup())
    assert main(["quota", "recount", "--tenant", "tenant-a", "--store", redis_standalone.url]) == 0
    out = _last_line(capsys.readouterr().out)
    assert out == {"tenant": "tenant-a", "seen": 3, "added": 3, "resumed": False}
    assert main(["quota", "recount", "--store", redis_standalone.url]) == 0
    assert _last_line(capsys.readouterr().out)["added"] == 0
    assert main(["quota", "recount", "--store", ""]) == 2
    assert "Redis store" in capsys.readouterr().err


async def test_the_engine_counts_old_learners_once_at_start(
    redis_standalone: Any, tmp_path: Any
) -> None:
    from attune.engine.main import open_engine
    from attune.engine.settings import EngineSettings

    redis_standalone.flush()
    store = await RedisStore.open(redis_standalone.url, sweep_seconds=0)
    async with engine_client(None, clock=ManualClock(), store=store) as client:
        await _learners(client, META_A, ["ann", "bob"])
    settings = EngineSettings(data_dir=tmp_path, store_url=redis_standalone.url, demo_course=False)
    opened = await open_engine(settings)
    try:
        assert opened.recount is not None
        await opened.recount
        assert await opened.engine.quotas.counter.learner_count("tenant-a") == 2  # type: ignore[union-attr]
        client_ = opened.engine.store.inner.client  # type: ignore[attr-defined]
        assert await client_.hexists(PROGRESS, "done:*")
    finally:
        await opened.close()
    reopened = await open_engine(settings)
    try:
        assert reopened.recount is not None
        await reopened.recount  # skipped: the marker says it is done
    finally:
        await reopened.close()
