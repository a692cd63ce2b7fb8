"""The experiment report on a hand-made log (issue 15 part 5): per-arm figures, their
intervals (t, Wilson, Newcombe, delta method) and the comparison with the baseline."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest
from scipy import stats

from attune.engine.domain.analytics.experiment import ExperimentAccumulator, ExperimentReport
from attune.engine.domain.analytics.intervals import (
    mean_interval,
    relative_change,
    share_interval,
    t975,
)
from attune.engine.domain.analytics.maths import difference_interval, wilson
from attune.engine.domain.analytics.observation import Observation
from attune.engine.domain.course import Course
from attune.engine.domain.experiments import Arm, Experiment, arm_of
from attune.engine.grpc.convert import course_from_pb
from tests.support.courses import chain_course

T0 = 1_800_000_000.0
H = 3600.0
EXP = Experiment("exp", (Arm("A"), Arm("B")), started_at=T0)


def _course() -> Course:
    base = course_from_pb(chain_course())
    # Two skills only: course mastery needs a and b.
    skills = {k: v for k, v in base.skills.items() if k in ("a", "b")}
    return replace(base, skills=skills, order=("a", "b"), experiment=EXP)


def _learners(arm: str, count: int) -> list[str]:
    course = _course()
    found = [f"u{k}" for k in range(200) if arm_of(course, "t", f"u{k}") == arm]
    return found[:count]


class _Log:
    def __init__(self) -> None:
        self.log_id = 0
        self.out: list[Observation] = []
        self.held: dict[str, set[str]] = {}  # mastered skills per learner, by the flags

    def add(
        self,
        learner: str,
        at: float,
        skill: str,
        correct: bool,
        mastered: bool,
        newly: bool = False,
        revoked: bool = False,
        credibility: float = 1.0,
    ) -> None:
        self.log_id += 1
        held = self.held.setdefault(learner, set())
        (held.add if mastered else held.discard)(skill)
        self.out.append(
            Observation(
                log_id=self.log_id,
                learner_id=learner,
                item_id=f"{skill}1",
                skill_ids=(skill,),
                score=1.0 if correct else 0.0,
                occurred_at=at,
                p_known=(0.99 if mastered else 0.5,),
                mastered=(mastered,),
                credibility=credibility,
                newly_mastered=(skill,) if newly else (),
                revoked=(skill,) if revoked else (),
                # The engine's COMPLETE: both skills mastered, none due (no time passes here).
                complete={"a", "b"} <= held,
            )
        )


def _report() -> ExperimentReport:
    a1, a2 = _learners("A", 2)
    b1, b2 = _learners("B", 2)
    log = _Log()
    t = T0 + 10
    # a1: a mastered at its 3rd answer, b at its 2nd: the course at answer 5, 4 s in.
    log.add(a1, t, "a", False, False)
    log.add(a1, t + 1, "a", True, False)
    log.add(a1, t + 2, "a", True, True, newly=True)
    log.add(a1, t + 3, "b", True, False)
    log.add(a1, t + 4, "b", True, True, newly=True)
    # A too-fast answer does not settle the check; 3 days on, a wrong answer revokes a.
    log.add(a1, t + 5, "a", True, True, credibility=0.2)
    log.add(a1, t + 3 * 24 * H, "a", False, False, revoked=True)
    # a2: a at 3, b at 4: the course at answer 7; a right answer 49 h after a's mastery.
    for k in range(3):
        log.add(a2, t + k, "a", True, k == 2, newly=k == 2)
    for k in range(4):
        log.add(a2, t + 3 + k, "b", True, k == 3, newly=k == 3)
    log.add(a2, t + 2 + 49 * H, "a", True, True)
    # b1: a at 4, b never.
    for k in range(4):
        log.add(b1, t + k, "a", True, k == 3, newly=k == 3)
    log.add(b1, t + 5, "b", False, False)
    # b2 began before the experiment started: left out.
    log.add(b2, T0 - 1, "a", True, False)
    log.add(b2, T0 + 100, "a", True, False)
    accumulator = ExperimentAccumulator("t", "chain", EXP, frozenset({"a", "b"}))
    for obs in log.out:
        accumulator.add(obs)
    return accumulator.snapshot(_course())


def test_per_arm_figures_from_a_hand_made_log() -> None:
    report = _report()
    a, b = report.arms
    assert (a.arm.arm_id, b.arm.arm_id) == ("A", "B")
    assert (a.learners, b.learners) == (2, 1)  # b2 left out
    assert a.answers == 7 + 8 and b.answers == 5
    assert (a.course_mastered.successes, a.course_mastered.total) == (2, 2)
    assert (b.course_mastered.successes, b.course_mastered.total) == (0, 1)
    ttm = a.answers_to_course_mastery
    assert ttm.count == 2 and ttm.mean == 6.0
    half = 12.706205 * math.sqrt(2.0) / math.sqrt(2.0)  # t(0.975, 1) * s / sqrt(n)
    assert ttm.low == pytest.approx(6.0 - half) and ttm.high == pytest.approx(6.0 + half)
    assert a.hours_to_course_mastery.mean == pytest.approx((4 + 6) / 2 / 3600)
    # Per learner, mean answers per mastered skill: a1 (3 + 2) / 2, a2 (3 + 4) / 2.
    assert a.answers_to_skill_mastery.mean == pytest.approx(3.0)
    skill_a = a.skills[0]
    assert (skill_a.skill_id, skill_a.attempted, skill_a.mastered) == ("a", 2, 2)
    assert skill_a.answers_to_mastery.mean == pytest.approx(3.0)
    assert [s.skill_id for s in b.skills] == ["a", "b"]
    assert (b.skills[1].attempted, b.skills[1].mastered) == (1, 0)
    assert b.skills[1].answers_to_mastery.mean is None
    # Premature: a1's a (next credible answer wrong, revoked), a2's a (right); b never seen.
    assert (a.next_answer_wrong.successes, a.next_answer_wrong.total) == (1, 2)
    assert (a.revoked.successes, a.revoked.total) == (1, 2)
    assert (a.next_answer_wrong.low, a.next_answer_wrong.high) == wilson(1, 2)
    # Retention: a1's answer 3 days on (wrong), a2's at 49 h (right).
    assert (a.retention.successes, a.retention.total) == (1, 2)
    assert b.retention.total == 0 and b.retention.share is None


def test_the_comparison_with_the_baseline() -> None:
    report = _report()
    (c,) = report.comparisons
    assert (c.arm_id, c.baseline_arm_id) == ("B", "A")
    assert c.answers_to_course_mastery_change is None  # nobody in B mastered the course
    d, low, high = difference_interval(0, 1, 2, 2)
    assert (c.course_mastered_difference.estimate, c.course_mastered_difference.low) == (d, low)
    assert c.course_mastered_difference.high == high
    assert report.retention_after_s == 48 * H


def test_t_quantiles_match_scipy() -> None:
    for df in (1, 2, 5, 10, 29, 30, 31, 45, 100, 1000, 100_000):
        assert t975(df) == pytest.approx(stats.t.ppf(0.975, df), abs=1e-6)
    with pytest.raises(ValueError):
        t975(0)


def test_mean_interval_matches_scipy() -> None:
    values = [12.0, 15.0, 9.0, 20.0, 14.0, 11.0]
    got = mean_interval(values)
    low, high = stats.t.interval(
        0.95, len(values) - 1, loc=sum(values) / 6, scale=stats.sem(values)
    )
    assert got.low == pytest.approx(low, abs=1e-5) and got.high == pytest.approx(high, abs=1e-5)
    assert mean_interval([]).mean is None
    one = mean_interval([3.0])
    assert one.mean == 3.0 and one.low is None


def test_relative_change_is_the_ratio_of_means_with_a_log_delta_interval() -> None:
    baseline = mean_interval([100.0, 120.0, 80.0, 110.0, 90.0])
    arm = mean_interval([80.0, 90.0, 70.0, 85.0, 75.0])
    change = relative_change(arm, baseline)
    assert change is not None
    assert change.estimate == pytest.approx(80.0 / 100.0 - 1.0)  # "20% fewer"
    assert change.low < change.estimate < change.high < 0.0
    se = math.sqrt(
        arm.sd**2 / (5 * 80.0**2) + baseline.sd**2 / (5 * 100.0**2)  # type: ignore[operator]
    )
    assert change.high == pytest.approx(0.8 * math.exp(1.959963984540054 * se) - 1.0)
    assert relative_change(mean_interval([5.0]), baseline) is None


def test_share_interval_is_wilson() -> None:
    s = share_interval(7, 20)
    assert s.share == 0.35 and (s.low, s.high) == wilson(7, 20)
    assert share_interval(0, 0).share is None


def test_a_removed_learner_leaves_the_report() -> None:
    (a1,) = _learners("A", 1)
    accumulator = ExperimentAccumulator("t", "chain", EXP, frozenset({"a", "b"}))
    log = _Log()
    log.add(a1, T0 + 1, "a", True, True, newly=True)
    log.add(a1, T0 + 3 * 24 * H, "a", True, True)
    for obs in log.out:
        accumulator.add(obs)
    assert accumulator.snapshot(_course()).arms[0].learners == 1
    accumulator.remove_learner(a1)
    arm = accumulator.snapshot(_course()).arms[0]
    assert arm.learners == 0 and arm.retention.total == 0
