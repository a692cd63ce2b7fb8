"""The tutor's decisions, as partner apps see them over gRPC."""

from __future__ import annotations

from pathlib import Path

import pytest
from google.protobuf.timestamp_pb2 import Timestamp

from attune.engine.demo.course import demo_course
from attune.engine.grpc.convert import course_to_pb
from attune.engine.v1 import course_pb2, learner_pb2
from tests.support.courses import chain_course
from tests.support.engine_server import META_A, Client, ManualClock, engine_client

pytestmark = pytest.mark.integration
HOUR = 3600


def _req(
    eid: str,
    item: str,
    correct: bool,
    learner: str = "l1",
    course: str = "chain",
    rt: int = 9000,
    at: float | None = None,
) -> learner_pb2.RecordResponseRequest:
    req = learner_pb2.RecordResponseRequest(
        event_id=eid,
        learner_id=learner,
        course_id=course,
        item_id=item,
        correct=correct,
        response_time_ms=rt,
    )
    if at is not None:
        req.occurred_at.CopyFrom(Timestamp(seconds=int(at)))
    return req


async def _state(client: Client, learner: str = "l1", course: str = "chain"):
    return await client.learners.GetLearnerState(
        learner_pb2.GetLearnerStateRequest(learner_id=learner, course_id=course), metadata=META_A
    )


async def test_new_learner_is_diagnosed_then_practises(client: Client) -> None:
    course = demo_course()
    await client.courses.PutCourse(
        course_pb2.PutCourseRequest(course=course_to_pb(course)), metadata=META_A
    )
    rec = await client.learners.Recommend(
        learner_pb2.RecommendRequest(learner_id="new", course_id="demo", max_items=3),
        metadata=META_A,
    )
    assert rec.phase == learner_pb2.LEARNER_PHASE_DIAGNOSTIC
    assert all(list(r.reasons) == [learner_pb2.REASON_DIAGNOSTIC] for r in rec.recommendations)
    assert len({r.skill_id for r in rec.recommendations}) == 3
    item, n, reply = rec.recommendations[0].item_id, 0, None
    while True:
        reply = await client.learners.RecordResponse(
            _req(f"d{n}", item, True, learner="new", course="demo"), metadata=META_A
        )
        n += 1
        if reply.phase == learner_pb2.LEARNER_PHASE_PRACTICE:
            break
        item = reply.recommendations[0].item_id
        assert list(reply.recommendations[0].reasons) == [learner_pb2.REASON_DIAGNOSTIC]
    assert 5 <= n <= 8
    assert reply.ability.theta > 0.5
    state = await _state(client, "new", "demo")
    assert state.phase == learner_pb2.LEARNER_PHASE_PRACTICE
    assert state.ability.standard_error < 1.0
    untouched = [s for s in state.skills if s.attempts == 0]
    course_prior = {s.skill_id: s.bkt.prior for s in course.skills.values()}
    assert any(s.prior != pytest.approx(course_prior[s.skill_id]) for s in untouched)
    assert all(learner_pb2.REASON_DIAGNOSTIC not in r.reasons for r in reply.recommendations)


async def test_too_fast_answer_is_flagged_down_weighted_and_logged(client: Client) -> None:
    await client.courses.PutCourse(
        course_pb2.PutCourseRequest(course=chain_course()), metadata=META_A
    )
    fast = await client.learners.RecordResponse(_req("f1", "a1", True, rt=400), metadata=META_A)
    assert list(fast.flags) == [learner_pb2.RESPONSE_FLAG_TOO_FAST]
    assert fast.credibility == pytest.approx(0.2)
    assert fast.skills[0].attempts == 0
    normal = await client.learners.RecordResponse(_req("f2", "a1", True), metadata=META_A)
    assert list(normal.flags) == [] and normal.credibility == 1.0
    assert normal.skills[0].attempts == 1
    logged = await client.running.engine.store.get_event("tenant-a", "f1", "l1")
    assert logged is not None and logged.credibility == pytest.approx(0.2)


async def test_gaps_are_listed_with_evidence_and_remediated_first(client: Client) -> None:
    await client.courses.PutCourse(
        course_pb2.PutCourseRequest(course=chain_course()), metadata=META_A
    )
    for n in range(3):  # c answered (out of order) and failed three times
        reply = await client.learners.RecordResponse(_req(f"g{n}", "c1", False), metadata=META_A)
    state = await _state(client)
    assert [(g.skill_id, g.blocked_skill_id, g.failures) for g in state.gaps] == [("b", "c", 3)]
    assert list(state.gaps[0].evidence_event_ids) == ["g0", "g1", "g2"]
    assert "c" in state.gaps[0].explanation
    top = reply.recommendations[0]
    assert top.skill_id == "a"  # b's own prerequisite a comes first
    assert top.reasons[0] == learner_pb2.REASON_GAP


async def test_review_comes_due_and_its_interval_grows(tmp_path: Path) -> None:
    clock = ManualClock()
    async with engine_client(tmp_path, clock) as client:
        await client.courses.PutCourse(
            course_pb2.PutCourseRequest(course=chain_course()), metadata=META_A
        )
        t0 = clock.t
        for n in range(3):
            await client.learners.RecordResponse(
                _req(f"m{n}", "a1", True, at=t0 + n), metadata=META_A
            )
        state = await _state(client)
        a = state.skills[0]
        assert a.mastered and a.review_interval_hours == pytest.approx(24)
        assert a.review_due_at.seconds == int(t0 + 2 + 24 * HOUR)
        clock.t = t0 + 25 * HOUR
        rec = await client.learners.Recommend(
            learner_pb2.RecommendRequest(learner_id="l1", course_id="chain"), metadata=META_A
        )
        assert rec.recommendations[0].skill_id == "a"
        assert rec.recommendations[0].reasons[0] == learner_pb2.REASON_REVIEW
        await client.learners.RecordResponse(_req("r1", "a2", True, at=clock.t), metadata=META_A)
        a = (await _state(client)).skills[0]
        # Recall schedule: a review an hour late grows the half-life a little over 2x.
        assert a.reviews == 1 and 48 < a.review_interval_hours < 49


async def test_replayed_stream_emits_mastery_once(client: Client) -> None:
    await client.courses.PutCourse(
        course_pb2.PutCourseRequest(course=chain_course()), metadata=META_A
    )
    events = [_req(f"s{n}", "a1", True) for n in range(5)]

    async def twice():
        for _ in range(2):
            for e in events:
                yield learner_pb2.StreamResponsesRequest(record=e)

    replies = [r.reply async for r in client.learners.StreamResponses(twice(), metadata=META_A)]
    fresh = [m.skill_id for r in replies if not r.duplicate for m in r.mastery_events]
    assert fresh == ["a"]
    assert [r.duplicate for r in replies] == [False] * 5 + [True] * 5
    assert (await _state(client)).responses == 5
