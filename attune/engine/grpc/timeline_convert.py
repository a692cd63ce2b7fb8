"""A learner's timeline (:class:`~attune.engine.service.timeline.Timeline`) as the contract's
``GetLearnerTimelineResponse``.

A reply must fit one gRPC message (MAX_REPLY_BYTES): a timeline longer than that keeps its
latest entries, which a teacher reads first, and counts the earliest ones it leaves out.
"""

from __future__ import annotations

from attune.engine.domain.limits import MAX_REPLY_BYTES
from attune.engine.grpc.convert import _set_time, phase_pb, recommendations_to_pb
from attune.engine.service.timeline import Timeline, TimelineEntry
from attune.engine.v1 import analytics_pb2, learner_pb2

_STATUS = {
    "locked": learner_pb2.SKILL_STATUS_LOCKED,
    "ready": learner_pb2.SKILL_STATUS_READY,
    "mastered": learner_pb2.SKILL_STATUS_MASTERED,
}


def _entry_pb(entry: TimelineEntry) -> analytics_pb2.TimelineEntry:
    e, reply = entry.event, entry.event.reply
    out = analytics_pb2.TimelineEntry(
        log_id=e.log_id,
        event_id=e.event_id,
        item_id=e.item_id,
        score=e.score,
        correct=e.score >= 0.5,
        response_time_ms=e.response_time_ms,
        credibility=e.credibility,
        flags=[learner_pb2.RESPONSE_FLAG_TOO_FAST] if e.credibility < 1.0 else [],
        sequence=e.sequence,
        revoked_skill_ids=list(reply.revoked),
        review=bool(entry.review_skills),
        phase=phase_pb(reply.diagnostic, reply.complete),
        predictor=(
            learner_pb2.PREDICTOR_DKT if reply.predictor == "dkt" else learner_pb2.PREDICTOR_BKT
        ),
        predictor_note=reply.predictor_note,
        bkt_p_correct=entry.bkt_p_correct,
        dkt_p_correct=entry.dkt_p_correct,
        ability=learner_pb2.Ability(theta=reply.theta, standard_error=reply.theta_se),
    )
    _set_time(out.occurred_at, e.occurred_at)
    _set_time(out.recorded_at, e.recorded_at)
    for o in reply.skills:
        out.skills.add(
            skill_id=o.skill_id,
            p_known_before=o.p_known_before,
            p_known=o.p_known,
            p_correct=o.p_correct,
            attempts=o.attempts,
            mastered=o.mastered,
            status=_STATUS.get(o.status, learner_pb2.SKILL_STATUS_UNSPECIFIED),
            review=o.skill_id in entry.review_skills,
        )
    for m in reply.mastery_events:
        event = out.mastery_events.add(
            skill_id=m.skill_id, p_mastery=m.p_known, attempts=m.attempts, event_id=m.event_id
        )
        _set_time(event.mastered_at, m.mastered_at)
    recommendations_to_pb(reply.recommendations, out.recommendations)
    return out


def timeline_to_pb(
    timeline: Timeline, now: float, budget: int = MAX_REPLY_BYTES
) -> analytics_pb2.GetLearnerTimelineResponse:
    """The reply of GetLearnerTimeline, at most ``budget`` bytes of entries and the rest."""
    report = timeline.report
    out = analytics_pb2.GetLearnerTimelineResponse(
        course_id=timeline.course.course_id,
        learner_id=timeline.learner_id,
        dkt_model=report.dkt_model,
    )
    _set_time(out.computed_at, now)
    for g in timeline.gaps:
        gap = g.report.gap
        out.gaps.add(
            skill_id=gap.skill_id,
            blocked_skill_id=gap.blocked_skill_id,
            failures=gap.failures,
            p_known=gap.p_known,
            mastered=gap.mastered,
            suspected=gap.suspected,
            explanation=g.report.explanation,
            evidence_event_ids=list(gap.evidence),
            evidence_log_ids=list(g.log_ids),
        )
    for s in report.skills:
        out.skills.add(
            skill_id=s.skill_id,
            p_known=s.p_known,
            bkt_p_correct=s.p_correct,
            dkt_p_correct=s.dkt_p_correct,
            attempts=s.attempts,
            mastered=s.mastered,
            status=_STATUS[s.status],
        )
    entries = [_entry_pb(e) for e in timeline.entries]
    # Newest first until the budget is spent; each entry costs its size plus its tag and
    # length prefix (at most 6 bytes below 4 MiB).
    room = budget - out.ByteSize() - 16
    keep = 0
    for entry in reversed(entries):
        room -= entry.ByteSize() + 6
        if room < 0:
            break
        keep += 1
    out.omitted_entries = len(entries) - keep
    out.entries.extend(entries[len(entries) - keep :])
    return out
