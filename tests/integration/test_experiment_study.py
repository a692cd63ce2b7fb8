"""The experiment study (issue 15 part 5): both arms on one cohort of realistic learners in
one engine; the engine's report agrees with what the simulator saw, arm by arm."""

from __future__ import annotations

import pytest

from attune.models.simulation.experiment_study import STRICT, run_experiment

pytestmark = [pytest.mark.integration, pytest.mark.slow]


async def test_the_engine_report_agrees_with_the_simulators_record() -> None:
    result = await run_experiment("wide", 5, 7, STRICT)
    truth = {t["arm_id"]: t for t in result["truth"]}
    report = result["engine_report"]
    assert sum(t["learners"] for t in truth.values()) == 5
    for arm in report["arms"]:
        seen = truth[arm["arm_id"]]
        assert arm.get("learners", 0) == seen["learners"]
        # The simulator stops a learner when the engine declares the graph mastered: the
        # report's course mastery is exactly those declarations, at the same answer count.
        assert arm["course_mastered"].get("successes", 0) == seen["declared"]
        if seen["declared"]:
            mean = arm["answers_to_course_mastery"]["mean"]
            assert mean == pytest.approx(seen["items_when_declared"])
    assert report["arms"][1]["mastery"]["min_attempts"] == 8
