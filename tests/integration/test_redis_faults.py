"""Faults under load: Redis killed and restarted, an engine process killed with ``kill -9``.

Learners answer one response after another (as a practice page does) and retry each with
the same event id until it is acknowledged. Nothing acknowledged may be lost, nothing may be
applied twice, and the tenant stream must end up with every event once.
"""

from __future__ import annotations

import asyncio
import signal
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import grpc
import pytest

from attune.engine.adapters.redis_store import RedisStore
from attune.engine.v1 import course_pb2, course_pb2_grpc, learner_pb2, learner_pb2_grpc
from tests.support.courses import chain_course
from tests.support.redis_server import redis_server
from tests.support.serve_proc import TOKEN_META, start_engines, stop_engines

pytestmark = [pytest.mark.integration, pytest.mark.slow]

LEARNERS = 8
PER_LEARNER = 40
ITEMS = ("a1", "a2", "b1", "b2", "c1", "c2", "bc")
TENANT = "default"


@dataclass
class Load:
    """Learners answering in a loop against a set of engines; what they saw."""

    targets: list[str]
    acked: dict[str, learner_pb2.RecordResponseResponse] = field(default_factory=dict)
    acked_by: dict[str, str] = field(default_factory=dict)
    codes: list[grpc.StatusCode] = field(default_factory=list)
    stale_reads: list[str] = field(default_factory=list)
    dead: set[str] = field(default_factory=set)

    def request(self, learner: int, k: int) -> learner_pb2.RecordResponseRequest:
        return learner_pb2.RecordResponseRequest(
            event_id=f"L{learner}-{k}",
            learner_id=f"L{learner}",
            course_id="chain",
            item_id=ITEMS[(learner + k) % len(ITEMS)],
            correct=(learner + k) % 3 != 0,
            response_time_ms=9000,
        )

    async def learner(self, n: int, allowed: Callable[[grpc.StatusCode], bool]) -> None:
        """One learner: each response until acknowledged, then a state read that must never
        be behind what was acknowledged."""
        channels = {t: grpc.aio.insecure_channel(t) for t in self.targets}
        try:
            for k in range(PER_LEARNER):
                attempt = 0
                while True:
                    live = [t for t in self.targets if t not in self.dead]
                    target = live[(n + k + attempt) % len(live)]
                    stub = learner_pb2_grpc.LearnerServiceStub(channels[target])
                    try:
                        reply = await stub.RecordResponse(
                            self.request(n, k), metadata=TOKEN_META, timeout=10
                        )
                        state = await stub.GetLearnerState(
                            learner_pb2.GetLearnerStateRequest(
                                learner_id=f"L{n}", course_id="chain"
                            ),
                            metadata=TOKEN_META,
                            timeout=10,
                        )
                    except grpc.aio.AioRpcError as exc:
                        self.codes.append(exc.code())
                        assert allowed(exc.code()), f"{exc.code()}: {exc.details()}"
                        attempt += 1
                        await asyncio.sleep(0.05)
                        continue
                    self.acked.setdefault(f"L{n}-{k}", reply)
                    self.acked_by.setdefault(f"L{n}-{k}", target)
                    if state.responses < k + 1:
                        self.stale_reads.append(f"L{n}-{k}: {state.responses}")
                    break
        finally:
            for channel in channels.values():
                await channel.close()


async def _a_third_done(load: Load, learners: list[asyncio.Task[None]]) -> None:
    """Wait until a third of the responses are acknowledged (failing if a learner fails)."""
    deadline = time.monotonic() + 60
    while len(load.acked) < LEARNERS * PER_LEARNER // 3:
        for task in learners:
            if task.done():
                task.result()  # raises what went wrong
        assert time.monotonic() < deadline, "the load made no progress"
        await asyncio.sleep(0.01)


async def _refused(load: Load, learners: list[asyncio.Task[None]], codes: int) -> None:
    """Wait until ``codes`` calls have been refused in all (failing if a learner fails)."""
    deadline = time.monotonic() + 60
    while len(load.codes) < codes:
        for task in learners:
            if task.done():
                task.result()  # raises what went wrong
        assert time.monotonic() < deadline, "no call was refused: is the store really down?"
        await asyncio.sleep(0.01)


async def _put_course(target: str) -> None:
    async with grpc.aio.insecure_channel(target) as ch:
        await course_pb2_grpc.CourseServiceStub(ch).PutCourse(
            course_pb2.PutCourseRequest(course=chain_course()), metadata=TOKEN_META
        )


async def _check_everything_kept(url: str, load: Load) -> None:
    """Every acknowledged response is in its learner's log once, in order, with the reply
    that was acknowledged; every event is on the tenant stream once."""
    store = await RedisStore.open(url, sweep_seconds=0)
    try:
        await store.relay.sweep(lock=False)  # what a crashed process left in the outboxes
        for n in range(LEARNERS):
            logged = await store.read_learner_events(TENANT, f"L{n}", "chain")
            assert [e.event_id for e in logged] == [f"L{n}-{k}" for k in range(PER_LEARNER)]
            for e in logged:
                assert load.acked[e.event_id].sequence == e.sequence
            snap = await store.load(TENANT, f"L{n}", "chain")
            assert snap is not None and snap.state.responses == PER_LEARNER
        streamed = [e.event_id for e in await store.read_events(TENANT, 0, 100_000)]
        assert sorted(streamed) == sorted(load.acked)
    finally:
        await store.close()


async def test_redis_restarted_under_load(tmp_path: Path) -> None:
    """Redis is SIGKILLed mid-load and restarted on its port and AOF (appendfsync always):
    meanwhile calls get UNAVAILABLE and nothing else, the engines stay up and recover by
    themselves, and no acknowledged response is lost."""
    with redis_server(tmp_path / "redis", appendfsync="always") as redis:
        engines = await start_engines(tmp_path, redis.url, 2)
        try:
            await _put_course(engines[0].target)
            load = Load([e.target for e in engines])
            unavailable = grpc.StatusCode.UNAVAILABLE
            learners = [
                asyncio.create_task(load.learner(n, lambda c: c == unavailable))
                for n in range(LEARNERS)
            ]
            await _a_third_done(load, learners)
            redis.stop(signal.SIGKILL)
            down_at = len(load.acked)
            await _refused(load, learners, len(load.codes) + LEARNERS)  # the outage is seen
            assert len(load.acked) <= down_at + LEARNERS  # at most the calls already replied
            redis.start()
            await asyncio.wait_for(asyncio.gather(*learners), 60)
            assert all(e.proc.poll() is None for e in engines), "an engine died"
        finally:
            stop_engines(engines)
        assert load.codes and set(load.codes) == {grpc.StatusCode.UNAVAILABLE}
        assert load.stale_reads == []
        await _check_everything_kept(redis.url, load)


async def test_engine_killed_under_load(tmp_path: Path) -> None:
    """One of two engines is ``kill -9``ed mid-load: its clients move to the other, nothing
    acknowledged is lost, and a retry of anything it acknowledged gets the original reply."""
    with redis_server(tmp_path / "redis") as redis:
        engines = await start_engines(tmp_path, redis.url, 2)
        victim, survivor = engines
        try:
            await _put_course(survivor.target)
            load = Load([victim.target, survivor.target])
            died = (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.CANCELLED)
            learners = [
                asyncio.create_task(load.learner(n, lambda c: c in died)) for n in range(LEARNERS)
            ]
            await _a_third_done(load, learners)
            victim.kill()
            load.dead.add(victim.target)
            killed_at = time.monotonic()
            await asyncio.wait_for(asyncio.gather(*learners), 60)
            assert time.monotonic() - killed_at < 60
            by_victim = [e for e, t in load.acked_by.items() if t == victim.target]
            assert by_victim, "the killed engine had acknowledged responses"
            async with grpc.aio.insecure_channel(survivor.target) as ch:
                stub = learner_pb2_grpc.LearnerServiceStub(ch)
                for event_id in by_victim:
                    n, k = (int(x) for x in event_id[1:].split("-"))
                    retry = await stub.RecordResponse(load.request(n, k), metadata=TOKEN_META)
                    original = load.acked[event_id]
                    assert retry.duplicate and not original.duplicate
                    assert retry.sequence == original.sequence
                    assert list(retry.skills) == list(original.skills)
                    assert list(retry.recommendations) == list(original.recommendations)
        finally:
            stop_engines([survivor])
        await _check_everything_kept(redis.url, load)
        counts: dict[str, int] = defaultdict(int)
        for t in load.acked_by.values():
            counts[t] += 1
        assert counts[survivor.target] > 0
