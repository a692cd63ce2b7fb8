"""Forgetting-aware review scheduling (issue 15 part 3): the pure memory model, the update of a
mastered skill, re-opening on a failed review, the codec and the settings."""

from __future__ import annotations

import itertools
import json
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from attune.engine.adapters.codec import decode_state, encode_state
from attune.engine.domain import review
from attune.engine.domain.bkt import BktParams
from attune.engine.domain.course import DiagnosticPolicy, Item, MasteryPolicy, Skill, build_course
from attune.engine.domain.learner import LearnerState, Response, SkillState
from attune.engine.domain.policy import Reason, SelectionContext, recommend
from attune.engine.domain.tutoring import HOUR, ReviewPolicy, TutorPolicy
from attune.engine.domain.update import apply_response
from attune.engine.settings import EngineSettings

BKT = BktParams(prior=0.3, learn=0.2, guess=0.2, slip=0.1)
COURSE = build_course(
    "c",
    [Skill("a", bkt=BKT), Skill("b", bkt=BKT, prerequisites=("a",))],
    [Item(f"{s}{n}", (s,)) for s in "ab" for n in (1, 2)],
    MasteryPolicy(threshold=0.9, min_attempts=2, consecutive_correct=2),
    diagnostic=DiagnosticPolicy(enabled=False),
)
POLICY = ReviewPolicy()
TUTOR = TutorPolicy(review=POLICY)
T0 = 1_000_000.0


def _answer(state: LearnerState, n: int, item: str, right: bool, at: float, tutor=TUTOR):
    response = Response(f"e{n}", "l", "c", item, 1.0 if right else 0.0, 9000, at)
    return apply_response(COURSE, state, response, 1.0, tutor)


def _mastered(tutor: TutorPolicy = TUTOR) -> LearnerState:
    state = LearnerState("l", "c")
    for n in range(3):
        state = _answer(state, n, "a1", True, T0 + n, tutor).state
    a = state.skills["a"]  # mastered at the 2nd answer; the 3rd, massed, barely counts
    assert a.mastered and review.half_life(a, tutor.review) == pytest.approx(
        review.initial_half_life(tutor.review), rel=1e-4
    )
    return state


def _mastered_skill(h: float = 0.0) -> SkillState:
    return SkillState(p_known=0.99, attempts=5, mastered=True, last_practiced=T0, half_life=h)


# -- the memory model ----------------------------------------------------------------------


def test_first_review_falls_interval_after_mastery_at_the_target_recall() -> None:
    skill = _mastered_skill()
    due = review.due_at(skill, POLICY)
    assert due == pytest.approx(T0 + 24 * HOUR)
    assert review.recall(skill, due, POLICY) == pytest.approx(0.9)
    assert review.recall(skill, T0, POLICY) == 1.0
    assert review.overdue(skill, due - 1, POLICY) == 0.0 and review.overdue(skill, due, POLICY) > 0
    # A stricter target makes reviews come sooner for the same memory.
    strict = ReviewPolicy(target_recall=0.95)
    h = review.half_life(skill, POLICY)
    assert review.due_at(_mastered_skill(h), strict) == pytest.approx(T0 + h * math.log2(1 / 0.95))
    assert review.due_at(SkillState(p_known=0.99, last_practiced=T0), POLICY) is None


def test_growth_is_growth_when_due_more_when_later_less_when_earlier() -> None:
    assert review.growth_factor(0.9, POLICY) == pytest.approx(2.0)
    assert review.growth_factor(0.85, POLICY) == pytest.approx(2.5)
    assert review.growth_factor(0.95, POLICY) == pytest.approx(1.5)
    assert review.growth_factor(1.0, POLICY) == 1.0  # massed practice: no gain
    assert review.growth_factor(0.1, POLICY) == POLICY.max_growth


@given(st.floats(0.0, 1.0), st.floats(0.0, 1.0))
def test_growth_is_bounded_and_falls_with_recall(p: float, q: float) -> None:
    lo, hi = sorted((p, q))
    assert 1.0 <= review.growth_factor(hi, POLICY) <= review.growth_factor(lo, POLICY) <= 4.0


@given(st.floats(0.0, 1e8), st.floats(HOUR, 1e8))
def test_recall_is_a_probability_that_falls_with_time(dt: float, h: float) -> None:
    skill = _mastered_skill(h)
    p = review.recall(skill, T0 + dt, POLICY)
    assert 0.0 <= p <= 1.0
    assert review.recall(skill, T0 + dt + HOUR, POLICY) <= p


def test_a_wrong_answer_shrinks_the_half_life_down_to_a_floor() -> None:
    skill = _mastered_skill(10 * HOUR)
    after = review.after_answer(skill, skill, False, T0 + HOUR, POLICY)
    assert after.half_life == pytest.approx(5 * HOUR) and after.reviews == 0
    tiny = _mastered_skill(1.5 * HOUR)
    assert review.after_answer(tiny, tiny, False, T0, POLICY).half_life == review.MIN_HALF_LIFE_S


def test_policy_refuses_bad_knobs() -> None:
    with pytest.raises(ValueError, match="target_recall"):
        ReviewPolicy(target_recall=1.0)
    with pytest.raises(ValueError, match="growth"):
        ReviewPolicy(growth=5.0)
    with pytest.raises(ValueError, match="schedule"):
        ReviewPolicy(schedule="weekly")  # type: ignore[arg-type]


# -- the engine's update -------------------------------------------------------------------


def test_spaced_successful_reviews_push_the_next_review_further_each_time() -> None:
    state = _mastered()
    intervals = [review.interval(state.skills["a"], POLICY)]
    for n in range(3, 7):  # answer each review an hour after it falls due
        due = review.due_at(state.skills["a"], POLICY)
        assert due is not None
        out = _answer(state, n, "a2", True, due + HOUR)
        state = out.state
        assert state.skills["a"].mastered and out.revoked == ()
        intervals.append(review.interval(state.skills["a"], POLICY))
    assert state.skills["a"].reviews == 4
    assert all(b > 2.0 * a for a, b in itertools.pairwise(intervals))


def test_late_review_gains_more_than_an_on_time_one() -> None:
    state = _mastered()
    due = review.due_at(state.skills["a"], POLICY)
    assert due is not None
    on_time = _answer(state, 3, "a2", True, due).state.skills["a"]
    late = _answer(state, 3, "a2", True, due + 24 * HOUR).state.skills["a"]
    massed = _answer(state, 3, "a2", True, T0 + 60).state.skills["a"]
    h0 = review.initial_half_life(POLICY)
    assert on_time.half_life == pytest.approx(2.0 * h0, rel=1e-4)
    assert late.half_life > on_time.half_life
    assert h0 < massed.half_life < 1.01 * h0 and massed.reviews == 0  # not a review


def test_failed_review_reopens_the_skill_whatever_the_margin_and_no_second_event() -> None:
    state = _mastered()
    a = state.skills["a"]
    due = review.due_at(a, POLICY)
    assert due is not None
    # One slip before the review is due: hysteresis keeps mastery (P(L) above the margin).
    slip = _answer(state, 3, "a2", False, T0 + HOUR)
    assert slip.state.skills["a"].mastered and slip.revoked == ()
    assert slip.state.skills["a"].half_life == pytest.approx(0.5 * review.half_life(a, POLICY))
    # The same single wrong answer at the review re-opens the skill.
    out = _answer(state, 3, "a2", False, due + HOUR)
    assert out.state.skills["a"].p_known >= 0.9 - POLICY.revoke_margin  # margin rule: no
    assert out.revoked == ("a",) and not out.state.skills["a"].mastered
    assert out.state.skills["a"].ever_mastered
    recs = recommend(COURSE, out.state, 1, SelectionContext(now=due + HOUR + 30))
    assert recs[0].skill_id == "a" and Reason.REVIEW not in recs[0].reasons  # practice again
    state, events = out.state, []
    for n in range(4, 8):
        step = _answer(state, n, "a1", True, due + HOUR + 30 * n)
        state, events = step.state, [*events, *step.mastery_events]
    assert state.skills["a"].mastered and events == []


def test_without_reopen_a_failed_review_keeps_the_margin_rule() -> None:
    tutor = TutorPolicy(review=ReviewPolicy(reopen=False))
    state = _mastered(tutor)
    due = review.due_at(state.skills["a"], tutor.review)
    assert due is not None
    out = _answer(state, 3, "a2", False, due + HOUR, tutor)
    assert out.state.skills["a"].mastered and out.revoked == ()


def test_doubling_schedule_is_the_engine_before_issue_15() -> None:
    tutor = TutorPolicy(
        review=ReviewPolicy(schedule="doubling", interval_s=48 * HOUR, reopen=False)
    )
    state = _mastered(tutor)
    a = state.skills["a"]
    assert review.due_at(a, tutor.review) == pytest.approx(a.last_practiced + 48 * HOUR)
    out = _answer(state, 3, "a2", True, a.last_practiced + 60 * HOUR, tutor)
    b = out.state.skills["a"]
    assert b.review_interval == pytest.approx(96 * HOUR) and b.reviews == 1
    assert b.half_life == 0.0


def test_the_due_review_is_recommended_once_recall_reaches_the_target() -> None:
    state = _mastered()
    due = review.due_at(state.skills["a"], POLICY)
    assert due is not None
    b_ready = recommend(COURSE, state, 1, SelectionContext(now=due - 60, tutor=TUTOR))
    assert b_ready[0].skill_id == "b"
    recs = recommend(COURSE, state, 1, SelectionContext(now=due + 60, tutor=TUTOR))
    assert recs[0].skill_id == "a" and recs[0].reasons[0] is Reason.REVIEW


# -- storage and settings ------------------------------------------------------------------


def test_codec_round_trips_the_half_life_and_reads_states_stored_before_it() -> None:
    state = LearnerState("l", "c", skills={"a": _mastered_skill(123456.789)})
    assert decode_state(encode_state(state)) == state
    body = json.loads(encode_state(state))
    body["s"]["a"] = body["s"]["a"][:12]  # a row written before the half-life existed
    old = decode_state(json.dumps(body))
    assert old.skills["a"].half_life == 0.0 and old.skills["a"].mastered


def test_settings_build_the_review_policy_and_refuse_bad_values(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ATTUNE_TUTOR__REVIEW_TARGET_RECALL", "0.85")
    monkeypatch.setenv("ATTUNE_TUTOR__REVIEW_SCHEDULE", "doubling")
    policy = EngineSettings().tutor.policy().review
    assert (policy.target_recall, policy.schedule, policy.reopen) == (0.85, "doubling", True)
    monkeypatch.setenv("ATTUNE_TUTOR__REVIEW_TARGET_RECALL", "1.2")
    with pytest.raises(ValidationError, match="review_target_recall"):
        EngineSettings()
    monkeypatch.setenv("ATTUNE_TUTOR__REVIEW_TARGET_RECALL", "0.9")
    monkeypatch.setenv("ATTUNE_TUTOR__REVIEW_GROWTH", "6")
    with pytest.raises(ValidationError, match="review_max_growth"):
        EngineSettings()
