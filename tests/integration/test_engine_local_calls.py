"""In-process engine calls (engine/grpc/local.py, gateway/engine_local.py; issue 17): the
same call made over a real gRPC channel and in process gives the same reply bytes, or the
same status code, details and trailing metadata; it runs the same interceptors (auth, the
audit record) and the same store; a stopping engine, an unknown method, a deadline and a
call from the engine's own loop are refused without applying anything."""

from __future__ import annotations

import asyncio
import functools
import threading
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import grpc
import pytest

from attune.engine.adapters.sqlite_store import SqliteStore
from attune.engine.grpc.auth import StaticTokenAuthenticator
from attune.engine.grpc.local import PEER, LoopCaller, _Details
from attune.engine.grpc.server import RunningServer, build_engine, start_server
from attune.engine.v1 import course_pb2, course_pb2_grpc, learner_pb2, learner_pb2_grpc
from attune.gateway.engine_local import LocalChannel
from attune.infra.audit import AuditQuery, AuditTrail
from attune.infra.audit.sqlite import SqliteAuditLog
from tests.support.courses import chain_course
from tests.support.engine_server import META_A, TOKENS

pytestmark = pytest.mark.integration

GET_STATE = "/attune.engine.v1.LearnerService/GetLearnerState"


class Both:
    """Stubs over the network and in process, to one running engine."""

    def __init__(self, running: RunningServer) -> None:
        assert running.local is not None
        self.running = running
        self.caller: LoopCaller = running.local
        self.network = grpc.insecure_channel(f"127.0.0.1:{running.port}")
        self.local = LocalChannel(running.local, self.network)

    def learners(self, local: bool) -> learner_pb2_grpc.LearnerServiceStub:
        return learner_pb2_grpc.LearnerServiceStub(self.local if local else self.network)

    def courses(self, local: bool) -> course_pb2_grpc.CourseServiceStub:
        return course_pb2_grpc.CourseServiceStub(self.local if local else self.network)


@pytest.fixture
async def both(tmp_path: Path) -> AsyncIterator[tuple[Both, AuditTrail]]:
    trail = AuditTrail(SqliteAuditLog(tmp_path / "audit.db"), clock=lambda: 1_800_000_000.0)
    store = SqliteStore.open(tmp_path / "attune.db")
    running = await start_server(
        build_engine(store), StaticTokenAuthenticator(TOKENS), "127.0.0.1", 0, audit=trail
    )
    b = Both(running)
    put = course_pb2.PutCourseRequest(course=chain_course())
    await asyncio.to_thread(b.courses(False).PutCourse, put, metadata=META_A)
    try:
        yield b, trail
    finally:
        b.network.close()
        await running.stop(1.0)
        trail.log.close()


async def _in_thread(call: Callable[[], Any]) -> Any:
    """A blocking call from a thread, as the gateway's WSGI threads make them."""
    return await asyncio.to_thread(call)


async def _refusal(call: Callable[[], Any]) -> tuple[grpc.StatusCode, str, dict[str, str]]:
    with pytest.raises(grpc.RpcError) as caught:
        await _in_thread(call)
    exc: Any = caught.value
    return exc.code(), exc.details(), dict(exc.trailing_metadata() or ())


def _answer(event_id: str, learner: str) -> learner_pb2.RecordResponseRequest:
    return learner_pb2.RecordResponseRequest(
        event_id=event_id, learner_id=learner, course_id="chain", item_id="a1", score=1.0,
        response_time_ms=20_000,
    )  # fmt: skip


async def test_replies_are_the_same_bytes_and_share_the_store(
    both: tuple[Both, AuditTrail],
) -> None:
    b, _ = both
    ask = course_pb2.GetCourseRequest(course_id="chain")
    over_network = await _in_thread(lambda: b.courses(False).GetCourse(ask, metadata=META_A))
    in_process = await _in_thread(lambda: b.courses(True).GetCourse(ask, metadata=META_A))
    assert in_process.SerializeToString() == over_network.SerializeToString()
    # An answer recorded in process is the engine's: the network reads it back, and a retry
    # of the same event id over the network is the original reply, not a second update.
    first = await _in_thread(
        lambda: b.learners(True).RecordResponse(_answer("e1", "amy"), metadata=META_A)
    )
    again = await _in_thread(
        lambda: b.learners(False).RecordResponse(_answer("e1", "amy"), metadata=META_A)
    )
    assert again.duplicate and not first.duplicate
    again.duplicate = False
    assert again.SerializeToString() == first.SerializeToString()
    state = learner_pb2.GetLearnerStateRequest(learner_id="amy", course_id="chain")
    network_state = await _in_thread(
        lambda: b.learners(False).GetLearnerState(state, metadata=META_A)
    )
    local_state = await _in_thread(lambda: b.learners(True).GetLearnerState(state, metadata=META_A))
    assert local_state.SerializeToString() == network_state.SerializeToString()
    assert [s.attempts for s in local_state.skills if s.attempts] == [1]  # applied once


@pytest.mark.parametrize(
    "case",
    ["bad token", "no token", "invalid request", "unknown learner"],
)
async def test_refusals_match_the_network_call(both: tuple[Both, AuditTrail], case: str) -> None:
    b, _ = both
    meta: tuple[tuple[str, str], ...] = (*META_A, ("x-request-id", "req-7"))
    request = learner_pb2.GetLearnerStateRequest(learner_id="nobody", course_id="chain")
    if case == "bad token":
        meta = (("authorization", "Bearer nope"), ("x-request-id", "req-7"))
    elif case == "no token":
        meta = (("x-request-id", "req-7"),)
    elif case == "invalid request":
        request = learner_pb2.GetLearnerStateRequest(learner_id="", course_id="chain")
    refusals = []
    for local in (False, True):
        stub = b.learners(local)
        call = functools.partial(stub.GetLearnerState, request, metadata=meta)
        refusals.append(await _refusal(call))
    assert refusals[1] == refusals[0]
    code, details, trailing = refusals[1]
    assert code != grpc.StatusCode.OK and details
    assert trailing["x-request-id"] == "req-7"


async def test_the_audit_trail_records_an_in_process_read_with_its_peer(
    both: tuple[Both, AuditTrail],
) -> None:
    b, trail = both
    await _in_thread(lambda: b.learners(True).RecordResponse(_answer("e1", "amy"), metadata=META_A))
    ask = learner_pb2.GetLearnerStateRequest(learner_id="amy", course_id="chain")
    meta = (*META_A, ("x-request-id", "req-42"))
    await _in_thread(lambda: b.learners(True).GetLearnerState(ask, metadata=meta))
    [read] = trail.log.search(AuditQuery("tenant-a", action="learner.read"))
    assert read.learner_id == "amy" and read.request_id == "req-42"
    assert read.peer == PEER


async def test_an_unknown_method_is_unimplemented(both: tuple[Both, AuditTrail]) -> None:
    b, _ = both
    code, details, _ = await _refusal(
        lambda: b.caller.call("/attune.engine.v1.LearnerService/Nope", b"", META_A, 5.0)
    )
    assert code == grpc.StatusCode.UNIMPLEMENTED and "Nope" in details


async def test_a_call_on_the_engines_own_loop_is_refused(both: tuple[Both, AuditTrail]) -> None:
    b, _ = both
    with pytest.raises(RuntimeError, match="own loop"):
        b.caller.call(GET_STATE, b"", META_A, 5.0)  # would wait for the loop it blocks


async def test_a_deadline_cancels_the_call_before_it_applies(
    both: tuple[Both, AuditTrail],
) -> None:
    b, _ = both
    outcome: list[Any] = []

    def answer() -> None:
        try:
            b.learners(True).RecordResponse(_answer("late", "bo"), metadata=META_A, timeout=0.05)
        except grpc.RpcError as exc:
            outcome.append(exc.code())

    caller = threading.Thread(target=answer)
    caller.start()
    caller.join()  # on the loop's thread: the loop cannot start the call before its deadline
    assert outcome == [grpc.StatusCode.DEADLINE_EXCEEDED]
    await asyncio.sleep(0)  # the loop runs the start, then the cancel, of the late call
    await asyncio.sleep(0)
    state = learner_pb2.GetLearnerStateRequest(learner_id="bo", course_id="chain")
    code, _, _ = await _refusal(lambda: b.learners(False).GetLearnerState(state, metadata=META_A))
    assert code == grpc.StatusCode.NOT_FOUND  # nothing was recorded for bo


async def test_a_stopping_engine_refuses_new_in_process_calls(
    both: tuple[Both, AuditTrail],
) -> None:
    b, _ = both
    b.caller.stop()
    state = learner_pb2.GetLearnerStateRequest(learner_id="amy", course_id="chain")
    code, details, _ = await _refusal(
        lambda: b.learners(True).GetLearnerState(state, metadata=META_A)
    )
    assert code == grpc.StatusCode.UNAVAILABLE and "stopping" in details


async def test_every_interceptor_builds_a_methods_handler_once(
    both: tuple[Both, AuditTrail],
) -> None:
    # The behaviour interceptors (load shedding, the tenant gate) keep their wrapped handler
    # per method, so the pipeline and observability outside them keep theirs: two calls of a
    # method get the very same handler (issue 17: it was rebuilt at every layer per call).
    b, _ = both
    dispatch = b.caller._dispatch
    first = await dispatch._handler(_Details(GET_STATE, META_A))
    second = await dispatch._handler(_Details(GET_STATE, (("authorization", "Bearer x"),)))
    other = await dispatch._handler(_Details("/attune.engine.v1.LearnerService/Recommend", ()))
    assert first is not None and first is second and other is not first
