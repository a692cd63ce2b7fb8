"""Engine log entries as learning events: the pure half of the outbox's feed.

The gateway talks to the engine through its public contract only, so this module does not
import ``engine``. It reads what it needs through small protocols that the engine's own
records (``engine.domain.records.LoggedEvent`` and ``RecordResult``) satisfy as they are;
the outbox decodes a log entry's ``reply`` and hands both here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Protocol

from gateway.statements.events import LearningEvent, Person


class LoggedResponse(Protocol):
    """One entry of the engine's event log (``LoggedEvent``)."""

    @property
    def tenant(self) -> str: ...
    @property
    def event_id(self) -> str: ...
    @property
    def learner_id(self) -> str: ...
    @property
    def course_id(self) -> str: ...
    @property
    def item_id(self) -> str: ...
    @property
    def score(self) -> float: ...
    @property
    def response_time_ms(self) -> int: ...
    @property
    def occurred_at(self) -> float: ...
    @property
    def recorded_at(self) -> float: ...


class SkillChange(Protocol):
    """A skill's state after the response (``SkillOutcome``)."""

    @property
    def skill_id(self) -> str: ...
    @property
    def p_known(self) -> float: ...


class Mastery(Protocol):
    """A skill the response mastered (``MasteryEvent``)."""

    @property
    def skill_id(self) -> str: ...
    @property
    def p_known(self) -> float: ...
    @property
    def mastered_at(self) -> float: ...


class Suggestion(Protocol):
    """One recommended next item (``Recommendation``)."""

    @property
    def item_id(self) -> str: ...
    @property
    def skill_id(self) -> str: ...


class ResponseReply(Protocol):
    """The engine's reply to the response (``RecordResult``)."""

    @property
    def skills(self) -> Sequence[SkillChange]: ...
    @property
    def mastery_events(self) -> Sequence[Mastery]: ...
    @property
    def recommendations(self) -> Sequence[Suggestion]: ...


def from_logged(
    entry: LoggedResponse,
    reply: ResponseReply,
    *,
    course_title: str = "",
    registration: str | None = None,
    person: Person | None = None,
    pass_mark: float = 1.0,
) -> tuple[LearningEvent, ...]:
    """The learning events one logged response gives, in order: the answer, each skill it
    mastered, then the recommendation the learner was shown next (if any).

    The answer is a success when its score reaches ``pass_mark``; the default, full credit,
    matches the engine, which reads a score of 1.0 as a correct answer. Every event keeps the
    response's ``event_id``, so a re-read of the same log entry builds the same statement
    ids. Launches and grade changes are not in the engine's log; the gateway makes those.
    """
    p_mastery = {s.skill_id: s.p_known for s in reply.skills}
    answered = LearningEvent(
        kind="answered",
        event_id=entry.event_id,
        tenant=entry.tenant,
        learner_id=entry.learner_id,
        course_id=entry.course_id,
        occurred_at=entry.occurred_at,
        course_title=course_title,
        item_id=entry.item_id,
        skill_ids=tuple(p_mastery),
        success=entry.score >= pass_mark,
        score=entry.score,
        response_time_ms=entry.response_time_ms,
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
                occurred_at=mastery.mastered_at,
                skill_ids=(mastery.skill_id,),
                p_mastery={mastery.skill_id: mastery.p_known},
                success=None,
                score=None,
                response_time_ms=None,
            )
        )
    if reply.recommendations:
        skills = tuple(dict.fromkeys(r.skill_id for r in reply.recommendations))
        events.append(
            replace(
                answered,
                kind="recommended",
                # Recommended when the engine replied: the log entry's recorded time.
                occurred_at=entry.recorded_at,
                item_id="",
                recommended_item_ids=tuple(r.item_id for r in reply.recommendations),
                skill_ids=skills,
                p_mastery={k: p_mastery[k] for k in skills if k in p_mastery},
                success=None,
                score=None,
                response_time_ms=None,
            )
        )
    return tuple(events)
