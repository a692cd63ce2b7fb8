"""Every threshold of the class reports, in one frozen object with documented defaults."""

from __future__ import annotations

from dataclasses import dataclass, field

DAY = 86400.0


@dataclass(frozen=True, slots=True)
class ItemSettings:
    """When an item is flagged. ``min_answers`` guards every flag: with fewer first attempts
    (or score pairs, for discrimination) a flag would be noise."""

    min_answers: int = 10
    too_fast_share: float = 0.2  # flag when at least this share of answers was too fast
    misfit_z: float = 3.0  # flag when |observed - expected| exceeds this many SDs (3PL)


@dataclass(frozen=True, slots=True)
class DriftSettings:
    """The prerequisite drift rule (see drift.py).

    A skill is flagged when the lower Wilson 95 % bound of its failure rate exceeds
    ``failure_rate`` (the issue's 40 %), over at least ``min_answers`` answers from at least
    ``min_learners`` learners. Answers of one learner are correlated, so the interval is
    too narrow when few learners give many answers: the learner minimum limits that. A
    candidate missing prerequisite needs ``min_group`` answers with and without it.
    """

    failure_rate: float = 0.40
    min_answers: int = 30
    min_learners: int = 5
    min_group: int = 10
    include_roots: bool = False  # skills without prerequisites are not checked by default


@dataclass(frozen=True, slots=True)
class AtRiskSettings:
    """When a learner is listed as at risk, reason by reason (see at_risk.py)."""

    failures_in_a_row: int = 3  # wrong answers in a row on one skill
    progress_window: int = 10  # last N answers on not-yet-mastered skills
    progress_percentile: float = 10.0  # flagged below this percentile of the class...
    progress_floor: float = 0.10  # ...and below this summed gain in P(L) over the window
    progress_min_learners: int = 5  # learners with a full window needed for a comparison
    inactive_days: float = 7.0
    fast_window: int = 20  # last N answers
    fast_share: float = 0.3  # flagged above this share of too-fast answers in the window
    gap_failures: int = 2  # wrong answers in a row on B that point at B's prerequisites
    evidence: int = 20  # at most this many log ids kept per reason

    def __post_init__(self) -> None:
        if min(self.failures_in_a_row, self.progress_window, self.fast_window) < 1:
            raise ValueError("windows and run lengths must be at least 1")
        if self.gap_failures < 1 or self.evidence < 1:
            raise ValueError("gap_failures and evidence must be at least 1")


@dataclass(frozen=True, slots=True)
class AnalyticsSettings:
    """All the thresholds. ``retention_after_s``: an answer counts for retention when given
    this long after the skill's mastery (the issue's 48 h, the engine's first review)."""

    items: ItemSettings = field(default_factory=ItemSettings)
    drift: DriftSettings = field(default_factory=DriftSettings)
    at_risk: AtRiskSettings = field(default_factory=AtRiskSettings)
    retention_after_s: float = 2 * DAY
