"""Engine log entries as learning events: the pure half of the outbox's feed.

The gateway talks to the engine through its public contract only: an entry of the engine's
log is the contract's ``LoggedResponse`` (what ``EventService.ListEvents`` returns), and this
module reads it as it is, with no shadow types in between. Nothing here does I/O.
"""

from __future__ import annotations

from dataclasses import replace

from google.protobuf.timestamp_pb2 import Timestamp

from attune.engine.v1 import events_pb2
from attune.gateway.statements.events import LearningEvent, Person

# Far beyond the engine's 300 s clock skew: only an entry written before the engine refused
# future times (issue 11 item 3), read back clamped to year 9999, lies this far ahead.
FUTURE_SLACK_S = 86_400.0


def epoch(stamp: Timestamp) -> float:
    """A protobuf timestamp as epoch seconds."""
    return float(stamp.seconds) + float(stamp.nanos) / 1e9


def from_logged(
    tenant: str,
    logged: events_pb2.LoggedResponse,
    course_title: str = "",
    *,
    registration: str | None = None,
    person: Person | None = None,
    pass_mark: float = 1.0,
) -> tuple[LearningEvent, ...]:
    """The learning events one logged response of ``tenant`` gives, in order: the answer,
    each skill it mastered, then the recommendation the learner was shown next (if any).

    The answer is a success when its score reaches ``pass_mark``; the default, full credit,
    matches the engine, which reads a score of 1.0 as a correct answer. Every event keeps the
    response's ``event_id``, so a re-read of the same log entry builds the same statement
    ids. Launches and grade changes are not in the engine's log; the gateway makes those.

    ValueError when the entry cannot be an event (the events' own checks, or an answer
    recorded more than a day before it was given: see ``FUTURE_SLACK_S``).
    """
    r, reply = logged.response, logged.reply
    occurred_at, recorded_at = epoch(r.occurred_at), epoch(logged.recorded_at)
    p_mastery = {s.skill_id: s.p_mastery for s in reply.skills}
    answered = LearningEvent(
        kind="answered",
        event_id=r.event_id,
        tenant=tenant,
        learner_id=r.learner_id,
        course_id=r.course_id,
        occurred_at=occurred_at,
        course_title=course_title,
        item_id=r.item_id,
        skill_ids=tuple(p_mastery),
        success=r.score >= pass_mark,
        score=r.score,
        response_time_ms=r.response_time_ms,
        p_mastery=p_mastery,
        registration=registration,
        person=person,
    )
    events = [answered]
    # The other events share the answer's identity fields; replace() re-runs the checks.
    for mastery in reply.mastery_events:
        events.append(
            replace(
                answered,
                kind="mastered",
                occurred_at=epoch(mastery.mastered_at),
                skill_ids=(mastery.skill_id,),
                p_mastery={mastery.skill_id: mastery.p_mastery},
                success=None,
                score=None,
                response_time_ms=None,
            )
        )
    if reply.recommendations:
        skills = tuple(dict.fromkeys(x.skill_id for x in reply.recommendations))
        events.append(
            replace(
                answered,
                kind="recommended",
                # Recommended when the engine replied: the log entry's recorded time.
                occurred_at=recorded_at,
                item_id="",
                recommended_item_ids=tuple(x.item_id for x in reply.recommendations),
                skill_ids=skills,
                p_mastery={k: p_mastery[k] for k in skills if k in p_mastery},
                success=None,
                score=None,
                response_time_ms=None,
            )
        )
    # After the builders' own checks, so that an entry they refuse says why in their words.
    if occurred_at > recorded_at + FUTURE_SLACK_S:
        raise ValueError(
            f"occurred_at {occurred_at!r} lies after the entry was recorded ({recorded_at!r})"
        )
    return tuple(events)
