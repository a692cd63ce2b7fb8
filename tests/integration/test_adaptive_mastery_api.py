"""Mastery presets, the learner-adapted rule and the COMPLETE phase over a real gRPC server."""

from __future__ import annotations

import grpc
import pytest

from attune.engine.v1 import course_pb2, learner_pb2
from tests.support.courses import chain_course
from tests.support.engine_server import META_A, Client

pytestmark = pytest.mark.integration


def _answer(
    n: int, item: str, correct: bool, learner: str = "l1"
) -> learner_pb2.RecordResponseRequest:
    return learner_pb2.RecordResponseRequest(
        event_id=f"{learner}-{n}",
        learner_id=learner,
        course_id="chain",
        item_id=item,
        correct=correct,
        response_time_ms=9000,
    )


async def test_a_preset_is_stored_as_its_values(client: Client) -> None:
    course = chain_course()
    course.mastery.Clear()
    course.mastery.preset = "adaptive"
    await client.courses.PutCourse(course_pb2.PutCourseRequest(course=course), metadata=META_A)
    got = await client.courses.GetCourse(
        course_pb2.GetCourseRequest(course_id="chain"), metadata=META_A
    )
    m = got.course.mastery
    assert (m.threshold, m.min_attempts, m.consecutive_correct) == (0.98, 3, 2)
    assert m.individual_sd == pytest.approx(0.7)


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda c: setattr(c.mastery, "preset", "lenient"), "course.mastery.preset"),
        (lambda c: setattr(c.mastery, "individual_sd", 9.0), "course.mastery.individual_sd"),
        (
            lambda c: c.skills[1].mastery.CopyFrom(course_pb2.MasteryPolicy(individual_sd=0.4)),
            "course.skills[1].mastery.individual_sd",
        ),
    ],
)
async def test_a_bad_policy_is_invalid_argument_naming_the_field(
    client: Client, mutate, field: str
) -> None:
    course = chain_course()
    mutate(course)
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await client.courses.PutCourse(course_pb2.PutCourseRequest(course=course), metadata=META_A)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert field in err.value.details()
    missing = await client.courses.ListCourses(course_pb2.ListCoursesRequest(), metadata=META_A)
    assert not missing.courses  # nothing was stored


async def test_a_guessing_pattern_masters_under_plain_bkt_but_not_adapted(client: Client) -> None:
    """The same answers, two learners' courses: plain 0.98 certifies skill a after a streak
    that follows many misses; the adapted rule, having seen this learner miss often, waits."""
    pattern = [False, True, False, False, True, False, True, False, True, True, True]
    mastered = {}
    for label, sd in (("plain", 0.0), ("adapted", 0.7)):
        course = chain_course(f"chain-{label}")
        course.mastery.CopyFrom(
            course_pb2.MasteryPolicy(
                threshold=0.98, min_attempts=3, consecutive_correct=2, individual_sd=sd
            )
        )
        await client.courses.PutCourse(course_pb2.PutCourseRequest(course=course), metadata=META_A)
        reply = None
        for n, right in enumerate(pattern):
            request = _answer(n, f"a{1 + n % 2}", right, learner=f"l-{label}")
            request.course_id = course.course_id
            reply = await client.learners.RecordResponse(request, metadata=META_A)
        assert reply is not None
        mastered[label] = next(s.mastered for s in reply.skills if s.skill_id == "a")
        p_known = next(s.p_mastery for s in reply.skills if s.skill_id == "a")
        mastered[f"{label}_p"] = p_known
    assert mastered["plain"] and not mastered["adapted"]
    assert mastered["plain_p"] == mastered["adapted_p"]  # the reported P(L) is plain BKT's


async def test_the_reply_says_complete_when_every_skill_is_mastered(client: Client) -> None:
    await client.courses.PutCourse(
        course_pb2.PutCourseRequest(course=chain_course()), metadata=META_A
    )
    phases = []
    for n, item in enumerate(["a1", "a2", "a1", "b1", "b2", "b1", "c1", "c2", "c1", "c2"]):
        reply = await client.learners.RecordResponse(_answer(n, item, True), metadata=META_A)
        phases.append(reply.phase)
    assert phases[-1] == learner_pb2.LEARNER_PHASE_COMPLETE
    assert learner_pb2.LEARNER_PHASE_COMPLETE not in phases[:6]  # c was not mastered yet
