"""Engine-wide tutoring policy: credibility, review, gaps. One object, set from the settings."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from attune.engine.domain.credibility import CredibilityPolicy

HOUR = 3600.0


Schedule = Literal["recall", "doubling"]
SCHEDULES: tuple[Schedule, ...] = ("recall", "doubling")
"""The review schedules: spaced by predicted recall (the default) or by fixed doublings."""


@dataclass(frozen=True, slots=True)
class ReviewPolicy:
    """Spaced review of mastered skills, and when a failed answer withdraws mastery.

    **Recall** (the default schedule, see :mod:`~engine.domain.review`). Each mastered skill
    has a memory half-life ``h``: predicted recall ``t`` after the last practice is
    ``2 ** (-t / h)`` (exponential forgetting, as in half-life regression). The skill is due
    when predicted recall falls to ``target_recall``. A new memory's ``h`` is set so that the
    first review comes ``interval_s`` after mastery: ``h0 = interval_s / log2(1 /
    target_recall)``. Every credible answer on a mastered skill updates ``h``: a right one
    multiplies it by ``1 + (growth - 1) * (1 - recall) / (1 - target_recall)`` (at most
    ``max_growth``), so a review answered right exactly when due multiplies ``h`` by
    ``growth``, a later one by more and an early one by less (the spacing effect); a wrong
    one multiplies it by ``lapse``.

    Why these defaults. ``target_recall`` 0.9 is the usual desired retention of spaced
    repetition (FSRS's default; SuperMemo's 10% forgetting index) and the issue's retention
    goal: a skill is reviewed while the learner most likely still knows it, so a review is
    cheap and one that fails is news. The first review comes 24 h after mastery (SM-2's and
    Anki's first interval is one day), before the design notes' 48 h retention check: a
    review that succeeds strengthens the memory before the check, one that fails re-opens
    the skill before it. On the realistic forgetting learners a first review at 48 h kept
    86-91% of skills at 48 h, at 24 h 91-95% (``python -m bench.retention``).

    **Doubling** (the engine before issue 15, with 48 h): due ``interval_s`` after the last
    practice; each successful overdue review multiplies the interval by ``growth``.

    **Revocation.** With ``reopen`` (the default), a credible wrong answer on a mastered skill
    that is due (a failed review) re-opens it: mastery is withdrawn and the skill goes back to
    practice. Outside reviews, a wrong answer revokes mastery only when P(L) falls below the
    skill's threshold minus ``revoke_margin``: the margin is hysteresis, so one slip from a
    confident state does not flip the flag, while two wrong answers usually do. The mastery
    event is not emitted again when the skill is re-mastered.

    **Completion.** A learner is done with the course (phase COMPLETE) when every skill is
    mastered and each one's predicted recall is at least ``complete_recall``: a skill mastered
    in an earlier session is checked again before the course is declared done, so a skill
    forgotten since is found and re-opened rather than certified.
    """

    interval_s: float = 24 * HOUR
    growth: float = 2.0
    revoke_margin: float = 0.15
    schedule: Schedule = "recall"
    target_recall: float = 0.9
    max_growth: float = 4.0
    lapse: float = 0.5
    reopen: bool = True
    complete_recall: float = 0.97

    def __post_init__(self) -> None:
        # The settings validate with field names; this guards domain callers (tests, tools).
        if self.schedule not in SCHEDULES:
            raise ValueError(f"schedule must be one of {SCHEDULES}, got {self.schedule!r}")
        if not self.interval_s > 0:
            raise ValueError("interval_s must be > 0")
        if not 0.0 < self.target_recall < 1.0:
            raise ValueError("target_recall must be in (0, 1)")
        if not 1.0 <= self.growth <= self.max_growth:
            raise ValueError("want 1 <= growth <= max_growth")
        if not 0.0 < self.lapse <= 1.0:
            raise ValueError("lapse must be in (0, 1]")
        if not 0.0 <= self.complete_recall < 1.0:
            raise ValueError("complete_recall must be in [0, 1)")


@dataclass(frozen=True, slots=True)
class GapPolicy:
    """When a struggling skill points at its prerequisites.

    Skill B is *struggling* after ``failures`` consecutive wrong answers with P(L) below
    ``below``. Its unmastered prerequisites (and mastered ones whose P(L) decayed under the
    threshold) are then likely gaps. After ``suspect_failures`` consecutive failures, its
    mastered prerequisites are suspected too, and re-checked.
    """

    failures: int = 3
    suspect_failures: int = 5
    below: float = 0.5


@dataclass(frozen=True, slots=True)
class TutorPolicy:
    """Everything the engine decides beyond BKT and the course's mastery policy."""

    credibility: CredibilityPolicy = field(default_factory=CredibilityPolicy)
    review: ReviewPolicy = field(default_factory=ReviewPolicy)
    gaps: GapPolicy = field(default_factory=GapPolicy)
