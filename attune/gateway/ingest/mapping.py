"""Which inbound statements and events are learner responses, and the response each one is.

A statement carries a response when its verb is ADL ``answered`` or ``completed``, its
object is an Activity that maps to a course item, and its result has a score or a success
flag. A Caliper event carries one when it is an ``AssessmentItemEvent`` ``Completed`` with a
score, or a ``GradeEvent`` ``Graded`` with a Score for an item. Anything else is accepted
and remembered but not applied, with the reason in :class:`NotApplied`.

The outcome: a score wins over a success flag, because the engine takes partial credit and
our own outbound statements carry both (success only for full credit), so a score keeps
what a flag would lose. A scaled score is clamped to [0, 1] (xAPI allows [-1, 1]); a raw
score is scaled by its min (0 when absent) and max.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tincan import Activity

from attune.gateway.ingest import values as v
from attune.gateway.ingest.activity_map import ItemRef, resolve
from attune.gateway.ingest.actors import caliper_learner, xapi_learner
from attune.gateway.ingest.caliper_check import CaliperEvent
from attune.gateway.ingest.xapi_batch import ParsedStatement
from attune.gateway.statements import iris
from attune.gateway.xapi_store.ports import VOIDED_VERB

VERB_ANSWERED = "http://adlnet.gov/expapi/verbs/answered"
VERB_COMPLETED = "http://adlnet.gov/expapi/verbs/completed"
RESPONSE_VERBS = (VERB_ANSWERED, VERB_COMPLETED)


@dataclass(frozen=True, slots=True)
class TenantView:
    """What the mapping knows of a tenant: whose accounts and IRIs are ours, and its map."""

    tenant: str
    home_pages: tuple[str, ...]
    activity_bases: tuple[str, ...]
    activity_map: Mapping[str, ItemRef]


@dataclass(frozen=True, slots=True)
class MappedResponse:
    """One learner response for RecordResponse; exactly one of ``correct`` and ``score``."""

    event_id: str
    learner_id: str
    course_id: str
    item_id: str
    correct: bool | None = None
    score: float | None = None
    response_time_ms: int = 0
    occurred_at: float | None = None


@dataclass(frozen=True, slots=True)
class NotApplied:
    reason: str


Mapped = MappedResponse | NotApplied


def map_statement(parsed: ParsedStatement, view: TenantView) -> Mapped:
    """The response an xAPI statement carries, or why it carries none."""
    typed = parsed.typed
    if typed is None:  # valid xAPI that tincan cannot read (issue 19): kept, not applied
        return NotApplied("a statement whose parts tincan cannot read")
    verb = typed.verb.id
    if verb == VOIDED_VERB:
        return NotApplied("a voiding statement: a learner-model update cannot be undone")
    if verb not in RESPONSE_VERBS:
        return NotApplied(f"verb {verb} is not answered or completed")
    outcome = _xapi_outcome(typed.result)
    if outcome is None:
        return NotApplied("no result.score or result.success")
    if not isinstance(typed.object, Activity):
        return NotApplied("the object is not an Activity")
    if _made_by_attune(parsed.body):
        return NotApplied("an Attune statement (it carries Attune's mastery extension)")
    item = resolve(typed.object.id, view.activity_map, view.activity_bases)
    if item is None:
        return NotApplied(f"activity {typed.object.id} maps to no course item")
    learner = xapi_learner(typed.actor, view.tenant, view.home_pages)
    if learner is None:
        return NotApplied("the actor is a Group; responses are a learner's")
    took = typed.result.duration
    return MappedResponse(
        event_id=parsed.statement_id,
        learner_id=learner,
        course_id=item.course_id,
        item_id=item.item_id,
        correct=outcome[0],
        score=outcome[1],
        response_time_ms=_millis(took.total_seconds()) if took is not None else 0,
        occurred_at=parsed.occurred_at,
    )


def _xapi_outcome(result: Any) -> tuple[bool | None, float | None] | None:
    if result is None:
        return None
    score = result.score
    if score is not None and score.scaled is not None:
        return None, _clamp(score.scaled)
    if score is not None and score.raw is not None and score.max is not None:
        low = score.min if score.min is not None else 0.0
        if score.max > low:
            return None, _clamp((score.raw - low) / (score.max - low))
    if result.success is not None:
        return bool(result.success), None
    return None


def _made_by_attune(statement: Mapping[str, Any]) -> bool:
    """Our own outbound statements echoed back (an LRS forwarding to us, say) were applied
    where they were made; the engine's P(L) extension marks them, since only the engine
    computes it."""
    context = statement.get("context")
    return isinstance(context, dict) and iris.EXT_MASTERY in context.get("extensions", {})


def map_caliper(event: CaliperEvent, view: TenantView) -> Mapped:
    """The response a Caliper event carries, or why it carries none."""
    body = event.body
    kind, action = body["type"], body["action"]
    if _entity_id(body.get("edApp")) in {b.rstrip("/") for b in view.activity_bases}:
        return NotApplied("an Attune event (its edApp is Attune)")
    if kind == "AssessmentItemEvent" and action == "Completed":
        generated = body.get("generated")
        outcome = _caliper_outcome(generated, body.get("extensions"))
        if outcome is None:
            return NotApplied("no score: the generated Response carries none")
        activity, learner = body["object"], body["actor"]
        attempt = generated.get("attempt") if isinstance(generated, dict) else None
        took_ms = _duration_of(generated) or _duration_of(attempt)
    elif kind == "GradeEvent" and action == "Graded":
        score = _score(body.get("generated"))
        attempt = body["object"]
        if score is None:
            return NotApplied("no Score with scoreGiven and a maxScore above 0")
        if (
            not isinstance(attempt, dict)
            or "assignable" not in attempt
            or "assignee" not in attempt
        ):
            return NotApplied("the graded Attempt names no assignable and assignee")
        outcome = (None, score)
        activity, learner = attempt["assignable"], attempt["assignee"]
        took_ms = _duration_of(attempt)
    else:
        return NotApplied(f"{kind} {action} is not a response")
    item = resolve(_entity_id(activity), view.activity_map, view.activity_bases)
    if item is None:
        return NotApplied(f"activity {_entity_id(activity)} maps to no course item")
    return MappedResponse(
        event_id=f"caliper:{event.event_id}",
        learner_id=caliper_learner(learner, view.tenant, view.activity_bases),
        course_id=item.course_id,
        item_id=item.item_id,
        correct=outcome[0],
        score=outcome[1],
        response_time_ms=took_ms,
        occurred_at=event.occurred_at,
    )


def _caliper_outcome(generated: Any, extensions: Any) -> tuple[bool | None, float | None] | None:
    if not isinstance(generated, dict):
        return None
    given = (
        _score(generated) if generated.get("type") == "Score" else _score(generated.get("score"))
    )
    if given is not None:
        return None, given
    # Our own vocabulary (gateway.statements.caliper): a Response has no score in 1.2.
    for source in (generated.get("extensions"), extensions):
        if isinstance(source, dict):
            scaled = source.get(iris.EXT_SCORE_SCALED)
            if isinstance(scaled, int | float) and not isinstance(scaled, bool):
                return None, _clamp(float(scaled))
            success = source.get(iris.EXT_SUCCESS)
            if isinstance(success, bool):
                return success, None
    return None


def _score(entity: Any) -> float | None:
    """scoreGiven / maxScore of a Score (numbers were checked by the validator)."""
    if not isinstance(entity, dict) or "scoreGiven" not in entity:
        return None
    maximum = entity.get("maxScore")
    if maximum is None or maximum <= 0:
        return None
    return _clamp(entity["scoreGiven"] / maximum)


def _duration_of(entity: Any) -> int:
    if isinstance(entity, dict) and "duration" in entity:
        return _millis(v.duration(entity["duration"], "duration").total_seconds())
    return 0


def _entity_id(entity: Any) -> str:
    return str(entity.get("id", "")) if isinstance(entity, dict) else str(entity or "")


def _clamp(value: float) -> float:
    return min(1.0, max(0.0, float(value)))


def _millis(seconds: float) -> int:
    return max(0, round(seconds * 1000))
