"""Concurrency proof: three engine processes on one Redis, many concurrent responses for the
same few learners, with retries of the same event ids thrown in.

Afterwards every acknowledged event is in its learner's log exactly once, nothing else is,
and each learner's stored state equals replaying the log, in the order the store accepted
it, through the pure domain from a fresh state.
"""

from __future__ import annotations

import asyncio
import random
from collections import defaultdict
from pathlib import Path

import grpc
import pytest

from attune.engine.adapters.redis_store import RedisStore
from attune.engine.demo.course import demo_course
from attune.engine.domain.learner import LearnerState, Response
from attune.engine.domain.update import apply_response
from attune.engine.grpc.convert import course_to_pb
from attune.engine.settings import EngineSettings
from attune.engine.v1 import course_pb2, course_pb2_grpc, learner_pb2, learner_pb2_grpc
from tests.support.redis_server import redis_server
from tests.support.serve_proc import TOKEN_META, start_engines, stop_engines

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ENGINES = 3
LEARNERS = 6
RESPONSES = 600
RETRIES = 60  # extra sends of event ids already sent (some while the original is in flight)
IN_FLIGHT = 48
RESPONSE_MS = 30_000  # well above the too-fast threshold: every answer has credibility 1
TENANT = "default"  # what the dev token acts for
RETRYABLE = (grpc.StatusCode.ABORTED, grpc.StatusCode.UNAVAILABLE)


async def test_concurrent_responses_across_processes_apply_exactly_once(tmp_path: Path) -> None:
    course = demo_course()
    items = sorted(course.items)
    rng = random.Random(5)
    with redis_server(tmp_path / "redis") as redis:
        engines = await start_engines(tmp_path, redis.url, ENGINES)
        try:
            channels = [grpc.aio.insecure_channel(e.target) for e in engines]
            stubs = [learner_pb2_grpc.LearnerServiceStub(c) for c in channels]
            await course_pb2_grpc.CourseServiceStub(channels[0]).PutCourse(
                course_pb2.PutCourseRequest(course=course_to_pb(course)), metadata=TOKEN_META
            )
            requests = {
                f"ev-{k}": learner_pb2.RecordResponseRequest(
                    event_id=f"ev-{k}",
                    learner_id=f"learner-{rng.randrange(LEARNERS)}",
                    course_id=course.course_id,
                    item_id=rng.choice(items),
                    correct=rng.random() < 0.6,
                    response_time_ms=RESPONSE_MS,
                )
                for k in range(RESPONSES)
            }
            sends = list(requests) + [f"ev-{rng.randrange(RESPONSES)}" for _ in range(RETRIES)]
            rng.shuffle(sends)
            replies: dict[str, list[learner_pb2.RecordResponseResponse]] = defaultdict(list)
            codes: list[grpc.StatusCode] = []
            gate = asyncio.Semaphore(IN_FLIGHT)

            async def send(event_id: str) -> None:
                async with gate:
                    while True:  # a client retries the same event id until it is answered
                        stub = stubs[rng.randrange(ENGINES)]
                        try:
                            reply = await stub.RecordResponse(
                                requests[event_id], metadata=TOKEN_META, timeout=30
                            )
                        except grpc.aio.AioRpcError as exc:
                            codes.append(exc.code())
                            assert exc.code() in RETRYABLE, exc.details()
                            continue
                        replies[event_id].append(reply)
                        return

            await asyncio.gather(*[send(e) for e in sends])
            for channel in channels:
                await channel.close()
        finally:
            stop_engines(engines)

        # Every event was acknowledged; exactly one reply per event applied it, and every
        # other reply to it is the original, marked as a duplicate.
        assert set(replies) == set(requests)
        for event_id, got in replies.items():
            applied = [r for r in got if not r.duplicate]
            assert len(applied) == 1, event_id
            original = (applied[0].sequence, list(applied[0].skills))
            for r in got:
                assert (r.sequence, list(r.skills)) == original

        # Each applied response reads its state twice (load, and the commit script's
        # compare-and-set); every read beyond that is an attempt that lost a compare-and-set
        # to another process and was recomputed. The test is only a proof if that happened.
        with redis.client() as c:
            reads = c.info("commandstats")["cmdstat_get"]["calls"]
        assert reads > 2 * RESPONSES
        store = await RedisStore.open(redis.url, sweep_seconds=0)
        try:
            policy = EngineSettings().tutor.policy()
            by_learner: dict[str, set[str]] = defaultdict(set)
            for event_id, request in requests.items():
                by_learner[request.learner_id].add(event_id)
            for learner, sent in by_learner.items():
                logged = await store.read_learner_events(TENANT, learner, course.course_id)
                ids = [e.event_id for e in logged]
                assert sorted(ids) == sorted(sent)  # none lost, none doubled, none extra
                assert [e.sequence for e in logged] == list(range(1, len(sent) + 1))
                state = LearnerState(learner, course.course_id)
                for e in logged:
                    assert e.credibility == 1.0
                    assert replies[e.event_id][0].sequence == e.sequence
                    response = Response(
                        e.event_id, learner, e.course_id, e.item_id, e.score,
                        e.response_time_ms, e.occurred_at,
                    )  # fmt: skip
                    state = apply_response(course, state, response, 1.0, policy).state
                snap = await store.load(TENANT, learner, course.course_id)
                assert snap is not None and snap.version == len(sent)
                stored = snap.state
                assert stored.responses == state.responses == len(sent)
                assert {k: (s.p_known, s.attempts) for k, s in stored.skills.items()} == {
                    k: (s.p_known, s.attempts) for k, s in state.skills.items()
                }
                assert stored == state  # and every other field, bit for bit
            # The tenant's stream got every event once (the engines relayed before exiting).
            streamed = [e.event_id for e in await store.read_events(TENANT, 0, 10 * RESPONSES)]
            assert sorted(streamed) == sorted(requests)
        finally:
            await store.close()
    assert sum(len(r) for r in replies.values()) == len(sends)
