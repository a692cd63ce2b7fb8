"""Explained selection: readiness, the blend, one item per skill, reasons."""

from __future__ import annotations

import pytest

from attune.engine.domain.bkt import BktParams
from attune.engine.domain.course import DiagnosticPolicy, Item, Skill, build_course
from attune.engine.domain.learner import LearnerState, SkillState
from attune.engine.domain.policy import WEIGHTS, Reason, recommend, zpd_score

BKT = BktParams(prior=0.3, learn=0.2, guess=0.2, slip=0.1)
COURSE = build_course(
    "c",
    [
        Skill("a", bkt=BKT),
        Skill("b", bkt=BKT, prerequisites=("a",)),
        Skill("x", bkt=BKT),
        Skill("y", bkt=BKT, prerequisites=("x", "b")),
    ],
    [Item(f"{s}{n}", (s,)) for s in "abxy" for n in (1, 2)],
    diagnostic=DiagnosticPolicy(enabled=False),
)


def test_zpd_band() -> None:
    assert zpd_score(0.55) == 1.0
    assert zpd_score(0.4) == 1.0 and zpd_score(0.7) == 1.0
    assert zpd_score(0.2) == pytest.approx(0.5)
    assert zpd_score(0.85) == pytest.approx(0.5)
    assert zpd_score(0.0) == 0.0 and zpd_score(1.0) == 0.0


def test_only_ready_unmastered_skills_are_recommended() -> None:
    recs = recommend(COURSE, LearnerState("l", "c"), 10)
    assert {r.skill_id for r in recs} == {"a", "x"}
    state = LearnerState("l", "c", skills={"a": SkillState(0.99, 5, 5, mastered=True)})
    recs = recommend(COURSE, state, 10)
    assert {r.skill_id for r in recs} == {"b", "x"}


def test_one_item_per_skill_first_then_fill() -> None:
    recs = recommend(COURSE, LearnerState("l", "c"), 3)
    assert [r.skill_id for r in recs][:2] in (["a", "x"], ["x", "a"])
    assert len(recs) == 3


def test_score_is_the_documented_blend_and_reasons_explain_it() -> None:
    state = LearnerState(
        "l", "c", skills={"a": SkillState(0.3, 2, 0)}, recent_items=("a1",), last_skill="a"
    )
    recs = {r.item_id: r for r in recommend(COURSE, state, 10)}
    a1, a2 = recs["a1"], recs["a2"]
    for r in (a1, a2):
        assert r.score == pytest.approx(sum(WEIGHTS[k] * v for k, v in r.components.items()))
    assert a1.components["novelty"] == 0.0 and a2.components["novelty"] == 1.0
    assert a2.score > a1.score
    assert Reason.REMEDIATION in a2.reasons and Reason.CONTINUITY in a2.reasons
    assert Reason.NOVELTY not in a1.reasons
    assert Reason.READY in a2.reasons


def test_everything_mastered_offers_review_of_the_weakest() -> None:
    skills = {s: SkillState(0.99 if s != "b" else 0.96, 5, 5, mastered=True) for s in "abxy"}
    recs = recommend(COURSE, LearnerState("l", "c", skills=skills), 2)
    assert recs[0].skill_id == "b"
    assert all(r.reasons[0] is Reason.REVIEW for r in recs)
