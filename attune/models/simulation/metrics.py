"""What one tutored learner cost, and the summary of a policy over its learners.

- **items to mastery**: items answered until the engine held every skill of the course
  mastered at once (the diagnostic's items included). A learner stopped at the cap counts
  the cap and is reported in ``learners_capped``.
- **over-practice**: items given while every skill they exercise was already truly known.
  Some of it is the price of evidence (the mastery rule wants at least 3 attempts), the rest
  is waste.
- **premature mastery**: mastery declarations (first masteries and re-masteries after a
  revocation) made while the learner did not truly know the skill, judged right after the
  answer that completed the mastery.

Shares are pooled over learners (total over-practice / total items), not means of shares.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class LearnerResult:
    """The outcome of tutoring one learner with one policy."""

    learner: int
    items: int
    capped: bool
    over_practice: int
    declarations: int
    premature: int
    known_at_start: int
    known_at_end: int


@dataclass(frozen=True, slots=True)
class PolicyMetrics:
    """A policy's metrics over its learners."""

    policy: str
    learners: int
    items_to_mastery_mean: float
    items_to_mastery_median: float
    over_practice_mean: float
    over_practice_share: float
    mastery_declarations: int
    premature_mastery_share: float
    learners_capped: int


def _share(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def summarize(policy: str, results: Sequence[LearnerResult]) -> PolicyMetrics:
    """Pool the results of one policy (at least one learner)."""
    if not results:
        raise ValueError("no learners to summarize")
    items = [r.items for r in results]
    over = sum(r.over_practice for r in results)
    declared = sum(r.declarations for r in results)
    return PolicyMetrics(
        policy=policy,
        learners=len(results),
        items_to_mastery_mean=statistics.fmean(items),
        items_to_mastery_median=float(statistics.median(items)),
        over_practice_mean=over / len(results),
        over_practice_share=_share(over, sum(items)),
        mastery_declarations=declared,
        premature_mastery_share=_share(sum(r.premature for r in results), declared),
        learners_capped=sum(r.capped for r in results),
    )
