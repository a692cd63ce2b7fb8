"""Protobuf <-> domain conversion. No logic beyond mapping fields and defaults."""

from __future__ import annotations

import math
from collections.abc import Iterable

from attune.engine.domain.bkt import BktParams
from attune.engine.domain.course import (
    Course,
    DiagnosticPolicy,
    IrtParams,
    Item,
    MasteryPolicy,
    Skill,
    build_course,
    check_count,
    mastery_preset,
)
from attune.engine.domain.errors import InvalidInputError
from attune.engine.domain.experiments import Arm, Experiment
from attune.engine.domain.learner import Response, SkillOutcome
from attune.engine.domain.limits import MAX_ITEMS_PER_COURSE, MAX_SKILLS_PER_COURSE
from attune.engine.domain.policy import Reason, Recommendation
from attune.engine.domain.records import LoggedEvent, RecordResult
from attune.engine.domain.report import LearnerReport
from attune.engine.grpc.requests import check_ids, occurred_at
from attune.engine.v1 import course_pb2, events_pb2, learner_pb2


def _policy(msg: course_pb2.MasteryPolicy, field: str) -> MasteryPolicy:
    default = mastery_preset(msg.preset, f"{field}.preset") if msg.preset else MasteryPolicy()
    return MasteryPolicy(
        threshold=msg.threshold or default.threshold,
        min_attempts=msg.min_attempts if msg.min_attempts else default.min_attempts,
        consecutive_correct=(
            msg.consecutive_correct if msg.consecutive_correct else default.consecutive_correct
        ),
        individual_sd=msg.individual_sd or default.individual_sd,
    )


def course_from_pb(msg: course_pb2.Course) -> Course:
    """Validate and convert a course; raises :class:`InvalidInputError` naming the field."""
    # Counts first: a refused oversized course costs no conversion work.
    check_count("course.skills", len(msg.skills), MAX_SKILLS_PER_COURSE, "skills")
    check_count("course.items", len(msg.items), MAX_ITEMS_PER_COURSE, "items")
    skills = [
        Skill(
            skill_id=s.skill_id,
            name=s.name,
            bkt=BktParams(s.bkt.prior, s.bkt.learn, s.bkt.guess, s.bkt.slip, s.bkt.forget)
            if s.HasField("bkt")
            else BktParams(),
            prerequisites=tuple(s.prerequisites),
            mastery=_policy(s.mastery, f"course.skills[{n}].mastery")
            if s.HasField("mastery")
            else None,
        )
        for n, s in enumerate(msg.skills)
    ]
    items = [
        Item(
            item_id=i.item_id,
            skill_ids=tuple(i.skill_ids),
            irt=IrtParams(i.irt.a or 1.0, i.irt.b, i.irt.c) if i.HasField("irt") else IrtParams(),
            content=i.content,
        )
        for i in msg.items
    ]
    return build_course(
        msg.course_id,
        skills,
        items,
        _policy(msg.mastery, "course.mastery") if msg.HasField("mastery") else MasteryPolicy(),
        title=msg.title,
        diagnostic=_diagnostic(msg.diagnostic),
        dkt_model=msg.dkt_model,
        experiment=_experiment(msg.experiment) if msg.HasField("experiment") else None,
    )


def _experiment(msg: course_pb2.Experiment) -> Experiment:
    arms = tuple(
        Arm(
            arm_id=a.arm_id,
            weight=a.weight if a.HasField("weight") else 1.0,
            mastery=_policy(a.mastery, f"course.experiment.arms[{n}].mastery")
            if a.HasField("mastery")
            else None,
            description=a.description,
        )
        for n, a in enumerate(msg.arms)
    )
    if not 0 <= msg.started_at.nanos < 1_000_000_000:
        raise InvalidInputError("course.experiment.started_at.nanos", "must be in [0, 999999999]")
    started = msg.started_at.seconds + msg.started_at.nanos / 1e9
    return Experiment(experiment_id=msg.experiment_id, arms=arms, started_at=started)


def _experiment_pb(experiment: Experiment) -> course_pb2.Experiment:
    msg = course_pb2.Experiment(experiment_id=experiment.experiment_id)
    if experiment.started_at:
        _set_time(msg.started_at, experiment.started_at)
    for a in experiment.arms:
        arm = msg.arms.add(arm_id=a.arm_id, weight=a.weight, description=a.description)
        if a.mastery is not None:
            arm.mastery.CopyFrom(_policy_pb(a.mastery))
    return msg


def _diagnostic(msg: course_pb2.DiagnosticPolicy) -> DiagnosticPolicy:
    default = DiagnosticPolicy()
    return DiagnosticPolicy(
        enabled=not msg.disabled,
        min_items=msg.min_items or default.min_items,
        max_items=msg.max_items or max(default.max_items, msg.min_items),
        target_se=msg.target_se or default.target_se,
    )


def _policy_pb(p: MasteryPolicy) -> course_pb2.MasteryPolicy:
    return course_pb2.MasteryPolicy(
        threshold=p.threshold,
        min_attempts=p.min_attempts,
        consecutive_correct=p.consecutive_correct,
        individual_sd=p.individual_sd,
    )


def course_to_pb(course: Course) -> course_pb2.Course:
    """The stored course, defaults filled in."""
    d = course.diagnostic
    msg = course_pb2.Course(
        course_id=course.course_id,
        title=course.title,
        dkt_model=course.dkt_model,
        mastery=_policy_pb(course.mastery),
        diagnostic=course_pb2.DiagnosticPolicy(
            disabled=not d.enabled,
            min_items=d.min_items,
            max_items=d.max_items,
            target_se=d.target_se,
        ),
    )
    for s in course.skills.values():
        skill = msg.skills.add(
            skill_id=s.skill_id,
            name=s.name,
            bkt=course_pb2.BktParams(
                prior=s.bkt.prior,
                learn=s.bkt.learn,
                guess=s.bkt.guess,
                slip=s.bkt.slip,
                forget=s.bkt.forget,
            ),
            prerequisites=list(s.prerequisites),
        )
        if s.mastery is not None:
            skill.mastery.CopyFrom(_policy_pb(s.mastery))
    for i in course.items.values():
        msg.items.add(
            item_id=i.item_id,
            skill_ids=list(i.skill_ids),
            irt=course_pb2.IrtParams(a=i.irt.a, b=i.irt.b, c=i.irt.c),
            content=i.content,
        )
    if course.experiment is not None:
        msg.experiment.CopyFrom(_experiment_pb(course.experiment))
    return msg


def response_from_pb(msg: learner_pb2.RecordResponseRequest, now: float) -> Response:
    """Convert a response; the outcome oneof is required, identifiers are bounded and
    ``occurred_at`` (default: ``now``) must lie in the accepted window."""
    check_ids(msg, "event_id", "learner_id", "course_id", "item_id")
    which = msg.WhichOneof("outcome")
    if which is None:
        raise InvalidInputError("outcome", "one of correct or score is required")
    score = (1.0 if msg.correct else 0.0) if which == "correct" else msg.score
    occurred = occurred_at(msg, "occurred_at", now)
    return Response(
        event_id=msg.event_id,
        learner_id=msg.learner_id,
        course_id=msg.course_id,
        item_id=msg.item_id,
        score=score,
        response_time_ms=msg.response_time_ms,
        occurred_at=occurred,
    )


# google.protobuf.Timestamp's range: 0001-01-01T00:00:00Z .. 9999-12-31T23:59:59Z.
_MIN_TIMESTAMP_S = -62_135_596_800
_MAX_TIMESTAMP_S = 253_402_300_799


def _set_time(field: object, epoch: float) -> None:
    # New times are bounded on the way in; clamping keeps an event stored before that
    # (e.g. at 2**63 s) readable instead of failing every read of the tenant.
    if not math.isfinite(epoch):
        epoch = 0.0
    epoch = min(max(epoch, _MIN_TIMESTAMP_S), _MAX_TIMESTAMP_S)
    seconds = int(epoch // 1)
    field.seconds = seconds  # type: ignore[attr-defined]
    field.nanos = round((epoch - seconds) * 1e9) % 1_000_000_000  # type: ignore[attr-defined]


_REASON = {r: learner_pb2.Reason.Value("REASON_" + r.value) for r in Reason}


def recommendations_to_pb(recs: Iterable[Recommendation], out: object) -> None:
    """Append recommendations to a repeated field ``out``."""
    for r in recs:
        out.add(  # type: ignore[attr-defined]
            item_id=r.item_id,
            skill_id=r.skill_id,
            score=r.score,
            reasons=[_REASON[x] for x in r.reasons],
            components=dict(r.components),
            content=r.content,
        )


_STATUS = {
    "locked": learner_pb2.SKILL_STATUS_LOCKED,
    "ready": learner_pb2.SKILL_STATUS_READY,
    "mastered": learner_pb2.SKILL_STATUS_MASTERED,
}


def _skill_outcome_pb(
    o: SkillOutcome, status: learner_pb2.SkillStatus.ValueType
) -> learner_pb2.SkillState:
    return learner_pb2.SkillState(
        skill_id=o.skill_id,
        p_mastery=o.p_known,
        p_correct=o.p_correct,
        attempts=o.attempts,
        mastered=o.mastered,
        status=status,
    )


def result_to_pb(result: RecordResult) -> learner_pb2.RecordResponseResponse:
    """The reply of RecordResponse."""
    msg = learner_pb2.RecordResponseResponse(
        event_id=result.event_id,
        duplicate=result.duplicate,
        sequence=result.sequence,
        credibility=result.credibility,
        flags=[learner_pb2.RESPONSE_FLAG_TOO_FAST] if result.credibility < 1.0 else [],
        ability=learner_pb2.Ability(theta=result.theta, standard_error=result.theta_se),
        phase=_phase(result.diagnostic, result.complete),
        revoked_skill_ids=list(result.revoked),
        predictor=(
            learner_pb2.PREDICTOR_DKT if result.predictor == "dkt" else learner_pb2.PREDICTOR_BKT
        ),
        predictor_note=result.predictor_note,
    )
    for o in result.skills:
        msg.skills.append(_skill_outcome_pb(o, _STATUS[o.status]))
    for m in result.mastery_events:
        ev = msg.mastery_events.add(
            skill_id=m.skill_id, p_mastery=m.p_known, attempts=m.attempts, event_id=m.event_id
        )
        _set_time(ev.mastered_at, m.mastered_at)
    recommendations_to_pb(result.recommendations, msg.recommendations)
    return msg


def _phase(diagnostic: bool, complete: bool = False) -> learner_pb2.LearnerPhase.ValueType:
    if diagnostic:
        return learner_pb2.LEARNER_PHASE_DIAGNOSTIC
    return learner_pb2.LEARNER_PHASE_COMPLETE if complete else learner_pb2.LEARNER_PHASE_PRACTICE


def phase_pb(diagnostic: bool, complete: bool = False) -> learner_pb2.LearnerPhase.ValueType:
    """The proto phase for a learner who is (not) in the diagnostic, or done with the course."""
    return _phase(diagnostic, complete)


def report_to_pb(report: LearnerReport) -> learner_pb2.GetLearnerStateResponse:
    """Every skill of the course with its status in the prerequisite graph."""
    msg = learner_pb2.GetLearnerStateResponse(
        learner_id=report.learner_id,
        course_id=report.course_id,
        responses=report.responses,
        ability=learner_pb2.Ability(theta=report.theta, standard_error=report.theta_se),
        phase=_phase(report.diagnostic),
        dkt_model=report.dkt_model,
        mastered_skill_ids=report.ids("mastered"),
        ready_skill_ids=report.ids("ready"),
        locked_skill_ids=report.ids("locked"),
        pinned_skill_ids=report.pinned,
        exempt=report.exempt,
    )
    for g in report.gaps:
        msg.gaps.add(
            skill_id=g.gap.skill_id,
            blocked_skill_id=g.gap.blocked_skill_id,
            failures=g.gap.failures,
            p_mastery=g.gap.p_known,
            mastered=g.gap.mastered,
            suspected=g.gap.suspected,
            evidence_event_ids=list(g.gap.evidence),
            explanation=g.explanation,
        )
    for s in report.skills:
        skill = msg.skills.add(
            skill_id=s.skill_id,
            p_mastery=s.p_known,
            p_correct=s.p_correct,
            attempts=s.attempts,
            mastered=s.mastered,
            status=_STATUS[s.status],
            correct_streak=s.correct_streak,
            reviews=s.reviews,
            prior=s.prior,
        )
        if s.dkt_p_correct is not None:
            skill.dkt_p_correct = s.dkt_p_correct
        if s.last_practiced is not None:
            _set_time(skill.last_practiced_at, s.last_practiced)
        if s.review_due is not None:
            _set_time(skill.review_due_at, s.review_due)
        if s.review_interval_hours is not None:
            skill.review_interval_hours = s.review_interval_hours
    return msg


def logged_to_pb(event: LoggedEvent) -> events_pb2.LoggedResponse:
    """One entry of ListEvents: the response as recorded and its reply."""
    msg = events_pb2.LoggedResponse(log_id=event.log_id)
    response = msg.response
    response.event_id = event.event_id
    response.learner_id = event.learner_id
    response.course_id = event.course_id
    response.item_id = event.item_id
    response.score = event.score
    response.response_time_ms = event.response_time_ms
    _set_time(response.occurred_at, event.occurred_at)
    msg.reply.CopyFrom(result_to_pb(event.reply))
    _set_time(msg.recorded_at, event.recorded_at)
    return msg
