"""BKT forward filter: hand-computed values and hypothesis properties."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from attune.engine.domain import bkt
from attune.engine.domain.bkt import BktParams
from attune.engine.domain.errors import InvalidInputError

probability = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)
inner = st.floats(min_value=0.01, max_value=0.99, allow_nan=False)


@st.composite
def params(draw: st.DrawFn) -> BktParams:
    guess = draw(st.floats(min_value=0.01, max_value=0.49))
    slip = draw(st.floats(min_value=0.01, max_value=0.49))
    return BktParams(
        prior=draw(inner),
        learn=draw(probability),
        guess=guess,
        slip=slip,
        forget=draw(st.floats(min_value=0.0, max_value=0.5)),
    )


def test_step_matches_hand_computation() -> None:
    p = BktParams(prior=0.3, learn=0.1, guess=0.2, slip=0.1, forget=0.0)
    # correct: 0.3*0.9 / (0.3*0.9 + 0.7*0.2) = 0.27 / 0.41
    post = 0.27 / 0.41
    assert bkt.posterior(0.3, 1.0, p) == pytest.approx(post, abs=1e-15)
    assert bkt.step(0.3, 1.0, p) == pytest.approx(post + (1 - post) * 0.1, abs=1e-15)
    # wrong: 0.3*0.1 / (0.3*0.1 + 0.7*0.8)
    post_wrong = 0.03 / 0.59
    assert bkt.step(0.3, 0.0, p) == pytest.approx(post_wrong + (1 - post_wrong) * 0.1, abs=1e-15)
    assert bkt.p_correct(0.3, p) == pytest.approx(0.3 * 0.9 + 0.7 * 0.2, abs=1e-15)


def test_forgetting_lowers_a_certain_belief() -> None:
    p = BktParams(prior=0.5, learn=0.0, guess=0.2, slip=0.1, forget=0.25)
    assert bkt.transition(1.0, p) == pytest.approx(0.75)


@given(p=params(), belief=probability, score=probability)
def test_posterior_and_step_stay_in_unit_interval(
    p: BktParams, belief: float, score: float
) -> None:
    post = bkt.posterior(belief, score, p)
    nxt = bkt.step(belief, score, p)
    assert 0.0 <= post <= 1.0
    assert 0.0 <= nxt <= 1.0


@given(p=params(), belief=probability)
def test_correct_answer_never_lowers_belief_before_transition(p: BktParams, belief: float) -> None:
    assert bkt.posterior(belief, 1.0, p) >= belief - 1e-12


@given(p=params(), belief=probability)
def test_wrong_answer_never_raises_belief_before_transition(p: BktParams, belief: float) -> None:
    assert bkt.posterior(belief, 0.0, p) <= belief + 1e-12


@given(p=params(), belief=inner, a=probability, b=probability)
def test_partial_credit_is_monotone_in_score(
    p: BktParams, belief: float, a: float, b: float
) -> None:
    lo, hi = sorted((a, b))
    assert bkt.posterior(belief, lo, p) <= bkt.posterior(belief, hi, p) + 1e-12


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"prior": 1.5}, "bkt.prior"),
        ({"learn": -0.1}, "bkt.learn"),
        ({"forget": math.nan}, "bkt.forget"),
        ({"guess": 0.6, "slip": 0.4}, "bkt.guess"),
    ],
)
def test_invalid_parameters_name_the_field(kwargs: dict[str, float], field: str) -> None:
    with pytest.raises(InvalidInputError) as err:
        BktParams(**kwargs).validate()
    assert err.value.field == field
