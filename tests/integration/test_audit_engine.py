"""The engine's audit interceptor over a real gRPC server (port 0): a partner's read of a
learner's state is recorded with who (a token id, never the token), the learner, the peer
and the request id; a call that records nothing (RecordResponse) adds nothing; when the
trail cannot be written, the read fails UNAVAILABLE and releases nothing; DeleteLearner is
recorded with the learner already pseudonymised."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import grpc
import pytest

from attune.engine.adapters.sqlite_store import SqliteStore
from attune.engine.grpc.auth import StaticTokenAuthenticator
from attune.engine.grpc.server import build_engine, start_server
from attune.engine.v1 import course_pb2, course_pb2_grpc, learner_pb2, learner_pb2_grpc
from attune.infra.audit import AuditQuery, AuditTrail, verify
from attune.infra.audit.sqlite import SqliteAuditLog
from tests.support.courses import chain_course
from tests.support.engine_server import META_A, TOKENS

pytestmark = pytest.mark.integration


class Switch:
    """The trail, or a broken one when ``broken``."""

    def __init__(self, trail: AuditTrail) -> None:
        self.trail, self.broken = trail, False

    def record(self, **fields: Any) -> object:
        if self.broken:
            raise OSError("disk full")
        return self.trail.record(**fields)

    def erase_learner(self, tenant: str, learner_id: str) -> int:
        return self.trail.erase_learner(tenant, learner_id)


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[tuple[Any, Any, Switch]]:
    trail = AuditTrail(SqliteAuditLog(tmp_path / "audit.db"), clock=lambda: 1_800_000_000.0)
    switch = Switch(trail)
    store = SqliteStore.open(tmp_path / "attune.db")
    running = await start_server(
        build_engine(store), StaticTokenAuthenticator(TOKENS), "127.0.0.1", 0, audit=switch
    )
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{running.port}")
    courses = course_pb2_grpc.CourseServiceStub(channel)
    learners = learner_pb2_grpc.LearnerServiceStub(channel)
    await courses.PutCourse(course_pb2.PutCourseRequest(course=chain_course()), metadata=META_A)
    try:
        yield learners, trail, switch
    finally:
        await channel.close()
        await running.stop(1.0)
        trail.log.close()


async def test_partner_reads_are_recorded_and_fail_closed(
    engine: tuple[Any, AuditTrail, Switch],
) -> None:
    learners, trail, switch = engine
    answer = learner_pb2.RecordResponseRequest(
        event_id="e1", learner_id="amy", course_id="chain", item_id="a1", correct=True,
        response_time_ms=20_000,
    )  # fmt: skip
    await learners.RecordResponse(answer, metadata=META_A)
    assert [r.action for r in trail.log.records("tenant-a")] == ["course.put"]
    meta = (*META_A, ("x-request-id", "req-42"))
    ask = learner_pb2.GetLearnerStateRequest(learner_id="amy", course_id="chain")
    await learners.GetLearnerState(ask, metadata=meta)
    [read] = trail.log.search(AuditQuery("tenant-a", action="learner.read"))
    assert read.learner_id == "amy" and read.target == "chain" and read.source == "engine"
    token_id = hashlib.sha256(b"token-a").hexdigest()[:12]
    assert read.actor == f"partner:token-{token_id}"  # an id of the token, never the token
    assert read.request_id == "req-42" and read.peer
    switch.broken = True
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await learners.GetLearnerState(ask, metadata=META_A)
    assert refused.value.code() == grpc.StatusCode.UNAVAILABLE
    switch.broken = False
    await learners.DeleteLearner(
        learner_pb2.DeleteLearnerRequest(learner_id="amy"), metadata=META_A
    )
    records = trail.log.search(AuditQuery("tenant-a", learner_id="amy"))
    assert [r.action for r in records] == ["learner.read", "learner.erase"]
    assert {r.learner_id for r in records} == {""}
    assert verify(trail.log, "tenant-a").ok
