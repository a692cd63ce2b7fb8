"""Experiments built into a course (issue 15 part 5): two or more arms side by side, each
learner in one arm, chosen at random and stably.

An arm may set the course's mastery policy; a learner's view of the course is the course
with their arm's policy (:func:`course_for`). Per-skill overrides keep their precedence over
any arm: they mark high-stakes skills, which an experiment on the default rule leaves alone.

Assignment is a pure function of (tenant, course, experiment, learner): the SHA-256 of the
four, read as a number in [0, 1), falls in one arm's share of the total weight. The same
learner always lands in the same arm, on every engine and after a restart, so the arm never
has to be stored: it is recomputed from the event log's learner id. Renaming the experiment
reshuffles everyone (a new experiment); changing weights moves only the learners near a
boundary.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, replace

from attune.engine.domain import limits
from attune.engine.domain.course import Course, MasteryPolicy
from attune.engine.domain.errors import InvalidInputError
from attune.engine.domain.limits import echo

MAX_ARMS = 10
_SEP = b"\x1f"  # the unit separator: no id can make two different tuples hash alike
_SCALE = float(1 << 64)


@dataclass(frozen=True, slots=True)
class Arm:
    """One arm: its id, its relative share of learners, and the mastery policy its learners
    are tutored with (None: the course's own)."""

    arm_id: str
    weight: float = 1.0
    mastery: MasteryPolicy | None = None
    description: str = ""


@dataclass(frozen=True, slots=True)
class Experiment:
    """Arms side by side in one course. ``started_at`` (epoch seconds, 0: from the start of
    the log) is when learners began to be assigned: a learner whose first answer in the course
    came earlier started under another regime and is left out of the report."""

    experiment_id: str
    arms: tuple[Arm, ...]
    started_at: float = 0.0

    def validate(self, field: str = "course.experiment") -> None:
        """Raise :class:`InvalidInputError` naming the first bad value."""
        if not self.experiment_id.strip():
            raise InvalidInputError(f"{field}.experiment_id", "must not be empty")
        limits.check_id(f"{field}.experiment_id", self.experiment_id)
        if len(self.arms) < 2:
            raise InvalidInputError(f"{field}.arms", "an experiment needs at least two arms")
        if len(self.arms) > MAX_ARMS:
            raise InvalidInputError(
                f"{field}.arms", f"{len(self.arms)} arms; the limit is {MAX_ARMS}"
            )
        if not math.isfinite(self.started_at) or self.started_at < 0:
            raise InvalidInputError(f"{field}.started_at", "must be a time after 1970")
        seen: set[str] = set()
        for n, arm in enumerate(self.arms):
            where = f"{field}.arms[{n}]"
            if not arm.arm_id.strip():
                raise InvalidInputError(f"{where}.arm_id", "must not be empty")
            limits.check_id(f"{where}.arm_id", arm.arm_id)
            if arm.arm_id in seen:
                raise InvalidInputError(f"{where}.arm_id", f"duplicate arm {echo(arm.arm_id)!r}")
            seen.add(arm.arm_id)
            if not math.isfinite(arm.weight) or arm.weight <= 0.0:
                raise InvalidInputError(f"{where}.weight", f"must be > 0, got {arm.weight}")
            limits.check_text(f"{where}.description", arm.description, limits.MAX_NAME_CHARS)
            if arm.mastery is not None:
                arm.mastery.validate(f"{where}.mastery")

    def arm(self, arm_id: str) -> Arm | None:
        """The arm with this id, or None."""
        return next((a for a in self.arms if a.arm_id == arm_id), None)


def draw(tenant: str, course_id: str, experiment_id: str, learner_id: str) -> float:
    """The learner's uniform draw in [0, 1): the first 64 bits of a SHA-256."""
    key = _SEP.join(s.encode("utf-8") for s in (tenant, course_id, experiment_id, learner_id))
    return int.from_bytes(hashlib.sha256(key).digest()[:8], "big") / _SCALE


def assign(experiment: Experiment, tenant: str, course_id: str, learner_id: str) -> Arm:
    """The learner's arm: a weighted pick by their draw (stable, and random across learners)."""
    u = draw(tenant, course_id, experiment.experiment_id, learner_id)
    total = math.fsum(a.weight for a in experiment.arms)
    edge = 0.0
    for arm in experiment.arms:
        edge += arm.weight / total
        if u < edge:
            return arm
    return experiment.arms[-1]  # u just under 1 against a sum rounded below 1


def course_for(course: Course, tenant: str, learner_id: str) -> Course:
    """The course as one learner is tutored with it: their arm's mastery policy in place of
    the course's, when the course runs an experiment and the arm sets one. O(1)."""
    experiment = course.experiment
    if experiment is None:
        return course
    arm = assign(experiment, tenant, course.course_id, learner_id)
    if arm.mastery is None:
        return course
    return replace(course, mastery=arm.mastery)


def arm_of(course: Course, tenant: str, learner_id: str) -> str:
    """The learner's arm id ("" when the course runs no experiment)."""
    if course.experiment is None:
        return ""
    return assign(course.experiment, tenant, course.course_id, learner_id).arm_id
