"""The engine's own log records map onto learning events, and those onto valid statements."""

from __future__ import annotations

from dataclasses import replace

from ralph.models.xapi.base.statements import BaseXapiStatement

from engine.domain.learner import SkillOutcome
from engine.domain.policy import Reason, Recommendation
from engine.domain.records import LoggedEvent, MasteryEvent, RecordResult
from gateway.statements import build_caliper, build_xapi, from_logged, xapi_statement_id
from tests.unit.statement_samples import REGISTRATION, profile

ENTRY = LoggedEvent(
    tenant="acme",
    event_id="evt-42",
    learner_id="lrn-7f3a",
    course_id="algebra-1",
    item_id="q-17",
    score=1.0,
    response_time_ms=5120,
    occurred_at=1_700_000_000.0,
    recorded_at=1_700_000_000.2,
    sequence=12,
    reply="",
)


def _outcome(skill: str, p_known: float, mastered: bool) -> SkillOutcome:
    return SkillOutcome(
        skill_id=skill,
        p_known_before=0.5,
        p_known=p_known,
        p_correct=0.7,
        attempts=4,
        mastered=mastered,
    )


def _recommendation(item: str, skill: str) -> Recommendation:
    return Recommendation(
        item_id=item, skill_id=skill, score=0.6, reasons=(Reason.ZPD,), components={}
    )


REPLY = RecordResult(
    event_id="evt-42",
    skills=(_outcome("fractions", 0.97, True), _outcome("ratios", 0.55, False)),
    mastery_events=(MasteryEvent("fractions", 0.97, 4, 1_700_000_000.2, "evt-42"),),
    recommendations=(_recommendation("q-18", "ratios"), _recommendation("q-30", "ratios")),
    sequence=12,
)


def test_one_response_gives_answer_mastery_and_recommendation() -> None:
    answered, mastered, recommended = from_logged(
        ENTRY, REPLY, course_title="Algebra 1", registration=REGISTRATION
    )
    assert (answered.kind, mastered.kind, recommended.kind) == (
        "answered",
        "mastered",
        "recommended",
    )
    assert answered.success is True and answered.score == 1.0
    assert answered.response_time_ms == 5120 and answered.item_id == "q-17"
    assert dict(answered.p_mastery) == {"fractions": 0.97, "ratios": 0.55}
    assert mastered.skill_ids == ("fractions",) and mastered.occurred_at == 1_700_000_000.2
    assert mastered.item_id == "q-17"
    assert recommended.recommended_item_ids == ("q-18", "q-30")
    assert recommended.skill_ids == ("ratios",)
    assert dict(recommended.p_mastery) == {"ratios": 0.55}
    assert recommended.occurred_at == ENTRY.recorded_at
    assert {e.event_id for e in (answered, mastered, recommended)} == {"evt-42"}


def test_pass_mark_decides_success() -> None:
    partial = replace(ENTRY, score=0.6)
    assert from_logged(partial, REPLY)[0].success is False
    assert from_logged(partial, REPLY, pass_mark=0.5)[0].success is True


def test_mapped_events_build_valid_distinct_statements() -> None:
    events = from_logged(ENTRY, REPLY, registration=REGISTRATION)
    statements = [build_xapi(e, profile()) for e in events]
    for statement in statements:
        BaseXapiStatement.model_validate(statement)
    assert len({s["id"] for s in statements}) == len(statements)
    # Re-reading the same log entry (a retry) gives the same ids.
    assert [xapi_statement_id(e) for e in from_logged(ENTRY, REPLY)] == [
        s["id"] for s in statements
    ]
    assert len({build_caliper(e, profile())["id"] for e in events}) == len(events)


def test_a_response_without_mastery_or_recommendation_is_one_answer() -> None:
    quiet = RecordResult(
        event_id="evt-42",
        skills=(_outcome("ratios", 0.4, False),),
        mastery_events=(),
        recommendations=(),
        sequence=12,
    )
    [answered] = from_logged(ENTRY, quiet)
    assert answered.kind == "answered"
