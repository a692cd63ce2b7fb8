"""Forgetting-aware reviews over gRPC (issue 15 part 3): a real engine on port 0 with an
injected clock. Spaced successful reviews push the next one further out, the engine offers
the due review, and a failed review re-opens the skill without a second mastery event."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from google.protobuf.timestamp_pb2 import Timestamp

from attune.engine.v1 import course_pb2, learner_pb2
from tests.support.courses import chain_course
from tests.support.engine_server import META_A, Client, ManualClock, engine_client

pytestmark = pytest.mark.integration
HOUR = 3600


def _req(eid: str, item: str, correct: bool, at: float) -> learner_pb2.RecordResponseRequest:
    return learner_pb2.RecordResponseRequest(
        event_id=eid,
        learner_id="l1",
        course_id="chain",
        item_id=item,
        correct=correct,
        response_time_ms=9000,
        occurred_at=Timestamp(seconds=int(at)),
    )


async def _skill_a(client: Client) -> learner_pb2.SkillState:
    state = await client.learners.GetLearnerState(
        learner_pb2.GetLearnerStateRequest(learner_id="l1", course_id="chain"), metadata=META_A
    )
    return next(s for s in state.skills if s.skill_id == "a")


async def _top(client: Client) -> learner_pb2.Recommendation:
    rec = await client.learners.Recommend(
        learner_pb2.RecommendRequest(learner_id="l1", course_id="chain"), metadata=META_A
    )
    return rec.recommendations[0]


async def test_reviews_spread_out_and_a_failed_review_reopens_the_skill(tmp_path: Path) -> None:
    clock = ManualClock()
    async with engine_client(tmp_path, clock) as client:
        await client.courses.PutCourse(
            course_pb2.PutCourseRequest(course=chain_course()), metadata=META_A
        )
        t0 = clock.t
        for n in range(3):
            reply = await client.learners.RecordResponse(
                _req(f"m{n}", "a1", True, t0 + n), metadata=META_A
            )
        assert [m.skill_id for m in reply.mastery_events] == ["a"]
        a = await _skill_a(client)
        assert a.mastered and a.review_interval_hours == pytest.approx(24)

        # Not due yet: new practice (b) comes first.
        clock.t = a.review_due_at.seconds - HOUR
        assert (await _top(client)).skill_id == "b"

        intervals = [a.review_interval_hours]
        for n in range(3):  # three reviews, each answered right an hour after it fell due
            clock.t = a.review_due_at.seconds + HOUR
            top = await _top(client)
            assert top.skill_id == "a" and top.reasons[0] == learner_pb2.REASON_REVIEW
            reply = await client.learners.RecordResponse(
                _req(f"r{n}", top.item_id, True, clock.t), metadata=META_A
            )
            assert reply.skills[0].mastered and list(reply.revoked_skill_ids) == []
            a = await _skill_a(client)
            assert a.reviews == n + 1
            intervals.append(a.review_interval_hours)
        assert all(b > 2 * x for x, b in itertools.pairwise(intervals)), intervals

        # The fourth review is failed: one wrong answer re-opens the skill, although P(L)
        # stays above threshold - margin (the rule outside reviews would keep it mastered).
        clock.t = a.review_due_at.seconds + HOUR
        top = await _top(client)
        assert top.skill_id == "a" and top.reasons[0] == learner_pb2.REASON_REVIEW
        reply = await client.learners.RecordResponse(
            _req("fail", top.item_id, False, clock.t), metadata=META_A
        )
        assert list(reply.revoked_skill_ids) == ["a"]
        assert not reply.skills[0].mastered and reply.skills[0].p_mastery > 0.95 - 0.15
        assert reply.skills[0].status == learner_pb2.SKILL_STATUS_READY
        a = await _skill_a(client)
        assert not a.mastered and not a.HasField("review_due_at")
        assert reply.recommendations[0].skill_id == "a"
        assert learner_pb2.REASON_REVIEW not in reply.recommendations[0].reasons

        # Practised back to mastery: no second mastery event.
        events = []
        for n in range(4):
            reply = await client.learners.RecordResponse(
                _req(f"back{n}", "a2", True, clock.t + 30 * (n + 1)), metadata=META_A
            )
            events.extend(m.skill_id for m in reply.mastery_events)
        assert reply.skills[0].mastered and events == []
