"""Voiding a logged response (issue 19): the learner's state rebuilt without it. Pure.

BKT is a forward filter: P(L) after an answer depends on every answer before it, and there
is no inverse step that removes one answer from the middle. So a void does not "undo"; it
replays. The learner starts from a fresh state and their logged responses in the course go
through :func:`update.apply_response` again, in log order, each with the credibility
weight it was first applied with, skipping every voided event. The interventions that
changed skills (RESET_SKILL, GRANT_MASTERY, REVOKE_MASTERY) are applied again at their
place in that order (by the engine's recorded times). The result is the state the learner
would have if the voided answers had never been sent, given the same weights.

What the replay does not touch: the learner's pins and exemption (kept as they are), DKT's
hidden state (kept: a model of the whole sequence, not rebuilt here), and the append-only
log itself (the event stays; the void is an audit entry).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace

from attune.engine.domain.course import Course
from attune.engine.domain.interventions import STATE_KINDS, InterventionEntry, Kind
from attune.engine.domain.interventions_apply import apply_to_learner
from attune.engine.domain.learner import LearnerState, Response
from attune.engine.domain.records import LoggedEvent
from attune.engine.domain.tutoring import TutorPolicy
from attune.engine.domain.update import apply_response

REQUEST_PREFIX = "void:"


def void_request_id(event_id: str) -> str:
    """The audit entry's request id of a void: one per event, so a repeat is a duplicate."""
    return REQUEST_PREFIX + event_id


def voided_events(entries: Sequence[InterventionEntry]) -> set[str]:
    """The event ids the learner's audit entries have voided."""
    return {
        e.request_id.removeprefix(REQUEST_PREFIX)
        for e in entries
        if e.kind is Kind.VOID_EVENT and e.request_id.startswith(REQUEST_PREFIX)
    }


@dataclass(frozen=True, slots=True)
class Rebuilt:
    """The rebuilt state, how many responses it was replayed from, and the ids of responses
    skipped because their item is no longer in the course."""

    state: LearnerState
    replayed: int
    dropped: tuple[str, ...]


def rebuild(
    course: Course,
    current: LearnerState,
    events: Sequence[LoggedEvent],
    entries: Sequence[InterventionEntry],
    voided: Collection[str],
    tutor: TutorPolicy,
) -> Rebuilt:
    """The learner's state in ``course`` replayed from ``events`` (their log in the course)
    and ``entries`` (their audit entries) without the ``voided`` event ids."""
    steps: list[tuple[float, int, int, LoggedEvent | InterventionEntry]] = []
    for n, event in enumerate(sorted(events, key=lambda e: e.log_id)):
        steps.append((event.recorded_at, 0, n, event))
    for entry in entries:
        if entry.kind in STATE_KINDS and entry.skill_id in course.skills:
            steps.append((entry.recorded_at, 1, entry.intervention_id, entry))
    steps.sort(key=lambda s: s[:3])
    state = LearnerState(current.learner_id, course.course_id)
    replayed = 0
    dropped: list[str] = []
    for _, _, _, step in steps:
        if isinstance(step, InterventionEntry):
            margin = tutor.review.revoke_margin
            state, _ = apply_to_learner(course, state, step.kind, step.skill_id, margin)
            continue
        if step.event_id in voided:
            continue
        if step.item_id not in course.items:
            dropped.append(step.event_id)
            continue
        response = Response(
            event_id=step.event_id,
            learner_id=step.learner_id,
            course_id=step.course_id,
            item_id=step.item_id,
            score=step.score,
            response_time_ms=step.response_time_ms,
            occurred_at=step.occurred_at,
        )
        state = apply_response(course, state, response, step.credibility, tutor).state
        replayed += 1
    kept = replace(state, pinned=current.pinned, exempt=current.exempt, dkt=current.dkt)
    return Rebuilt(kept, replayed, tuple(dropped))
