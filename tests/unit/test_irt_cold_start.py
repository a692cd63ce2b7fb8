"""IRT EAP ability, Fisher information, the diagnostic and the theta -> prior mapping."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from attune.engine.domain import irt
from attune.engine.domain.bkt import BktParams
from attune.engine.domain.cold_start import diagnostic_done, diagnostic_items, prior_from_theta
from attune.engine.domain.course import DiagnosticPolicy, IrtParams, Item, Skill, build_course
from attune.engine.domain.learner import LearnerState, Response
from attune.engine.domain.policy import Reason, recommend
from attune.engine.domain.refit import adopt
from attune.engine.domain.update import apply_response

BKT = BktParams(prior=0.3, learn=0.2, guess=0.2, slip=0.1)


def _course(diagnostic: DiagnosticPolicy | None = None):
    skills = [Skill(f"s{k}", bkt=BKT, prerequisites=(f"s{k - 1}",) if k else ()) for k in range(12)]
    items = [
        Item(f"s{k}/{lvl}", (f"s{k}",), IrtParams(a=1.5, b=-2.0 + 0.35 * k + 0.3 * lvl))
        for k in range(12)
        for lvl in (1, 2)
    ]
    return build_course("c", skills, items, diagnostic=diagnostic)


def test_3pl_and_information() -> None:
    item = IrtParams(a=1.2, b=0.5, c=0.2)
    assert irt.p_correct(0.5, item) == pytest.approx(0.6)
    assert irt.p_correct(-10, item) == pytest.approx(0.2, abs=1e-4)
    two_pl = IrtParams(a=1.2, b=0.5)
    p = irt.p_correct(1.0, two_pl)
    assert irt.information(1.0, two_pl) == pytest.approx(1.44 * p * (1 - p))
    # Information peaks near b for a 2PL item.
    assert irt.information(0.5, two_pl) > irt.information(2.5, two_pl)


def test_eap_moves_with_evidence_and_se_shrinks() -> None:
    theta0, se0 = irt.eap(irt.PRIOR)
    assert theta0 == pytest.approx(0.0, abs=1e-9)
    assert se0 == pytest.approx(1.0, abs=0.02)
    w = irt.PRIOR
    for _ in range(5):
        w = irt.update(w, IrtParams(a=1.5, b=1.0), 1.0)
    theta, se = irt.eap(w)
    assert theta > 0.8 and se < se0
    low = irt.update(irt.PRIOR, IrtParams(a=1.5, b=0.0), 0.0)
    assert irt.eap(low)[0] < 0


@given(st.sampled_from([0.0, 1.0]), st.floats(0, 1), st.floats(-3, 3))
def test_tempered_update_is_between_prior_and_full(score: float, weight: float, b: float) -> None:
    # For a right/wrong answer log L is monotone in theta, so tempering moves the mean
    # monotonically from the prior to the full update. (Not so for partial credit, where
    # log L peaks inside the grid; hypothesis found such a case.)
    item = IrtParams(a=1.0, b=b)
    full = irt.eap(irt.update(irt.PRIOR, item, score, 1.0))[0]
    part = irt.eap(irt.update(irt.PRIOR, item, score, weight))[0]
    lo, hi = sorted((0.0, full))
    assert lo - 1e-9 <= part <= hi + 1e-9


def test_diagnostic_stops_at_target_se_or_max() -> None:
    course = _course(DiagnosticPolicy(min_items=5, max_items=8, target_se=0.3))
    assert not diagnostic_done(course, 4, 0.1)
    assert diagnostic_done(course, 5, 0.29)
    assert not diagnostic_done(course, 7, 0.5)
    assert diagnostic_done(course, 8, 0.9)


def test_diagnostic_items_are_most_informative_and_one_per_skill() -> None:
    course = _course()
    picks = diagnostic_items(course, irt.PRIOR, [], 4)
    assert len({skill for _i, skill, _info in picks}) == 4
    infos = [info for _i, _s, info in picks]
    assert infos == sorted(infos, reverse=True)
    best = max(course.items.values(), key=lambda i: irt.information_near(0.0, i.irt))
    assert picks[0][0] == best.item_id


def test_prior_from_theta_rises_with_ability_and_shrinks_with_uncertainty() -> None:
    course = _course()
    low = prior_from_theta(course, "s4", -2.0, 0.3)
    high = prior_from_theta(course, "s4", 2.0, 0.3)
    assert 0.0 < low < high < 1.0
    assert prior_from_theta(course, "s4", 2.0, 1.0) == pytest.approx(BKT.prior)
    # Documented inversion: P(L) = (P(correct) - guess) / (1 - guess - slip), shrunk by 1-SE^2.
    items = course.items_for("s4")
    a = sum(i.irt.a for i in items) / 2
    b = sum(i.irt.b for i in items) / 2
    p_right = 1 / (1 + math.exp(-a * (1.0 - b)))
    p_known = min(0.99, max(0.01, (p_right - 0.2) / 0.7))
    assert prior_from_theta(course, "s4", 1.0, 0.5) == pytest.approx(0.75 * p_known + 0.25 * 0.3)


def test_a_refit_course_gets_its_new_typical_item() -> None:
    # The typical item is kept per course version (issue 17); a refit is a new version.
    course = _course()
    before = prior_from_theta(course, "s4", 1.0, 0.5)
    assert prior_from_theta(course, "s4", 1.0, 0.5) == before  # the kept one: the same value
    harder = {i.item_id: IrtParams(a=1.5, b=i.irt.b + 1.0) for i in course.items_for("s4")}
    refit = adopt(course, {}, harder)
    assert prior_from_theta(refit, "s4", 1.0, 0.5) < before
    assert prior_from_theta(course, "s4", 1.0, 0.5) == before  # the old version unchanged
    a = sum(i.irt.a for i in refit.items_for("s4")) / 2
    b = sum(i.irt.b for i in refit.items_for("s4")) / 2
    p_right = 1.0 / (1.0 + math.exp(-a * (1.0 - b)))
    p_known = min(0.99, max(0.01, (p_right - 0.2) / (1.0 - 0.2 - 0.1)))
    w = 1.0 - 0.5 * 0.5
    assert prior_from_theta(refit, "s4", 1.0, 0.5) == w * p_known + (1.0 - w) * 0.3  # exactly


def _answer(state, course, item: str, score: float, n: int):
    return apply_response(course, state, Response(f"e{n}", "l", "c", item, score, 9000, n))


def test_new_learner_is_diagnosed_then_priors_come_from_theta() -> None:
    course = _course()
    state = LearnerState("l", "c")
    recs = recommend(course, state, 3)
    assert all(r.reasons == (Reason.DIAGNOSTIC,) for r in recs)
    n = 0
    while state.in_diagnostic(course):
        item = recommend(course, state, 1)[0].item_id
        out = _answer(state, course, item, 1.0, n)
        state, n = out.state, n + 1
        assert n <= 8
    assert 5 <= n <= 8
    assert out.diagnostic_finished
    theta, se = state.theta()
    assert theta > 0.5
    assert state.prior_theta == pytest.approx((theta, se))
    untouched = [s for s in course.skills if s not in state.skills]
    assert untouched
    for sid in untouched:  # a strong learner starts above the course prior
        assert state.skill(course, sid).p_known > BKT.prior
    after = recommend(course, state, 3)
    assert all(Reason.DIAGNOSTIC not in r.reasons for r in after)


def test_disabled_diagnostic_keeps_course_priors() -> None:
    course = _course(DiagnosticPolicy(enabled=False))
    state = LearnerState("l", "c")
    assert not state.in_diagnostic(course)
    out = _answer(state, course, "s0/1", 1.0, 0)
    assert out.state.prior_theta is None
    assert out.state.skill(course, "s3").p_known == BKT.prior
