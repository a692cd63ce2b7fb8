"""Learner-adapted mastery (engine/domain/adaptive.py), presets and course completion."""

from __future__ import annotations

import dataclasses
import math
import random

import pytest

from attune.engine.adapters.codec import decode_state, encode_state
from attune.engine.domain import adaptive, review
from attune.engine.domain.course import MASTERY_PRESETS, Course, MasteryPolicy
from attune.engine.domain.course_json import course_from_json, course_to_json
from attune.engine.domain.errors import InvalidInputError
from attune.engine.domain.learner import LearnerState, Response, SkillState
from attune.engine.domain.tutoring import HOUR, ReviewPolicy, TutorPolicy
from attune.engine.domain.update import apply_response
from attune.models.simulation.graphs import NOMINAL, wide_course

START = 1_736_154_000.0


def _course(policy: MasteryPolicy) -> Course:
    course = wide_course()
    return dataclasses.replace(
        course, mastery=policy, diagnostic=dataclasses.replace(course.diagnostic, enabled=False)
    )


def _run(course: Course, answers: list[tuple[str, bool]], gap: float = 30.0) -> list[LearnerState]:
    state = LearnerState(learner_id="l", course_id=course.course_id)
    states = []
    for n, (item, right) in enumerate(answers):
        response = Response(
            event_id=f"e{n}",
            learner_id="l",
            course_id=course.course_id,
            item_id=item,
            score=1.0 if right else 0.0,
            response_time_ms=9000,
            occurred_at=START + n * gap,
        )
        state = apply_response(course, state, response).state
        states.append(state)
    return states


def _guesser(seed: int = 7, rate: float = 0.45) -> list[tuple[str, bool]]:
    """Someone who knows none of the root skills and guesses right 45% of the time."""
    rng = random.Random(seed)
    roots = ("w00", "w01", "w02", "w03")
    return [(f"{sid}/{1 + n % 3}", rng.random() < rate) for sid in roots for n in range(12)]


def test_the_learner_types_are_a_normal_prior_by_quadrature() -> None:
    types = adaptive.learner_types(0.7)
    assert len(types) == 27
    assert sum(math.exp(t.log_weight) for t in types) == pytest.approx(1.0)
    # Each offset has mean 0 and variance sd^2 under the quadrature weights.
    for name in ("d_learn", "d_guess", "d_slip"):
        mean = sum(math.exp(t.log_weight) * getattr(t, name) for t in types)
        var = sum(math.exp(t.log_weight) * getattr(t, name) ** 2 for t in types)
        assert mean == pytest.approx(0.0, abs=1e-12)
        assert var == pytest.approx(0.49)
    for params in adaptive.type_params(NOMINAL, 0.7):
        assert params.guess + params.slip < 1.0


def test_plain_bkt_is_unchanged_where_mastery_adapts() -> None:
    """p_known stays pyBKT's filter (tests/integration/test_bkt_over_grpc.py holds it to
    pyBKT to 1e-9): adaptation only adds beliefs beside it."""
    answers = _guesser()
    plain = _run(_course(MasteryPolicy(0.98, 3, 2)), answers)
    adapted = _run(_course(MasteryPolicy(0.98, 3, 2, individual_sd=0.7)), answers)
    for a, b in zip(plain, adapted, strict=True):
        assert {k: s.p_known for k, s in a.skills.items()} == {
            k: s.p_known for k, s in b.skills.items()
        }
        assert not a.type_loglik and len(b.type_loglik) == 27


def test_a_guesser_is_recognised_and_not_declared_mastered() -> None:
    answers = _guesser(seed=3)
    plain = _run(_course(MasteryPolicy(0.95, 3, 2)), answers)[-1]
    adapted = _run(_course(MasteryPolicy(0.95, 3, 2, individual_sd=0.7)), answers)[-1]
    weights = adaptive.posterior_weights(adapted.type_loglik, 0.7)
    types = adaptive.learner_types(0.7)
    high_guess = sum(w for w, t in zip(weights, types, strict=True) if t.d_guess > 0)
    assert high_guess > 0.5  # the prior gives 1/6
    assert plain.mastered()  # plain BKT certifies skills this learner never knew...
    assert not adapted.mastered()  # ...the adapted belief does not
    for sid in plain.mastered():
        skill = adapted.skills[sid]
        assert adaptive.adapted_p_known(skill.p_types, weights) < skill.p_known


def test_a_learner_who_knows_the_skill_still_masters_it_quickly() -> None:
    course = _course(MASTERY_PRESETS["adaptive"])
    states = _run(course, [(f"w00/{1 + n % 3}", True) for n in range(8)])
    first = next(n for n, s in enumerate(states) if "w00" in s.mastered())
    assert first <= 4  # five right answers at most


def test_state_codec_round_trips_the_adapted_beliefs_and_reads_old_states() -> None:
    state = _run(_course(MASTERY_PRESETS["adaptive"]), _guesser()[:10])[-1]
    back = decode_state(encode_state(state))
    assert back == state
    assert back.type_loglik == state.type_loglik and back.skills["w00"].p_types
    plain = _run(_course(MasteryPolicy()), _guesser()[:10])[-1]
    assert '"pt"' not in encode_state(plain) and '"tl"' not in encode_state(plain)
    assert decode_state(encode_state(plain)) == plain


def test_presets_and_their_validation_name_the_field() -> None:
    raw = course_to_json(wide_course())
    raw["mastery"] = {"preset": "adaptive"}
    assert course_from_json(raw).mastery == MASTERY_PRESETS["adaptive"]
    raw["mastery"] = {"preset": "eight-attempts", "threshold": 0.97}
    assert course_from_json(raw).mastery == MasteryPolicy(0.97, 8, 2)
    raw["mastery"] = {"preset": "strictest"}
    with pytest.raises(InvalidInputError) as err:
        course_from_json(raw)
    assert err.value.field == "course.mastery.preset" and "adaptive" in str(err.value)
    raw["mastery"] = {
        "threshold": 0.95,
        "min_attempts": 3,
        "consecutive_correct": 2,
        "individual_sd": 2.5,
    }
    with pytest.raises(InvalidInputError) as err:
        course_from_json(raw)
    assert err.value.field == "course.mastery.individual_sd"
    raw["mastery"] = {"preset": "adaptive"}
    raw["skills"][0]["mastery"] = {"preset": "classic", "individual_sd": 0.3}
    with pytest.raises(InvalidInputError) as err:
        course_from_json(raw)
    assert err.value.field == "course.skills[0].mastery.individual_sd"
    raw["skills"][0]["mastery"] = {"preset": "classic"}  # plain BKT for that skill: allowed
    assert course_from_json(raw).skills["w00"].mastery == MasteryPolicy()


def test_completion_needs_every_skill_fresh_and_a_failed_check_reopens() -> None:
    policy = ReviewPolicy()
    now = START + 100 * HOUR
    skill = SkillState(
        p_known=0.99, attempts=4, correct_streak=3, mastered=True, last_practiced=now - HOUR
    )
    assert review.fresh(skill, now, policy)
    # Mastered in an earlier session: predicted recall under the bar, so not fresh.
    old = dataclasses.replace(skill, last_practiced=now - 20 * HOUR)
    assert review.recall(old, now, policy) < policy.complete_recall
    assert not review.fresh(old, now, policy)
    assert review.reopens(old, right=False, at=now, policy=policy)
    assert not review.reopens(skill, right=False, at=now, policy=policy)  # a slip, same session
    # A last answer that was wrong never counts towards completion.
    assert not review.fresh(dataclasses.replace(skill, correct_streak=0), now, policy)


def test_the_course_is_complete_only_once_old_skills_are_checked() -> None:
    course = _course(MasteryPolicy(0.95, 3, 2))
    # Master every skill in one long session (order respects prerequisites).
    answers = [(f"{sid}/{1 + n % 3}", True) for sid in course.order for n in range(4)]
    states = _run(course, answers)
    tutor = TutorPolicy()
    state = states[-1]
    assert state.mastered() == set(course.skills)
    end = START + len(answers) * 30.0
    assert all(review.fresh(s, end, tutor.review) for s in state.skills.values())
    # A day later none is fresh: the next answer on one skill does not complete the course.
    later = end + 24 * HOUR
    response = Response("x", "l", course.course_id, "w00/1", 1.0, 9000, later)
    outcome = apply_response(course, state, response, policy=tutor)
    assert not outcome.complete
    # A wrong answer at that check re-opens the skill.
    wrong = Response("y", "l", course.course_id, "w01/1", 0.0, 9000, later + 30)
    assert "w01" in apply_response(course, outcome.state, wrong, policy=tutor).revoked


def test_a_failed_review_stays_open_even_without_a_streak_rule() -> None:
    course = _course(MasteryPolicy(0.95, 1, 0))
    states = _run(course, [("w00/1", True)] * 4)
    assert "w00" in states[-1].mastered()
    later = START + 30 * 24 * HOUR  # long past due
    wrong = Response("late", "l", course.course_id, "w00/2", 0.0, 9000, later)
    outcome = apply_response(course, states[-1], wrong, policy=TutorPolicy())
    assert outcome.revoked == ("w00",)
    assert "w00" not in outcome.state.mastered()
