"""Experiments over a real engine (gRPC on port 0; issue 15 part 5): a course with two arms
(the course's rule against the design notes' 8-attempt rule at P(L) 0.98); each learner's
mastery follows their arm's rule; GetExperimentReport gives the per-arm figures; bad
experiments are refused with INVALID_ARGUMENT naming the field; Redis carries the course."""

from __future__ import annotations

import grpc
import pytest

from attune.engine.adapters.redis_store import RedisStore
from attune.engine.domain.experiments import arm_of
from attune.engine.grpc.convert import course_from_pb
from attune.engine.v1 import course_pb2, experiments_pb2, experiments_pb2_grpc, learner_pb2
from tests.support.courses import chain_course
from tests.support.engine_server import META_A, META_B, Client
from tests.support.redis_server import RedisServer

pytestmark = pytest.mark.integration
TENANT = "tenant-a"


def experiment_course(course_id: str = "chain") -> course_pb2.Course:
    """The chain course with an experiment: "control" (the course's rule: P(L) 0.95, 3
    attempts) against "strict" (P(L) 0.98, 8 attempts, 2 in a row)."""
    course = chain_course(course_id)
    course.experiment.experiment_id = "rule-8"
    course.experiment.arms.add(arm_id="control", description="the course's rule")
    strict = course.experiment.arms.add(arm_id="strict", description="8 attempts at 0.98")
    strict.mastery.CopyFrom(
        course_pb2.MasteryPolicy(threshold=0.98, min_attempts=8, consecutive_correct=2)
    )
    return course


def learners_by_arm(course: course_pb2.Course, per_arm: int) -> dict[str, list[str]]:
    domain = course_from_pb(course)
    out: dict[str, list[str]] = {"control": [], "strict": []}
    k = 0
    while min(len(v) for v in out.values()) < per_arm:
        learner = f"learner-{k}"
        arm = out[arm_of(domain, TENANT, learner)]
        if len(arm) < per_arm:
            arm.append(learner)
        k += 1
    return out


async def _answer(client: Client, learner: str, n: int, correct: bool = True) -> int:
    """Answer item a1 ``n`` times; the attempt at which skill a was mastered (0: never)."""
    mastered_at = 0
    for k in range(n):
        reply = await client.learners.RecordResponse(
            learner_pb2.RecordResponseRequest(
                event_id=f"{learner}-{k}",
                learner_id=learner,
                course_id="chain",
                item_id="a1",
                correct=correct,
                response_time_ms=20_000,
            ),
            metadata=META_A,
        )
        for m in reply.mastery_events:
            if m.skill_id == "a":
                mastered_at = m.attempts
    return mastered_at


async def test_each_learner_follows_their_arms_rule_and_the_report_compares_arms(
    client: Client,
) -> None:
    course = experiment_course()
    stored = await client.courses.PutCourse(
        course_pb2.PutCourseRequest(course=course), metadata=META_A
    )
    assert stored.course.experiment.arms[1].mastery.min_attempts == 8
    assert stored.course.experiment.arms[0].weight == 1.0  # the default, filled in
    got = await client.courses.GetCourse(
        course_pb2.GetCourseRequest(course_id="chain"), metadata=META_A
    )
    assert got.course.experiment == stored.course.experiment
    experiments = experiments_pb2_grpc.ExperimentServiceStub(client.channel)
    groups = learners_by_arm(course, 4)
    attempts: dict[str, list[int]] = {"control": [], "strict": []}
    for arm, learners in groups.items():
        for learner in learners:
            attempts[arm].append(await _answer(client, learner, 10))
            reply = await experiments.GetExperimentArm(
                experiments_pb2.GetExperimentArmRequest(course_id="chain", learner_id=learner),
                metadata=META_A,
            )
            assert (reply.experiment_id, reply.arm_id) == ("rule-8", arm)
    # The course's rule masters within 3 to 7 attempts; the strict arm never before 8.
    assert all(3 <= a < 8 for a in attempts["control"]), attempts
    assert all(a >= 8 for a in attempts["strict"]), attempts
    state = await client.learners.GetLearnerState(
        learner_pb2.GetLearnerStateRequest(learner_id=groups["strict"][0], course_id="chain"),
        metadata=META_A,
    )
    assert "a" in state.mastered_skill_ids
    # A strict learner with 5 right answers is not mastered (the course's rule would say so).
    fresh = learners_by_arm(course, 5)
    assert await _answer(client, fresh["strict"][4], 5) == 0
    extra = await _answer(client, fresh["control"][4], 5)
    assert 3 <= extra <= 5

    report = await experiments.GetExperimentReport(
        experiments_pb2.GetExperimentReportRequest(course_id="chain"), metadata=META_A
    )
    assert report.experiment_id == "rule-8"
    control, strict = report.arms
    assert (control.arm_id, strict.arm_id) == ("control", "strict")
    assert (control.learners, strict.learners) == (5, 5)
    assert not control.HasField("mastery") and strict.mastery.min_attempts == 8
    skill_a = {s.skill_id: s for s in strict.skills}["a"]
    assert skill_a.mastered == 4 and skill_a.answers_to_mastery.count == 4
    assert skill_a.answers_to_mastery.mean == pytest.approx(sum(attempts["strict"]) / 4)
    control_a = {s.skill_id: s for s in control.skills}["a"]
    assert control_a.answers_to_mastery.mean == pytest.approx(
        (sum(attempts["control"]) + extra) / 5
    )
    assert control.course_mastered.total == 5 and control.course_mastered.successes == 0
    (comparison,) = report.comparisons
    assert (comparison.arm_id, comparison.baseline_arm_id) == ("strict", "control")
    change = comparison.answers_to_skill_mastery_change
    assert change.estimate > 0.0 and change.low <= change.estimate <= change.high
    assert not comparison.HasField("answers_to_course_mastery_change")  # nobody finished
    assert report.last_log_id > 0 and report.retention_after_hours == 48.0


async def _refusal(client: Client, course: course_pb2.Course) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await client.courses.PutCourse(course_pb2.PutCourseRequest(course=course), metadata=META_A)
    return caught.value


async def test_bad_experiments_are_refused_and_nothing_is_stored(client: Client) -> None:
    one = chain_course("bad")
    one.experiment.experiment_id = "e"
    one.experiment.arms.add(arm_id="only")
    duplicate = experiment_course("bad")
    duplicate.experiment.arms[1].arm_id = "control"
    zero = experiment_course("bad")
    zero.experiment.arms[1].weight = 0.0
    negative = experiment_course("bad")
    negative.experiment.arms[0].weight = -2.0
    bad_rule = experiment_course("bad")
    bad_rule.experiment.arms[1].mastery.threshold = 1.5
    cases = [
        (one, "course.experiment.arms"),
        (duplicate, "course.experiment.arms[1].arm_id"),
        (zero, "course.experiment.arms[1].weight"),
        (negative, "course.experiment.arms[0].weight"),
        (bad_rule, "course.experiment.arms[1].mastery.threshold"),
    ]
    for course, field in cases:
        error = await _refusal(client, course)
        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert (error.details() or "").startswith(field + ":"), error.details()
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await client.courses.GetCourse(
            course_pb2.GetCourseRequest(course_id="bad"), metadata=META_A
        )
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND


async def test_report_errors_and_tenancy(client: Client) -> None:
    experiments = experiments_pb2_grpc.ExperimentServiceStub(client.channel)
    await client.courses.PutCourse(
        course_pb2.PutCourseRequest(course=chain_course("plain")), metadata=META_A
    )
    await client.courses.PutCourse(
        course_pb2.PutCourseRequest(course=experiment_course()), metadata=META_A
    )
    for course_id, meta, code in [
        ("plain", META_A, grpc.StatusCode.NOT_FOUND),  # no experiment
        ("nope", META_A, grpc.StatusCode.NOT_FOUND),
        ("chain", META_B, grpc.StatusCode.NOT_FOUND),  # another tenant's course
        ("", META_A, grpc.StatusCode.INVALID_ARGUMENT),
        ("x" * 300, META_A, grpc.StatusCode.INVALID_ARGUMENT),
    ]:
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await experiments.GetExperimentReport(
                experiments_pb2.GetExperimentReportRequest(course_id=course_id), metadata=meta
            )
        assert caught.value.code() == code, (course_id, caught.value.details())
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await experiments.GetExperimentArm(
            experiments_pb2.GetExperimentArmRequest(course_id="chain", learner_id=""),
            metadata=META_A,
        )
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await experiments.GetExperimentReport(
            experiments_pb2.GetExperimentReportRequest(course_id="chain")
        )
    assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED
    empty = await experiments.GetExperimentReport(
        experiments_pb2.GetExperimentReportRequest(course_id="chain"), metadata=META_A
    )
    assert [a.learners for a in empty.arms] == [0, 0]


async def test_redis_carries_the_experiment(redis_standalone: RedisServer) -> None:
    redis_standalone.flush()
    store = await RedisStore.open(redis_standalone.url, sweep_seconds=0)
    try:
        course = course_from_pb(experiment_course())
        await store.put_course(TENANT, course)
        back = await store.get_course(TENANT, "chain")
        assert back is not None and back.experiment == course.experiment
    finally:
        await store.close()
