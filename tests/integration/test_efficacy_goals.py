"""Issue 15's goals on a small but meaningful run of the realistic study.

Every policy, the oracle included, tutors the same realistic learners on the narrow and deep
graph (15 skills) through real engines over gRPC, with the ``adaptive`` mastery preset. The
run is seeded, so the figures are reproducible: what this test asserts is what
``python -m bench.efficacy --mastery adaptive`` reports for these seeds and learners.
"""

from __future__ import annotations

import pytest

from attune.engine.domain.course import MASTERY_PRESETS
from attune.models.simulation.realistic import STUDY_POLICIES, StudyConfig, run_study
from attune.models.simulation.study import Spread
from attune.models.simulation.study_report import summarize_study

pytestmark = [pytest.mark.integration, pytest.mark.slow]

BASELINES = ("static", "random", "alosi")


def _mean(value: Spread | None) -> float:
    assert value is not None
    return value.mean


def test_the_adaptive_rule_meets_the_knowledge_goals_and_beats_every_baseline() -> None:
    config = StudyConfig(
        learners=8, seeds=(1, 2), workers=2, mastery=MASTERY_PRESETS["adaptive"]
    )
    summary = summarize_study(run_study(["deep"], STUDY_POLICIES, config))["deep"]
    ours = summary["ours"]
    # The goals the engine meets on this graph (README, "Tutoring efficacy").
    assert _mean(ours["knew_all_at_declaration"]) >= 0.95
    assert _mean(ours["declared_not_known"]) <= 0.2
    assert _mean(ours["retention_48h"]) >= 0.9
    # Better than every baseline on each goal, in the same run.
    for name in BASELINES:
        other = summary[name]
        assert _mean(ours["ratio_to_oracle"]) < _mean(other["ratio_to_oracle"]), name
        assert _mean(ours["declared_not_known"]) < _mean(other["declared_not_known"]), name
        if other["knew_all_at_declaration"] is not None:
            assert _mean(ours["knew_all_at_declaration"]) >= _mean(
                other["knew_all_at_declaration"]
            ), name
    # The items goal (at most 1.5x the oracle) is not met on this graph: the README gives the
    # ratio for every graph.
