"""Why an item was chosen, in plain words for the learner, from the engine's reason codes."""

from __future__ import annotations

from collections.abc import Mapping

from attune.engine.v1 import course_pb2, learner_pb2

_WORDS = {
    learner_pb2.REASON_DIAGNOSTIC: "We are still getting to know what you already know.",
    learner_pb2.REASON_REMEDIATION: "You have practised {skill}, but it needs more work.",
    learner_pb2.REASON_READY: "You have mastered everything {skill} builds on.",
    learner_pb2.REASON_ZPD: "You are likely to get it right, but not certain to: the best "
    "place to learn.",
    learner_pb2.REASON_CONTINUITY: "It keeps you on {skill}, the skill you were just working on.",
    learner_pb2.REASON_NOVELTY: "You have not seen this question recently.",
    learner_pb2.REASON_EXPLORATION: "We are trying a different kind of question to see what "
    "helps you most.",
    learner_pb2.REASON_REVIEW: "You mastered {skill} a while ago; a quick review keeps it fresh.",
    learner_pb2.REASON_GAP: "You have struggled with a skill that builds on {skill}; "
    "strengthening {skill} should help.",
    learner_pb2.REASON_PINNED: "Your teacher asked you to work on {skill}.",
}


def explain(
    rec: learner_pb2.Recommendation,
    course: course_pb2.Course,
    names: Mapping[str, str] | None = None,
) -> tuple[str, ...]:
    """One sentence per reason of a recommendation, in the engine's order; ``names``, when
    given, are the course's skill names by id (see ``gateway.content.CourseIndex``)."""
    if names is None:
        names = {s.skill_id: s.name or s.skill_id for s in course.skills}
    skill = names.get(rec.skill_id, rec.skill_id)
    sentences = tuple(_WORDS[r].format(skill=skill) for r in rec.reasons if r in _WORDS)
    return sentences or (f"It practises {skill}.",)
