"""The engine's log entries (the contract's ``LoggedResponse``) map onto learning events, and
those onto valid statements."""

from __future__ import annotations

from ralph.models.xapi.base.statements import BaseXapiStatement

from attune.engine.v1 import events_pb2, learner_pb2
from attune.gateway.statements import build_caliper, build_xapi, from_logged, xapi_statement_id
from tests.unit.statement_samples import REGISTRATION, profile


def _entry(score: float = 1.0, quiet: bool = False) -> events_pb2.LoggedResponse:
    """One entry of the engine's log, as ``EventService.ListEvents`` returns it."""
    logged = events_pb2.LoggedResponse(log_id=12)
    r = logged.response
    r.event_id, r.learner_id, r.course_id, r.item_id = "evt-42", "lrn-7f3a", "algebra-1", "q-17"
    r.score, r.response_time_ms = score, 5120
    r.occurred_at.seconds = 1_700_000_000
    logged.recorded_at.seconds, logged.recorded_at.nanos = 1_700_000_000, 200_000_000
    reply = logged.reply
    reply.event_id, reply.sequence = "evt-42", 12
    if quiet:
        reply.skills.add(skill_id="ratios", p_mastery=0.4)
        return logged
    reply.skills.add(skill_id="fractions", p_mastery=0.97)
    reply.skills.add(skill_id="ratios", p_mastery=0.55)
    mastery = reply.mastery_events.add(skill_id="fractions", p_mastery=0.97, attempts=4)
    mastery.mastered_at.CopyFrom(logged.recorded_at)
    mastery.event_id = "evt-42"
    for item in ("q-18", "q-30"):
        reply.recommendations.add(
            item_id=item, skill_id="ratios", score=0.6, reasons=[learner_pb2.REASON_ZPD]
        )
    return logged


ENTRY = _entry()
RECORDED_AT = 1_700_000_000.2


def test_one_response_gives_answer_mastery_and_recommendation() -> None:
    answered, mastered, recommended = from_logged(
        "acme", ENTRY, course_title="Algebra 1", registration=REGISTRATION
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
    assert recommended.occurred_at == RECORDED_AT
    assert {e.event_id for e in (answered, mastered, recommended)} == {"evt-42"}


def test_pass_mark_decides_success() -> None:
    partial = _entry(score=0.6)
    assert from_logged("acme", partial)[0].success is False
    assert from_logged("acme", partial, pass_mark=0.5)[0].success is True


def test_mapped_events_build_valid_distinct_statements() -> None:
    events = from_logged("acme", ENTRY, registration=REGISTRATION)
    statements = [build_xapi(e, profile()) for e in events]
    for statement in statements:
        BaseXapiStatement.model_validate(statement)
    assert len({s["id"] for s in statements}) == len(statements)
    # Re-reading the same log entry (a retry) gives the same ids.
    assert [xapi_statement_id(e) for e in from_logged("acme", ENTRY)] == [
        s["id"] for s in statements
    ]
    assert len({build_caliper(e, profile())["id"] for e in events}) == len(events)


def test_a_response_without_mastery_or_recommendation_is_one_answer() -> None:
    quiet = _entry(quiet=True)
    [answered] = from_logged("acme", quiet)
    assert answered.kind == "answered"
