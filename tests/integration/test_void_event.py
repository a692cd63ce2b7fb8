"""VoidEvent over gRPC on a real engine (issue 19): a voided response leaves the learner
exactly as a learner who never sent it (the state is rebuilt from the log without it),
voids add up, skill interventions are replayed at their place, a repeat is a duplicate, and
bad or unknown requests change nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import pytest

from attune.engine.v1 import course_pb2, interventions_pb2, interventions_pb2_grpc, learner_pb2
from tests.support.courses import chain_course
from tests.support.engine_server import META_A, META_B, Client, ManualClock, engine_client

pytestmark = pytest.mark.integration
iv = interventions_pb2


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[tuple[Client, ManualClock]]:
    clock = ManualClock()
    async with engine_client(tmp_path, clock=clock) as client:
        for meta in (META_A, META_B):
            await client.courses.PutCourse(
                course_pb2.PutCourseRequest(course=chain_course()), metadata=meta
            )
        yield client, clock


# (event, item, correct): the second answer is the one voided.
ANSWERS = [("e1", "a1", True), ("e2", "a1", False), ("e3", "a2", True), ("e4", "bc", True)]


async def answer(
    client: Client, clock: ManualClock, learner: str, event: str, item: str, correct: bool
) -> None:
    clock.t += 60
    await client.learners.RecordResponse(
        learner_pb2.RecordResponseRequest(
            event_id=f"{learner}:{event}",
            learner_id=learner,
            course_id="chain",
            item_id=item,
            correct=correct,
            response_time_ms=30_000,
            occurred_at={"seconds": 1_799_990_000 + int(event[1:]) * 600},
        ),
        metadata=META_A,
    )


async def state(client: Client, learner: str) -> learner_pb2.GetLearnerStateResponse:
    request = learner_pb2.GetLearnerStateRequest(learner_id=learner, course_id="chain")
    found = await client.learners.GetLearnerState(request, metadata=META_A)
    found.learner_id = ""  # compared across learners
    return found


def stub(client: Client) -> interventions_pb2_grpc.InterventionServiceStub:
    return interventions_pb2_grpc.InterventionServiceStub(client.channel)


def void(learner: str, event: str, **kw: str) -> iv.VoidEventRequest:
    fields = {"actor": "xapi:test", "reason": "voided", **kw}
    return iv.VoidEventRequest(
        course_id="chain", learner_id=learner, event_id=f"{learner}:{event}", **fields
    )


async def test_a_voided_answer_leaves_the_learner_as_if_never_sent(
    engine: tuple[Client, ManualClock],
) -> None:
    client, clock = engine
    for event, item, correct in ANSWERS:
        await answer(client, clock, "voided", event, item, correct)
        if event != "e2":
            await answer(client, clock, "never", event, item, correct)
    before = await state(client, "voided")
    assert before != await state(client, "never")
    clock.t += 60
    reply = await stub(client).VoidEvent(void("voided", "e2"), metadata=META_A)
    assert not reply.duplicate and reply.replayed_responses == 3
    assert reply.intervention.kind == iv.INTERVENTION_KIND_VOID_EVENT
    assert reply.intervention.request_id == "void:voided:e2"
    after = await state(client, "voided")
    assert after == await state(client, "never")
    assert after.responses == 3
    # A repeat applies nothing; a second void adds up with the first.
    again = await stub(client).VoidEvent(void("voided", "e2"), metadata=META_A)
    assert again.duplicate and again.intervention == reply.intervention
    assert await state(client, "voided") == after
    await stub(client).VoidEvent(void("voided", "e3"), metadata=META_A)
    for event, item, correct in ANSWERS:
        if event in ("e1", "e4"):
            await answer(client, clock, "only-1-4", event, item, correct)
    assert await state(client, "voided") == await state(client, "only-1-4")
    # Later answers build on the rebuilt state, as they would for the other learner.
    await answer(client, clock, "voided", "e5", "b1", True)
    await answer(client, clock, "only-1-4", "e5", "b1", True)
    assert await state(client, "voided") == await state(client, "only-1-4")


async def test_skill_interventions_are_replayed_in_their_place(
    engine: tuple[Client, ManualClock],
) -> None:
    client, clock = engine

    async def reset(learner: str) -> None:
        clock.t += 60
        request = iv.InterveneRequest(
            course_id="chain",
            learner_id=learner,
            kind=iv.INTERVENTION_KIND_RESET_SKILL,
            skill_id="a",
            actor="admin",
            reason="start a again",
            request_id=f"reset-{learner}",
        )
        await stub(client).Intervene(request, metadata=META_A)

    for learner in ("voided", "never"):
        for event, item, correct in ANSWERS[:3]:
            if learner == "voided" or event != "e2":
                await answer(client, clock, learner, event, item, correct)
            if event == "e2":
                await reset(learner)
        await answer(client, clock, learner, "e4", "a1", True)
    clock.t += 60
    await stub(client).VoidEvent(void("voided", "e2"), metadata=META_A)
    assert await state(client, "voided") == await state(client, "never")


async def test_bad_and_unknown_voids_change_nothing(engine: tuple[Client, ManualClock]) -> None:
    client, clock = engine
    for event, item, correct in ANSWERS[:2]:
        await answer(client, clock, "l1", event, item, correct)
    await answer(client, clock, "l2", "e1", "a1", True)
    before = await state(client, "l1")

    async def code(request: iv.VoidEventRequest, meta: tuple[tuple[str, str], ...] = META_A) -> str:
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await stub(client).VoidEvent(request, metadata=meta)
        return f"{err.value.code().name} {err.value.details()}"

    assert (await code(void("l1", "nope"))).startswith("NOT_FOUND")
    other = iv.VoidEventRequest(
        course_id="chain", learner_id="l1", event_id="l2:e1", actor="a", reason="r"
    )
    assert (await code(other)).startswith("NOT_FOUND")  # another learner's response
    assert (await code(void("l1", "e1"), META_B)).startswith("NOT_FOUND")  # another tenant
    assert (await code(void("l1", "e1", actor=""))).startswith("INVALID_ARGUMENT actor")
    wrong_course = void("l1", "e1")
    wrong_course.course_id = "none"
    assert (await code(wrong_course)).startswith("NOT_FOUND")
    sneaky = iv.InterveneRequest(
        course_id="chain",
        learner_id="l1",
        kind=iv.INTERVENTION_KIND_VOID_EVENT,
        actor="a",
        reason="r",
        request_id="void:l1:e1",
    )
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await stub(client).Intervene(sneaky, metadata=META_A)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert err.value.details().startswith("kind")
    assert await state(client, "l1") == before
    trail = await stub(client).ListInterventions(
        iv.ListInterventionsRequest(course_id="chain"), metadata=META_A
    )
    assert list(trail.interventions) == []
