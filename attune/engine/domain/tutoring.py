"""Engine-wide tutoring policy: credibility, review, gaps. One object, set from the settings."""

from __future__ import annotations

from dataclasses import dataclass, field

from attune.engine.domain.credibility import CredibilityPolicy

HOUR = 3600.0


@dataclass(frozen=True, slots=True)
class ReviewPolicy:
    """Spaced review of mastered skills, and when a failed answer withdraws mastery.

    A mastered skill is due ``interval_s`` after it was last practised; each successful review
    multiplies its interval by ``growth``. A wrong (credible) answer on a mastered skill
    revokes mastery when P(L) falls below the skill's threshold minus ``revoke_margin``: the
    margin is hysteresis, so one slip from a confident state does not flip the flag, while
    two wrong answers usually do. Revocation resets the interval. The mastery event is not
    emitted again when the skill is re-mastered.
    """

    interval_s: float = 48 * HOUR
    growth: float = 2.0
    revoke_margin: float = 0.15


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
