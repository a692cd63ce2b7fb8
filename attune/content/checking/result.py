"""What an answer check takes and gives: the learner's :class:`Response` and a :class:`CheckResult`.

``score is None`` means *unscored*: the checker could not decide (an error in the checker or
the content, or a time limit). That is never the learner's fault, so callers record the
answer without evidence instead of as wrong.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Response:
    """A learner's answer: typed ``text`` and/or the ids of the chosen options."""

    text: str = ""
    choice_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class CheckResult:
    """The verdict on one answer.

    ``score`` is in [0, 1], or ``None`` when unscored; ``correct`` is True only for a full
    score. ``feedback_html`` is for the learner (from the content, or a short note such as
    "a unit is expected"); ``reason`` is for logs and operators.
    """

    score: float | None
    correct: bool
    feedback_html: str = ""
    reason: str = ""

    @property
    def scored(self) -> bool:
        """False when the checker could not decide."""
        return self.score is not None


def graded(score: float, feedback_html: str = "", reason: str = "") -> CheckResult:
    """A scored result: ``score`` clamped to [0, 1]; correct only at a full score.

    A NaN score is a content error, raised (and so unscored by the dispatcher).
    """
    if math.isnan(score):
        raise ValueError("a score must be a number, got NaN")
    clamped = min(1.0, max(0.0, score))
    return CheckResult(clamped, clamped >= 1.0, feedback_html, reason)


def wrong(reason: str, feedback_html: str = "") -> CheckResult:
    """A zero score with the reason (an unreadable or empty answer is simply wrong)."""
    return CheckResult(0.0, False, feedback_html, reason)


def unscored(reason: str) -> CheckResult:
    """No score: the checker could not decide, through no fault of the learner."""
    return CheckResult(None, False, "", reason)
