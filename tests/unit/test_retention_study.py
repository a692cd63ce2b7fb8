"""The review-schedule study (issue 15 part 3): its tutoring phase is the realistic study's,
its follow-up and probe count what they say, a seed reproduces it, and the bench's figures."""

from __future__ import annotations

import asyncio

from attune.engine.domain.tutoring import TutorPolicy
from attune.models.simulation.graphs import wide_course
from attune.models.simulation.realistic import StudyConfig, run_study
from attune.models.simulation.retention import ARMS, LearnerRetention, RetentionConfig, run_arm
from bench.retention import seed_figures

CONFIG = RetentionConfig(learners=3, seeds=(1,))


def _run(arm: str) -> list[LearnerRetention]:
    return asyncio.run(run_arm(wide_course(), 1, arm, CONFIG))


def test_tutoring_phase_is_the_realistic_study_and_the_follow_up_adds_reviews() -> None:
    assert ARMS["recall"] == TutorPolicy().review  # the study's engine runs the default
    study = run_study(["wide"], ["ours"], StudyConfig(learners=3, seeds=(1,)))
    mine = _run("recall")
    assert [(r.items, r.reviews, r.retained) for r in study[("wide", 1, "ours")]] == [
        (r.items, r.marks, r.kept_leave) for r in mine
    ]
    for r in mine:
        assert r.declared and 0 <= r.kept_leave <= r.marks and 0 <= r.kept_followed <= r.marks
        assert 0 <= r.reviews_known <= r.reviews
    assert sum(r.followup_items for r in mine) > 0 and sum(r.reviews for r in mine) > 0
    assert mine == _run("recall"), "a seed reproduces the run"


def test_seed_figures_pool_forgetting_learners_for_retention_and_recall() -> None:
    keeps = LearnerRetention(
        forgets=False, items=100, declared=True, marks=10, kept_leave=10, kept_followed=10,
        reviews=4, reviews_known=4,
    )  # fmt: skip
    forgets = LearnerRetention(
        forgets=True, items=200, declared=True, followup_items=6, marks=10, kept_leave=7,
        kept_followed=8, reviews=6, reviews_known=3, reopened=2,
    )  # fmt: skip
    fig = seed_figures([keeps, forgets])
    assert fig["ret leave"] == 0.7 and fig["ret follow"] == 0.8 and fig["recall@rev"] == 0.5
    assert fig["rev/l"] == 5.0 and fig["reopen/l"] == 1.0 and fig["items"] == 150.0
    assert fig["follow"] == 3.0
    assert seed_figures([keeps])["ret leave"] is None  # no forgetting learner: no figure
