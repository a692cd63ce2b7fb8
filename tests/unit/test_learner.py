"""The pure update of one response: streaks, sticky mastery, multi-skill items."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from attune.engine.domain.bkt import BktParams
from attune.engine.domain.course import DiagnosticPolicy, Item, MasteryPolicy, Skill, build_course
from attune.engine.domain.errors import InvalidInputError, NotFoundError
from attune.engine.domain.learner import LearnerState, Response, SkillState
from attune.engine.domain.mastery import is_mastered
from attune.engine.domain.update import apply_response

BKT = BktParams(prior=0.3, learn=0.2, guess=0.2, slip=0.1)


def _course(policy: MasteryPolicy | None = None, override: MasteryPolicy | None = None):
    return build_course(
        "c",
        [Skill("a", bkt=BKT, mastery=override), Skill("b", bkt=BKT, prerequisites=("a",))],
        [Item("ia", ("a",)), Item("iab", ("a", "b"))],
        policy,
        diagnostic=DiagnosticPolicy(enabled=False),
    )


def _resp(n: int, item: str = "ia", score: float = 1.0) -> Response:
    return Response(f"e{n}", "l", "c", item, score, 5000, 1000.0 + n)


def _run(course, scores, item="ia"):
    state = LearnerState("l", "c")
    events = []
    for n, score in enumerate(scores):
        out = apply_response(course, state, _resp(n, item, score))
        state = out.state
        events.append(out.mastery_events)
    return state, events


def test_mastery_needs_threshold_attempts_and_streak() -> None:
    course = _course(MasteryPolicy(threshold=0.9, min_attempts=4, consecutive_correct=2))
    state, events = _run(course, [1, 1, 1])
    assert state.skills["a"].p_known > 0.9  # belief alone is not enough
    assert not state.skills["a"].mastered
    state, events = _run(course, [1, 1, 1, 1])
    assert events[-1] == ("a",)


def test_a_wrong_answer_resets_the_streak() -> None:
    course = _course(MasteryPolicy(threshold=0.5, min_attempts=1, consecutive_correct=3))
    state, _ = _run(course, [1, 1, 0, 1, 1])
    assert state.skills["a"].correct_streak == 2
    assert not state.skills["a"].mastered


def test_per_skill_override_wins() -> None:
    course = _course(
        MasteryPolicy(threshold=0.99, min_attempts=20),
        override=MasteryPolicy(threshold=0.6, min_attempts=1, consecutive_correct=1),
    )
    _state, events = _run(course, [1])
    assert events[0] == ("a",)


@settings(max_examples=60)
@given(st.lists(st.sampled_from([0.0, 1.0, 0.5]), min_size=1, max_size=40))
def test_mastery_event_is_emitted_at_most_once(scores: list[float]) -> None:
    course = _course(MasteryPolicy(threshold=0.8, min_attempts=1, consecutive_correct=1))
    state, events = _run(course, scores)
    flat = [s for e in events for s in e]
    assert flat.count("a") <= 1
    assert state.skills["a"].ever_mastered == ("a" in flat)
    assert state.responses == len(scores)


def test_multi_skill_item_updates_each_skill_and_reports_status() -> None:
    course = _course()
    out = apply_response(course, LearnerState("l", "c"), _resp(0, "iab"))
    assert [o.skill_id for o in out.skills] == ["a", "b"]
    assert out.skills[0].p_known == out.skills[1].p_known
    assert out.skills[1].status == "locked"
    assert out.state.last_skill == "a"
    assert out.state.recent_items == ("iab",)


def test_bad_responses() -> None:
    course = _course()
    with pytest.raises(InvalidInputError) as err:
        apply_response(course, LearnerState("l", "c"), _resp(0, score=1.2))
    assert err.value.field == "score"
    with pytest.raises(NotFoundError):
        apply_response(course, LearnerState("l", "c"), _resp(0, item="zz"))
    with pytest.raises(InvalidInputError) as err:
        apply_response(course, LearnerState("l", "c"), Response("", "l", "c", "ia", 1.0, 0, 0.0))
    assert err.value.field == "event_id"


def test_is_mastered_rule() -> None:
    policy = MasteryPolicy(threshold=0.95, min_attempts=3, consecutive_correct=2)
    assert is_mastered(SkillState(0.96, 3, 2), policy)
    assert not is_mastered(SkillState(0.94, 3, 2), policy)
    assert not is_mastered(SkillState(0.96, 2, 2), policy)
    assert not is_mastered(SkillState(0.96, 3, 1), policy)
