"""The course model: skills with BKT parameters and prerequisites, items, the mastery policy."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from attune.engine.domain import limits
from attune.engine.domain.bkt import BktParams
from attune.engine.domain.course_size import (
    COURSE_FIXED,
    ITEM_FIXED,
    SKILL_FIXED,
    text_size,
)
from attune.engine.domain.errors import InvalidInputError
from attune.engine.domain.graph import find_cycle, topological_order
from attune.engine.domain.limits import echo

if TYPE_CHECKING:  # experiments.py imports this module
    from attune.engine.domain.experiments import Experiment


MAX_INDIVIDUAL_SD = 2.0
"""The widest learner-type spread a mastery policy may ask for (logits)."""


@dataclass(frozen=True, slots=True)
class MasteryPolicy:
    """When a skill counts as mastered. All three conditions must hold.

    ``individual_sd`` > 0 judges the threshold on the learner-adapted P(L) of
    :mod:`~engine.domain.adaptive` (a latent learner type with that logit SD on learn, guess
    and slip) instead of the course's plain BKT belief; 0 is plain BKT.
    """

    threshold: float = 0.95
    min_attempts: int = 3
    consecutive_correct: int = 2
    individual_sd: float = 0.0

    def validate(self, field: str = "mastery") -> None:
        """Raise :class:`InvalidInputError` naming the first bad value."""
        if not (0.0 < self.threshold <= 1.0):
            raise InvalidInputError(
                f"{field}.threshold", f"must be in (0, 1], got {self.threshold}"
            )
        if self.min_attempts < 0:
            raise InvalidInputError(f"{field}.min_attempts", "must be >= 0")
        if self.consecutive_correct < 0:
            raise InvalidInputError(f"{field}.consecutive_correct", "must be >= 0")
        if not (0.0 <= self.individual_sd <= MAX_INDIVIDUAL_SD):
            raise InvalidInputError(
                f"{field}.individual_sd",
                f"must be in [0, {MAX_INDIVIDUAL_SD}], got {self.individual_sd}",
            )


MASTERY_PRESETS: Mapping[str, MasteryPolicy] = {
    # The engine's rule before issue 15, and the default of a course that names no policy.
    "classic": MasteryPolicy(),
    # The design notes' empirically validated minimum: at least eight attempts.
    "eight-attempts": MasteryPolicy(threshold=0.95, min_attempts=8, consecutive_correct=2),
    # Chosen in issue 15 on realistic learners (README, "Mastery that survives mismatch"):
    # P(L) >= 0.98 on the learner-adapted belief, learner types with logit SD 0.7.
    "adaptive": MasteryPolicy(
        threshold=0.98, min_attempts=3, consecutive_correct=2, individual_sd=0.7
    ),
}
"""Named mastery policies a course (or an experiment's arm) can ask for by name."""


def mastery_preset(name: str, field: str = "mastery.preset") -> MasteryPolicy:
    """The preset called ``name``; :class:`InvalidInputError` naming the known ones."""
    found = MASTERY_PRESETS.get(name)
    if found is None:
        known = ", ".join(MASTERY_PRESETS)
        raise InvalidInputError(field, f"unknown preset {echo(name)!r}; known: {known}")
    return found


@dataclass(frozen=True, slots=True)
class DiagnosticPolicy:
    """Cold start: a new learner first answers ``min_items`` to ``max_items`` items chosen by
    Fisher information; it stops early once the ability's standard error is <= ``target_se``."""

    enabled: bool = True
    min_items: int = 5
    max_items: int = 8
    target_se: float = 0.3

    def validate(self, field: str = "diagnostic") -> None:
        """Raise :class:`InvalidInputError` naming the first bad value."""
        if self.min_items < 1:
            raise InvalidInputError(f"{field}.min_items", "must be >= 1")
        if self.max_items < self.min_items:
            raise InvalidInputError(f"{field}.max_items", "must be >= min_items")
        if self.max_items > 50:
            raise InvalidInputError(f"{field}.max_items", "must be at most 50")
        if not 0.0 < self.target_se <= 1.0:
            raise InvalidInputError(f"{field}.target_se", "must be in (0, 1]")


@dataclass(frozen=True, slots=True)
class IrtParams:
    """3PL item parameters: discrimination ``a``, difficulty ``b``, lower asymptote ``c``."""

    a: float = 1.0
    b: float = 0.0
    c: float = 0.0

    def validate(self, field: str = "irt") -> None:
        """Raise :class:`InvalidInputError` naming the first bad value."""
        if not (self.a > 0.0) or self.a > 10.0:
            raise InvalidInputError(f"{field}.a", f"must be in (0, 10], got {self.a}")
        if not (-10.0 <= self.b <= 10.0):
            raise InvalidInputError(f"{field}.b", f"must be in [-10, 10], got {self.b}")
        if not (0.0 <= self.c < 1.0):
            raise InvalidInputError(f"{field}.c", f"must be in [0, 1), got {self.c}")


@dataclass(frozen=True, slots=True)
class Skill:
    """A node of the prerequisite graph."""

    skill_id: str
    name: str = ""
    bkt: BktParams = field(default_factory=BktParams)
    prerequisites: tuple[str, ...] = ()
    mastery: MasteryPolicy | None = None  # per-skill override of the course policy


@dataclass(frozen=True, slots=True)
class Item:
    """A practice item. ``content`` is an opaque reference the page resolves (a template id)."""

    item_id: str
    skill_ids: tuple[str, ...]
    irt: IrtParams = field(default_factory=IrtParams)
    content: str = ""


@dataclass(frozen=True, slots=True)
class Course:
    """A validated course. Build it with :func:`build_course`."""

    course_id: str
    title: str
    skills: Mapping[str, Skill]
    items: Mapping[str, Item]
    mastery: MasteryPolicy
    order: tuple[str, ...]  # skills in topological order (prerequisites first)
    by_skill: Mapping[str, tuple[Item, ...]] = field(default_factory=dict)
    diagnostic: DiagnosticPolicy = field(default_factory=DiagnosticPolicy)
    dkt_model: str = ""  # "name@version", "name" (newest) or "" (BKT only)
    experiment: Experiment | None = None  # arms side by side (see experiments.py)
    # Its size as the limits count it (see course_size.py): what ListCourses pages by.
    size: int = field(default=0, compare=False)
    # Each skill's index in ``order``: selection breaks ties by it (see :meth:`position`).
    ranks: Mapping[str, int] = field(default_factory=dict, compare=False)

    def policy_for(self, skill_id: str) -> MasteryPolicy:
        """The mastery policy in force for one skill (its override, else the course's)."""
        override = self.skills[skill_id].mastery
        return override if override is not None else self.mastery

    def position(self, skill_id: str) -> int:
        """The skill's place in course order: the tie-break wherever skills are ordered, so
        that nothing depends on set or hash order."""
        return self.ranks[skill_id]

    def items_for(self, skill_id: str) -> tuple[Item, ...]:
        """Items tagged with ``skill_id``, in course order."""
        return self.by_skill.get(skill_id, ())

    def dependants(self, skill_id: str) -> tuple[str, ...]:
        """Skills that list ``skill_id`` as a direct prerequisite."""
        return tuple(s.skill_id for s in self.skills.values() if skill_id in s.prerequisites)


def _check_id(field: str, value: str, enforce: bool) -> int:
    """A required identifier; its size."""
    if not value or not value.strip():
        raise InvalidInputError(field, "must not be empty")
    if enforce:
        limits.check_id(field, value)
    return text_size(field, value)


def _check_text(field: str, value: str, limit: int, enforce: bool) -> int:
    """An optional text; its size."""
    if enforce:
        limits.check_text(field, value, limit)
    return text_size(field, value)


def check_count(field: str, count: int, limit: int, what: str) -> None:
    """Refuse more than ``limit`` elements: ``course.skills: 2500 skills; the limit is 2000``."""
    if count > limit:
        raise InvalidInputError(field, f"{count} {what}; the limit is {limit}")


def _reference(field: str, value: str, known: Mapping[str, Skill]) -> int:
    """A skill id that must name a skill of the course; its size. An id longer than any
    skill id is refused as too long (naming its position), not echoed whole."""
    if value not in known:
        if len(value) > limits.MAX_ID_CHARS:
            limits.check_id(field, value)
        raise InvalidInputError(field.rpartition("[")[0], f"unknown skill {echo(value)!r}")
    return text_size(field, value)


def _cycle_text(cycle: Sequence[str]) -> str:
    """``a -> b -> a``; a long cycle keeps its first and last steps, so it is still named
    without repeating a whole chain."""
    names = [echo(s) for s in cycle]
    if len(names) > 9:
        names = [*names[:4], f"… ({len(cycle) - 1} skills) …", *names[-4:]]
    return " -> ".join(names)


def build_course(
    course_id: str,
    skills: Sequence[Skill],
    items: Sequence[Item],
    mastery: MasteryPolicy | None = None,
    title: str = "",
    diagnostic: DiagnosticPolicy | None = None,
    dkt_model: str = "",
    *,
    enforce_limits: bool = True,
    experiment: Experiment | None = None,
) -> Course:
    """Validate and assemble a course. Raises :class:`InvalidInputError` naming the field.

    Linear in the size of the course. ``enforce_limits=False`` skips the size limits (and
    only them), for courses read back from a store: one stored before a limit existed must
    still open.
    """
    enforce = enforce_limits
    size = COURSE_FIXED + _check_id("course.course_id", course_id, enforce)
    size += _check_text("course.title", title, limits.MAX_NAME_CHARS, enforce)
    size += _check_text("course.dkt_model", dkt_model, limits.MAX_ID_CHARS, enforce)
    if not skills:
        raise InvalidInputError("course.skills", "a course needs at least one skill")
    if enforce:
        check_count("course.skills", len(skills), limits.MAX_SKILLS_PER_COURSE, "skills")
        check_count("course.items", len(items), limits.MAX_ITEMS_PER_COURSE, "items")
    policy = mastery if mastery is not None else MasteryPolicy()
    policy.validate("course.mastery")
    cold_start = diagnostic if diagnostic is not None else DiagnosticPolicy()
    cold_start.validate("course.diagnostic")
    if experiment is not None:
        experiment.validate("course.experiment")
    by_id: dict[str, Skill] = {}
    for n, skill in enumerate(skills):
        where = f"course.skills[{n}]"
        size += SKILL_FIXED + _check_id(f"{where}.skill_id", skill.skill_id, enforce)
        if skill.skill_id in by_id:
            raise InvalidInputError(
                f"{where}.skill_id", f"duplicate skill {echo(skill.skill_id)!r}"
            )
        size += _check_text(f"{where}.name", skill.name, limits.MAX_NAME_CHARS, enforce)
        if enforce:
            check_count(
                f"{where}.prerequisites",
                len(skill.prerequisites),
                limits.MAX_PREREQUISITES_PER_SKILL,
                "prerequisites",
            )
        skill.bkt.validate(f"{where}.bkt")
        if skill.mastery is not None:
            skill.mastery.validate(f"{where}.mastery")
            sd = skill.mastery.individual_sd
            if sd not in (0.0, policy.individual_sd):
                raise InvalidInputError(
                    f"{where}.mastery.individual_sd",
                    f"must be 0 or the course's ({policy.individual_sd}): learner types are "
                    "shared by the course's skills",
                )
        by_id[skill.skill_id] = skill
    for n, skill in enumerate(skills):
        for k, pre in enumerate(skill.prerequisites):
            size += _reference(f"course.skills[{n}].prerequisites[{k}]", pre, by_id)
            if pre == skill.skill_id:
                raise InvalidInputError(
                    f"course.skills[{n}].prerequisites", f"cycle: {_cycle_text([pre, pre])}"
                )
    edges = {s.skill_id: s.prerequisites for s in skills}
    cycle = find_cycle(edges)
    if cycle:
        raise InvalidInputError("course.skills.prerequisites", "cycle: " + _cycle_text(cycle))
    item_by_id: dict[str, Item] = {}
    by_skill: dict[str, list[Item]] = {sid: [] for sid in by_id}
    for n, item in enumerate(items):
        where = f"course.items[{n}]"
        size += ITEM_FIXED + _check_id(f"{where}.item_id", item.item_id, enforce)
        if item.item_id in item_by_id:
            raise InvalidInputError(f"{where}.item_id", f"duplicate item {echo(item.item_id)!r}")
        if not item.skill_ids:
            raise InvalidInputError(f"{where}.skill_ids", "an item needs at least one skill")
        if enforce:
            check_count(
                f"{where}.skill_ids", len(item.skill_ids), limits.MAX_SKILLS_PER_ITEM, "skills"
            )
        for k, sid in enumerate(item.skill_ids):
            size += _reference(f"{where}.skill_ids[{k}]", sid, by_id)
        if len(set(item.skill_ids)) != len(item.skill_ids):
            raise InvalidInputError(f"{where}.skill_ids", "a skill is listed twice")
        item.irt.validate(f"{where}.irt")
        size += _check_text(f"{where}.content", item.content, limits.MAX_CONTENT_CHARS, enforce)
        item_by_id[item.item_id] = item
        for sid in item.skill_ids:
            by_skill[sid].append(item)
    if enforce and size > limits.MAX_COURSE_BYTES:
        raise InvalidInputError(
            "course",
            f"is {size} bytes as the limits count them; the limit is {limits.MAX_COURSE_BYTES}",
        )
    order = topological_order(edges)
    return Course(
        course_id=course_id,
        title=title,
        skills=by_id,
        items=item_by_id,
        mastery=policy,
        diagnostic=cold_start,
        dkt_model=dkt_model.strip(),
        experiment=experiment,
        order=order,
        by_skill={sid: tuple(found) for sid, found in by_skill.items()},
        size=size,
        ranks={sid: n for n, sid in enumerate(order)},
    )
