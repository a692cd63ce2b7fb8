"""A real engine (grpc.aio on port 0, embedded store) served from a background event loop, so
that synchronous hypothesis tests can call it; and what a tenant can observe of it.

The server is the one ``tests.support.engine_server.engine_client`` starts; only the loop it
runs on is ours.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import grpc

from attune.engine.v1 import (
    course_pb2,
    course_pb2_grpc,
    events_pb2,
    events_pb2_grpc,
    learner_pb2,
    learner_pb2_grpc,
)
from tests.support.courses import chain_course
from tests.support.engine_server import META_A, engine_client

SEEDED_LEARNER = "fuzz-seed"
BAD_CODES = frozenset({grpc.StatusCode.INTERNAL, grpc.StatusCode.UNKNOWN})


@dataclass
class SyncEngine:
    """Synchronous stubs on a channel to the running engine."""

    target: str
    channel: grpc.Channel
    courses: course_pb2_grpc.CourseServiceStub
    learners: learner_pb2_grpc.LearnerServiceStub
    events: events_pb2_grpc.EventServiceStub


@contextmanager
def threaded_engine(data_dir: Path) -> Iterator[SyncEngine]:
    """Start the engine on its own event loop thread; seed tenant-a with the chain course and
    a learner with a few responses; stop it after."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="fuzz-engine", daemon=True)
    thread.start()
    started = engine_client(data_dir)
    client = asyncio.run_coroutine_threadsafe(started.__aenter__(), loop).result(30)
    channel = grpc.insecure_channel(client.target)
    try:
        engine = SyncEngine(
            client.target,
            channel,
            course_pb2_grpc.CourseServiceStub(channel),
            learner_pb2_grpc.LearnerServiceStub(channel),
            events_pb2_grpc.EventServiceStub(channel),
        )
        _seed(engine)
        yield engine
    finally:
        channel.close()
        asyncio.run_coroutine_threadsafe(started.__aexit__(None, None, None), loop).result(30)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


def _seed(engine: SyncEngine) -> None:
    engine.courses.PutCourse(course_pb2.PutCourseRequest(course=chain_course()), metadata=META_A)
    for n, correct in enumerate((True, False, True)):
        engine.learners.RecordResponse(
            learner_pb2.RecordResponseRequest(
                event_id=f"seed-{n}",
                learner_id=SEEDED_LEARNER,
                course_id="chain",
                item_id="a1",
                correct=correct,
            ),
            metadata=META_A,
        )


def _bytes(message: object) -> bytes:
    return message.SerializeToString(deterministic=True)  # type: ignore[attr-defined]


def observe(
    engine: SyncEngine, learners: tuple[tuple[str, str], ...] = ()
) -> tuple[tuple[bytes, ...], tuple[bytes, ...], tuple[bytes, ...]]:
    """What tenant-a sees: every course, every logged event, and the state of the seeded
    learner and of each (learner, course) in ``learners`` (empty when there is none).
    A read that fails with a server error raises: that is a finding in itself."""
    courses: list[bytes] = []
    token = ""
    while True:
        page = engine.courses.ListCourses(
            course_pb2.ListCoursesRequest(page_size=500, page_token=token), metadata=META_A
        )
        courses += [_bytes(c) for c in page.courses]
        token = page.next_page_token
        if not token:
            break
    events: list[bytes] = []
    cursor = 0
    while True:
        listed = engine.events.ListEvents(
            events_pb2.ListEventsRequest(after_log_id=cursor, page_size=1000), metadata=META_A
        )
        if not listed.events:
            break
        events += [_bytes(e) for e in listed.events]
        cursor = listed.last_log_id
    states = tuple(
        _state(engine, learner, course)
        for learner, course in ((SEEDED_LEARNER, "chain"), *learners)
    )
    return tuple(courses), tuple(events), states


def _state(engine: SyncEngine, learner: str, course: str) -> bytes:
    try:
        reply = engine.learners.GetLearnerState(
            learner_pb2.GetLearnerStateRequest(learner_id=learner, course_id=course),
            metadata=META_A,
        )
    except grpc.RpcError as exc:
        if exc.code() in BAD_CODES:  # type: ignore[attr-defined]
            raise
        return b"refused:" + exc.code().name.encode()  # type: ignore[attr-defined]
    return _bytes(reply)
