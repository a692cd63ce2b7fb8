"""One learner's timeline over gRPC (issue 14, part 2): AnalyticsService.GetLearnerTimeline
on a real engine, for a scripted learner on the chain course (a -> b -> c): every response in
order with its P(L), mastery, review, revocation, too-fast flag and recommendations; the gap
it leads to with its evidence as log ids; P(L) beside DKT's prediction, which equals the
torch model's."""

from __future__ import annotations

from pathlib import Path

import grpc
import pytest

from attune.engine.grpc.timeline_convert import timeline_to_pb
from attune.engine.service.timeline import LearnerTimelines, entries_of
from attune.engine.v1 import analytics_pb2, analytics_pb2_grpc, course_pb2, learner_pb2
from tests.support.courses import chain_course
from tests.support.dkt_artifact import torch_steps, write_artifact
from tests.support.engine_server import META_A, META_B, Client, ManualClock, engine_client

pytestmark = pytest.mark.integration
START = 1_800_000_000.0
# (event id, item, right, response time in ms): a is mastered at s2, reviewed wrong at s3,
# revoked at s4; then b is failed three times in a row (a gap: a is no longer mastered);
# s8 is answered too fast.
SCRIPT = [
    ("s0", "a1", True, 9000),
    ("s1", "a2", True, 9000),
    ("s2", "a1", True, 9000),
    ("s3", "a2", False, 9000),
    ("s4", "a1", False, 9000),
    ("s5", "b1", False, 9000),
    ("s6", "b2", False, 9000),
    ("s7", "b1", False, 9000),
    ("s8", "a1", True, 500),
]


def _stub(client: Client) -> analytics_pb2_grpc.AnalyticsServiceStub:
    return analytics_pb2_grpc.AnalyticsServiceStub(client.channel)


async def _script(client: Client, clock: ManualClock, course: course_pb2.Course) -> None:
    await client.courses.PutCourse(course_pb2.PutCourseRequest(course=course), metadata=META_A)
    for n, (eid, item, right, ms) in enumerate(SCRIPT):
        if n == 5:  # another learner's answer in between: log ids are not positions
            await client.learners.RecordResponse(
                learner_pb2.RecordResponseRequest(
                    event_id="o0", learner_id="other", course_id="chain", item_id="a1", correct=True
                ),
                metadata=META_A,
            )
        await client.learners.RecordResponse(
            learner_pb2.RecordResponseRequest(
                event_id=eid,
                learner_id="lea",
                course_id="chain",
                item_id=item,
                correct=right,
                response_time_ms=ms,
            ),
            metadata=META_A,
        )
        clock.t += 60


async def _timeline(
    client: Client, learner: str = "lea", course: str = "chain", meta: object = META_A
) -> analytics_pb2.GetLearnerTimelineResponse:
    reply: analytics_pb2.GetLearnerTimelineResponse = await _stub(client).GetLearnerTimeline(
        analytics_pb2.GetLearnerTimelineRequest(course_id=course, learner_id=learner),
        metadata=meta,
    )
    return reply


async def test_the_timeline_holds_every_response_and_what_it_changed(tmp_path: Path) -> None:
    clock = ManualClock(START)
    async with engine_client(tmp_path, clock=clock) as client:
        await _script(client, clock, chain_course())
        t = await _timeline(client)
        state = await client.learners.GetLearnerState(
            learner_pb2.GetLearnerStateRequest(learner_id="lea", course_id="chain"),
            metadata=META_A,
        )
    assert (t.course_id, t.learner_id, t.omitted_entries) == ("chain", "lea", 0)
    assert [e.event_id for e in t.entries] == [s[0] for s in SCRIPT]
    assert [e.log_id for e in t.entries] == [1, 2, 3, 4, 5, 7, 8, 9, 10]
    assert [e.item_id for e in t.entries] == [s[1] for s in SCRIPT]
    assert [e.correct for e in t.entries] == [s[2] for s in SCRIPT]
    assert [e.sequence for e in t.entries] == list(range(1, 10))
    assert [e.occurred_at.seconds for e in t.entries] == [START + 60 * n for n in range(9)]
    first = t.entries[0]
    # Hand-computed BKT (prior 0.2, learn 0.2, guess 0.2, slip 0.1): before, P(right) is
    # 0.2 * 0.8 + 0.9 * 0.2 = 0.34; after a right answer P(L) = 0.18 / 0.34, then learning.
    assert first.bkt_p_correct == pytest.approx(0.34)
    [a] = first.skills
    assert (a.skill_id, a.p_known_before) == ("a", pytest.approx(0.2))
    assert a.p_known == pytest.approx(0.18 / 0.34 + (1 - 0.18 / 0.34) * 0.2)
    assert a.attempts == 1 and not a.mastered and not first.review
    assert first.response_time_ms == 9000 and first.credibility == 1.0 and not first.flags
    assert first.recommendations and first.recommendations[0].reasons
    assert first.predictor == learner_pb2.PREDICTOR_BKT and not first.HasField("dkt_p_correct")
    mastered = t.entries[2]
    assert [m.skill_id for m in mastered.mastery_events] == ["a"]
    assert mastered.mastery_events[0].event_id == "s2" and mastered.skills[0].mastered
    assert [e.review for e in t.entries] == [False, False, False, True, True] + [False] * 4
    assert t.entries[3].skills[0].review and not t.entries[3].revoked_skill_ids
    assert list(t.entries[4].revoked_skill_ids) == ["a"] and not t.entries[4].skills[0].mastered
    fast = t.entries[8]
    assert list(fast.flags) == [learner_pb2.RESPONSE_FLAG_TOO_FAST] and fast.credibility < 1.0
    assert fast.skills[0].attempts == t.entries[4].skills[0].attempts  # not an attempt
    # The gap: b failed three times while a is not mastered; evidence s5, s6, s7.
    [gap] = t.gaps
    assert (gap.skill_id, gap.blocked_skill_id, gap.failures) == ("a", "b", 3)
    assert list(gap.evidence_event_ids) == ["s5", "s6", "s7"]
    assert list(gap.evidence_log_ids) == [7, 8, 9]
    assert "b" in gap.explanation and not gap.mastered
    # Per skill, the same beliefs as GetLearnerState; no DKT here.
    assert [s.skill_id for s in t.skills] == ["a", "b", "c"]
    for belief, skill in zip(t.skills, state.skills, strict=True):
        assert belief.p_known == pytest.approx(skill.p_mastery)
        assert belief.bkt_p_correct == pytest.approx(skill.p_correct)
        assert not belief.HasField("dkt_p_correct")
    assert t.dkt_model == ""
    assert t.computed_at.seconds == START + 60 * 9


async def test_dkt_predictions_before_each_answer_equal_the_torch_model(tmp_path: Path) -> None:
    models = tmp_path / "models"
    skills = ["a", "b", "c"]
    folder = write_artifact(models, "toy", "1.0.0", skills)
    course = chain_course()
    course.dkt_model = "toy@1.0.0"
    # The too-fast answer (s8) is not fed to DKT, as the engine does not feed it either.
    credible = [(item[0], right) for _e, item, right, ms in SCRIPT if ms >= 2000]
    expected = torch_steps(folder, skills, credible)
    clock = ManualClock(START)
    async with engine_client(tmp_path, clock=clock, models_dir=models) as client:
        await _script(client, clock, course)
        t = await _timeline(client)
    assert t.dkt_model == "toy@1.0.0"
    assert all(e.predictor == learner_pb2.PREDICTOR_DKT for e in t.entries)
    assert not t.entries[0].HasField("dkt_p_correct")  # nothing seen yet
    for n in range(1, 9):
        skill = SCRIPT[n][1][0]
        assert t.entries[n].dkt_p_correct == pytest.approx(
            expected[n - 1][skills.index(skill)], abs=1e-5
        ), n
    for belief in t.skills:
        assert belief.dkt_p_correct == pytest.approx(
            expected[-1][skills.index(belief.skill_id)], abs=1e-5
        )


async def test_unknown_courses_and_learners_are_not_found(tmp_path: Path) -> None:
    clock = ManualClock(START)
    async with engine_client(tmp_path, clock=clock) as client:
        await _script(client, clock, chain_course())
        for course, learner, meta in (
            ("nope", "lea", META_A),
            ("chain", "nobody", META_A),
            ("chain", "lea", META_B),  # another tenant's course is unknown
        ):
            with pytest.raises(grpc.aio.AioRpcError) as refused:
                await _timeline(client, learner, course, meta)
            assert refused.value.code() == grpc.StatusCode.NOT_FOUND, (course, learner)
        for course, learner in (("chain", ""), ("chain", "x" * 300)):
            with pytest.raises(grpc.aio.AioRpcError) as bad:
                await _timeline(client, learner, course)
            assert bad.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        await client.learners.DeleteLearner(
            learner_pb2.DeleteLearnerRequest(learner_id="lea"), metadata=META_A
        )
        with pytest.raises(grpc.aio.AioRpcError) as erased:
            await _timeline(client)
        assert erased.value.code() == grpc.StatusCode.NOT_FOUND


async def test_a_timeline_too_large_for_one_reply_keeps_its_latest_entries(
    tmp_path: Path,
) -> None:
    clock = ManualClock(START)
    async with engine_client(tmp_path, clock=clock) as client:
        await _script(client, clock, chain_course())
        engine = client.running.engine
        timeline = await LearnerTimelines(engine.store, engine).timeline("tenant-a", "chain", "lea")
    full = timeline_to_pb(timeline, START)
    budget = full.ByteSize() - full.entries[0].ByteSize() - full.entries[1].ByteSize()
    cut = timeline_to_pb(timeline, START, budget=budget)
    assert cut.ByteSize() <= budget
    assert cut.omitted_entries >= 2 and len(cut.entries) == 9 - cut.omitted_entries
    assert list(cut.entries) == list(full.entries[cut.omitted_entries :])
    assert cut.gaps == full.gaps and cut.skills == full.skills
    with pytest.raises(ValueError, match="one DKT prediction"):
        entries_of(timeline.course, [], [None])
