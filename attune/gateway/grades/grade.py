"""The mastery-based grade and the AGS score that carries it. Pure.

**The grade** of an activity is the share of its skills the learner has mastered, times the
line item's ``scoreMaximum`` (default 100): 12 of 47 skills mastered is 25.53 of 100. Mastery
is the engine's rule (P(L) over the threshold with enough attempts and a streak), so the grade
moves only when a skill is mastered or, after a run of failures, withdrawn.

**Progress** (AGS 2.0 §3.4.5-6):
- ``activityProgress`` is ``Started`` before any answer, ``InProgress`` while skills remain,
  ``Completed`` once every skill is mastered;
- ``gradingProgress`` is ``FullyGraded`` whenever a score is sent: the grade is final *as of
  its timestamp*. Canvas ignores ``scoreGiven`` with ``Pending`` or ``NotReady``, so a
  mastery grade that is live must say ``FullyGraded`` to appear at all. The first launch sends
  ``Started`` with ``NotReady`` and no score.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

SCORE_MAXIMUM = 100.0


@dataclass(frozen=True, slots=True)
class MasteryGrade:
    """Mastered and total skills of an activity."""

    mastered: int
    total: int
    answered: int

    @classmethod
    def of(cls, mastered: Iterable[str], skills: Iterable[str], answered: int) -> MasteryGrade:
        """The grade of ``skills`` given the learner's mastered skill ids."""
        wanted = set(skills)
        return cls(len(wanted & set(mastered)), len(wanted), answered)

    @property
    def fraction(self) -> float:
        return self.mastered / self.total if self.total else 0.0

    @property
    def activity_progress(self) -> str:
        if self.answered == 0:
            return "Started"
        return "Completed" if self.total and self.mastered == self.total else "InProgress"


def score_payload(
    grade: MasteryGrade, user_id: str, at: float, maximum: float = SCORE_MAXIMUM
) -> dict[str, Any]:
    """The AGS score (``application/vnd.ims.lis.v1.score+json``) for ``user_id`` (the LTI
    ``sub``) at epoch time ``at``."""
    body: dict[str, Any] = {
        "userId": user_id,
        "timestamp": iso_timestamp(at),
        "activityProgress": grade.activity_progress,
    }
    if grade.answered == 0:
        body["gradingProgress"] = "NotReady"
        return body
    body["gradingProgress"] = "FullyGraded"
    body["scoreGiven"] = round(grade.fraction * maximum, 2)
    body["scoreMaximum"] = maximum
    body["comment"] = f"{grade.mastered} of {grade.total} skills mastered"
    return body


def iso_timestamp(at: float) -> str:
    """ISO 8601 with milliseconds and an offset, as AGS asks (subsecond precision)."""
    return datetime.fromtimestamp(at, UTC).isoformat(timespec="milliseconds")
