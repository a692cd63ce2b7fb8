"""A real ``attune serve`` process: kill -9 and SIGTERM lose nothing that was acknowledged."""

from __future__ import annotations

import asyncio
from pathlib import Path

import grpc
import pytest

from attune.engine.v1 import course_pb2_grpc, learner_pb2, learner_pb2_grpc
from tests.support.serve_proc import TOKEN_META, start_engine

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def _req(
    event_id: str, learner: str, item: str, correct: bool
) -> learner_pb2.RecordResponseRequest:
    return learner_pb2.RecordResponseRequest(
        event_id=event_id, learner_id=learner, course_id="demo", item_id=item, correct=correct
    )


async def _items(target: str) -> list[str]:
    from attune.engine.v1 import course_pb2

    async with grpc.aio.insecure_channel(target) as ch:
        course = await course_pb2_grpc.CourseServiceStub(ch).GetCourse(
            course_pb2.GetCourseRequest(course_id="demo"), metadata=TOKEN_META
        )
    return [i.item_id for i in course.course.items]


async def test_kill_9_loses_no_acknowledged_response(tmp_path: Path) -> None:
    engine = start_engine(tmp_path)
    acked: dict[str, learner_pb2.RecordResponseResponse] = {}
    try:
        items = await _items(engine.target)
        async with grpc.aio.insecure_channel(engine.target) as ch:
            stub = learner_pb2_grpc.LearnerServiceStub(ch)

            async def learner(n: int) -> None:
                for k in range(15):
                    eid = f"L{n}-{k}"
                    reply = await stub.RecordResponse(
                        _req(eid, f"L{n}", items[(n + k) % 12], k % 3 != 0), metadata=TOKEN_META
                    )
                    acked[eid] = reply

            await asyncio.gather(*[learner(n) for n in range(8)])
    finally:
        engine.kill()
    assert len(acked) == 120

    engine = start_engine(tmp_path)
    try:
        async with grpc.aio.insecure_channel(engine.target) as ch:
            stub = learner_pb2_grpc.LearnerServiceStub(ch)
            for n in range(8):
                state = await stub.GetLearnerState(
                    learner_pb2.GetLearnerStateRequest(learner_id=f"L{n}", course_id="demo"),
                    metadata=TOKEN_META,
                )
                assert state.responses == 15
                last = acked[f"L{n}-14"]
                by_skill = {s.skill_id: s for s in state.skills}
                for s in last.skills:  # bit-identical beliefs after the restart
                    assert by_skill[s.skill_id].p_mastery == s.p_mastery
            # A retry after the crash gets the original reply and changes nothing.
            retry = await stub.RecordResponse(
                _req("L3-7", "L3", items[(3 + 7) % 12], 7 % 3 != 0), metadata=TOKEN_META
            )
            assert retry.duplicate
            assert list(retry.skills) == list(acked["L3-7"].skills)
            assert retry.sequence == acked["L3-7"].sequence
            state = await stub.GetLearnerState(
                learner_pb2.GetLearnerStateRequest(learner_id="L3", course_id="demo"),
                metadata=TOKEN_META,
            )
            assert state.responses == 15
    finally:
        engine.terminate()


async def test_sigterm_finishes_in_flight_calls_and_flushes(tmp_path: Path) -> None:
    """Calls inside a handler finish; calls still queued in gRPC core when the server stops
    come back CANCELLED or UNAVAILABLE having changed nothing, so a retry with the same
    event_id after the restart applies each of them exactly once."""
    engine = start_engine(tmp_path)
    acked: set[str] = set()
    refused: set[str] = set()
    items = await _items(engine.target)
    async with grpc.aio.insecure_channel(engine.target) as ch:
        stub = learner_pb2_grpc.LearnerServiceStub(ch)

        async def send(k: int) -> None:
            try:
                await stub.RecordResponse(
                    _req(f"T{k}", "term", items[k % 5], True), metadata=TOKEN_META
                )
                acked.add(f"T{k}")
            except grpc.aio.AioRpcError as exc:
                assert exc.code() in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.CANCELLED)
                refused.add(f"T{k}")

        calls = [asyncio.create_task(send(k)) for k in range(200)]
        for _ in range(500):  # SIGTERM once the first calls are through, however busy the box
            if acked:
                break
            await asyncio.sleep(0.01)
        code = await asyncio.to_thread(engine.terminate)
        await asyncio.gather(*calls)
    assert code == 0
    assert acked, "some calls should have completed before the shutdown"
    engine = start_engine(tmp_path)
    try:
        async with grpc.aio.insecure_channel(engine.target) as ch:
            stub = learner_pb2_grpc.LearnerServiceStub(ch)
            state = await stub.GetLearnerState(
                learner_pb2.GetLearnerStateRequest(learner_id="term", course_id="demo"),
                metadata=TOKEN_META,
            )
            assert state.responses == len(acked)
            for k in range(200):
                reply = await stub.RecordResponse(
                    _req(f"T{k}", "term", items[k % 5], True), metadata=TOKEN_META
                )
                assert reply.duplicate == (f"T{k}" in acked)
            state = await stub.GetLearnerState(
                learner_pb2.GetLearnerStateRequest(learner_id="term", course_id="demo"),
                metadata=TOKEN_META,
            )
            assert state.responses == 200
    finally:
        engine.terminate()


def test_unreachable_store_url_exits_with_a_message(tmp_path: Path) -> None:
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-m", "attune", "serve", "--port", "0", "--store", "mongo://x:1/db"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert out.returncode == 2
    assert "mongo://x:1/db" in out.stderr
    assert "Traceback" not in out.stderr
