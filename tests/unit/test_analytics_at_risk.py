"""At-risk learners: every reason, its sentence and its evidence, on a hand-written log."""

from __future__ import annotations

from typing import Any

from attune.engine.domain.analytics.at_risk import AtRiskAccumulator, AtRiskLearner, RiskKind
from attune.engine.domain.analytics.observation import Observation
from attune.engine.domain.analytics.settings import DAY, AtRiskSettings
from tests.unit.test_analytics_support import course, obs

COURSE = course({"A": (), "B": ("A",)})
SETTINGS = AtRiskSettings(
    failures_in_a_row=3,
    progress_window=3,
    progress_min_learners=3,
    inactive_days=7,
    fast_window=4,
    fast_share=0.5,
    gap_failures=2,
)
NOW = 10 * DAY


def _log() -> list[Observation]:
    rows: list[tuple[str, str, float, float, dict[str, Any]]] = [
        # L1 fails B three times in a row (a too-fast right answer neither breaks nor extends
        # the run) without A, and gains nothing: 3 reasons.
        ("L1", "B", 0, 9.0, {}),
        ("L1", "B", 1, 9.1, {"credibility": 0.2}),
        ("L1", "B", 0, 9.2, {}),
        ("L1", "B", 0, 9.3, {}),
        # L2 answers too fast: 3 of the last 4 (5, 6 and 8).
        ("L2", "A", 1, 9.0, {"credibility": 0.2, "gain": 0.1}),
        ("L2", "A", 1, 9.1, {"credibility": 0.2, "gain": 0.1}),
        ("L2", "A", 1, 9.2, {"gain": 0.1}),
        ("L2", "A", 1, 9.3, {"credibility": 0.2, "gain": 0.0}),
        # L3 stopped on day 1.
        ("L3", "A", 1, 1.0, {"gain": 0.1}),
        ("L3", "A", 1, 1.0, {"gain": 0.1}),
        ("L3", "A", 1, 1.0, {"gain": 0.1}),
        # L4 masters A, loses it, then fails B twice.
        ("L4", "A", 1, 9.0, {"mastered": {"A"}, "gain": 0.2}),
        ("L4", "A", 0, 9.1, {"gain": -0.05}),  # on a mastered skill: not in the window
        ("L4", "B", 0, 9.2, {"gain": 0.0}),
        ("L4", "B", 0, 9.3, {"gain": 0.05}),
        # L5 fails B twice, then gets it right: no run left.
        ("L5", "A", 1, 9.0, {"gain": 0.05}),
        ("L5", "B", 0, 9.1, {"gain": 0.0}),
        ("L5", "B", 0, 9.2, {"gain": 0.0}),
        ("L5", "B", 1, 9.3, {"gain": 0.05}),
    ]
    return [
        obs(n, learner, skill, score, day * DAY, **extra)
        for n, (learner, skill, score, day, extra) in enumerate(rows, 1)
    ]


def _at_risk(settings: AtRiskSettings = SETTINGS, **kw: Any) -> dict[str, AtRiskLearner]:
    acc = AtRiskAccumulator(settings)
    for o in _log():
        acc.add(o)
    found = acc.snapshot(NOW, **{"course": COURSE, **kw})
    return {a.learner_id: a for a in found}


def test_each_reason_with_its_words_and_evidence() -> None:
    found = _at_risk()
    assert list(found) == ["L1", "L2", "L3", "L4"]  # most reasons first; L5 is fine
    l1 = {r.kind: r for r in found["L1"].reasons}
    assert l1[RiskKind.REPEATED_FAILURES].text == "3 wrong answers in a row on Skill B."
    assert l1[RiskKind.REPEATED_FAILURES].evidence == (1, 3, 4)
    assert l1[RiskKind.PREREQUISITE_GAP].text == (
        "Failing Skill B (3 wrong in a row) while the prerequisite Skill A is not mastered."
    )
    assert l1[RiskKind.PREREQUISITE_GAP].skills == ("B", "A")
    # Window gains: L1 0, L2 .2, L3 .3, L4 .2 + 0 + .05, L5 0 + 0 + .05. The 10th percentile
    # of 0, .05, .2, .25, .3 is 0 + 0.4 * 0.05 = 0.02: only L1 is under it.
    assert l1[RiskKind.NO_PROGRESS].text == (
        "Little progress: P(L) changed by +0.00 over the last 3 answers on skills not yet"
        " mastered (class 10th percentile: +0.02)."
    )
    assert l1[RiskKind.NO_PROGRESS].evidence == (2, 3, 4)
    (fast,) = found["L2"].reasons
    assert fast.kind is RiskKind.TOO_FAST and fast.evidence == (5, 6, 8)
    assert (
        fast.text == "3 of the last 4 answers were too fast to have been read (guessing or gaming)."
    )
    (idle,) = found["L3"].reasons
    assert idle.kind is RiskKind.INACTIVE and idle.evidence == (11,)
    assert idle.text == "No answer for 9 days (the last on 1970-01-02)."
    (gap,) = found["L4"].reasons
    assert gap.text == (
        "Failing Skill B (2 wrong in a row) while the prerequisite Skill A (mastery revoked)"
        " is not mastered."
    )
    assert gap.evidence == (14, 15)


def test_thresholds_come_from_the_settings() -> None:
    strict = AtRiskSettings(
        failures_in_a_row=4,
        progress_window=3,
        progress_min_learners=6,  # only 5 full windows: nobody is compared
        inactive_days=10,
        fast_window=4,
        fast_share=0.75,
        gap_failures=4,
    )
    assert _at_risk(strict) == {}


def test_without_a_course_no_prerequisite_gaps_and_skill_ids_in_words() -> None:
    found = _at_risk(course=None)
    kinds = {lid: [r.kind for r in a.reasons] for lid, a in found.items()}
    assert kinds == {
        "L1": [RiskKind.REPEATED_FAILURES, RiskKind.NO_PROGRESS],
        "L2": [RiskKind.TOO_FAST],
        "L3": [RiskKind.INACTIVE],
    }
    assert found["L1"].reasons[0].text == "3 wrong answers in a row on B."


def test_evidence_is_capped_to_the_latest() -> None:
    acc = AtRiskAccumulator(AtRiskSettings(evidence=2))
    for n in range(1, 6):
        acc.add(obs(n, "L", "A", 0, NOW))
    (learner,) = acc.snapshot(NOW)
    (run,) = learner.reasons
    assert run.text == "5 wrong answers in a row on A." and run.evidence == (4, 5)


def test_the_bottom_of_a_thriving_class_is_not_singled_out() -> None:
    acc = AtRiskAccumulator(AtRiskSettings(progress_window=2, progress_min_learners=5))
    n = 0
    for k, gain in enumerate((0.25, 0.3, 0.35, 0.4, 0.45)):  # window sums 0.5 to 0.9
        for _ in range(2):
            n += 1
            acc.add(obs(n, f"L{k}", "A", 1, NOW, gain=gain))
    # L0's 0.5 is under the 10th percentile (0.54) but far above the 0.10 floor.
    assert acc.snapshot(NOW) == ()
    stalled = AtRiskAccumulator(AtRiskSettings(progress_window=2, progress_min_learners=5))
    for k, gain in enumerate((0.0, 0.3, 0.35, 0.4, 0.45)):
        for m in range(2):
            stalled.add(obs(2 * k + m + 1, f"L{k}", "A", 0, NOW, gain=gain))
    (l0,) = stalled.snapshot(NOW)
    assert l0.learner_id == "L0" and l0.reasons[0].kind is RiskKind.NO_PROGRESS
