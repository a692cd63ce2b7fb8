"""The experiment report to protobuf. No logic beyond mapping fields."""

from __future__ import annotations

from attune.engine.domain.analytics.experiment import ArmReport, ExperimentReport
from attune.engine.domain.analytics.intervals import Estimate, MeanInterval, ShareInterval
from attune.engine.grpc.convert import _policy_pb
from attune.engine.v1 import experiments_pb2


def _share(s: ShareInterval) -> experiments_pb2.Proportion:
    msg = experiments_pb2.Proportion(successes=s.successes, total=s.total, low=s.low, high=s.high)
    if s.share is not None:
        msg.share = s.share
    return msg


def _mean(m: MeanInterval) -> experiments_pb2.Mean:
    msg = experiments_pb2.Mean(count=m.count)
    if m.mean is not None:
        msg.mean = m.mean
    if m.low is not None and m.high is not None:
        msg.low = m.low
        msg.high = m.high
    return msg


def _estimate(e: Estimate) -> experiments_pb2.Estimate:
    return experiments_pb2.Estimate(estimate=e.estimate, low=e.low, high=e.high)


def _arm(a: ArmReport) -> experiments_pb2.ArmReport:
    msg = experiments_pb2.ArmReport(
        arm_id=a.arm.arm_id,
        weight=a.arm.weight,
        description=a.arm.description,
        learners=a.learners,
        answers=a.answers,
        course_mastered=_share(a.course_mastered),
        answers_to_course_mastery=_mean(a.answers_to_course_mastery),
        hours_to_course_mastery=_mean(a.hours_to_course_mastery),
        answers_to_skill_mastery=_mean(a.answers_to_skill_mastery),
        next_answer_wrong=_share(a.next_answer_wrong),
        revoked=_share(a.revoked),
        retention=_share(a.retention),
    )
    if a.arm.mastery is not None:
        msg.mastery.CopyFrom(_policy_pb(a.arm.mastery))
    for s in a.skills:
        msg.skills.add(
            skill_id=s.skill_id,
            attempted=s.attempted,
            mastered=s.mastered,
            answers_to_mastery=_mean(s.answers_to_mastery),
        )
    return msg


def experiment_report_to_pb(
    course_id: str, report: ExperimentReport, last_log_id: int
) -> experiments_pb2.GetExperimentReportResponse:
    """The reply of GetExperimentReport."""
    msg = experiments_pb2.GetExperimentReportResponse(
        course_id=course_id,
        experiment_id=report.experiment_id,
        arms=[_arm(a) for a in report.arms],
        last_log_id=last_log_id,
        retention_after_hours=report.retention_after_s / 3600.0,
    )
    for c in report.comparisons:
        comparison = msg.comparisons.add(
            arm_id=c.arm_id,
            baseline_arm_id=c.baseline_arm_id,
            course_mastered_difference=_estimate(c.course_mastered_difference),
            next_answer_wrong_difference=_estimate(c.next_answer_wrong_difference),
            revoked_difference=_estimate(c.revoked_difference),
            retention_difference=_estimate(c.retention_difference),
        )
        if c.answers_to_course_mastery_change is not None:
            comparison.answers_to_course_mastery_change.CopyFrom(
                _estimate(c.answers_to_course_mastery_change)
            )
        if c.answers_to_skill_mastery_change is not None:
            comparison.answers_to_skill_mastery_change.CopyFrom(
                _estimate(c.answers_to_skill_mastery_change)
            )
    return msg
