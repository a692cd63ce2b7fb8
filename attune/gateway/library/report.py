"""What an import changes, for the person importing: skills and items added, removed and
changed, and what happens to learners' state. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from attune.engine.v1 import course_pb2


@dataclass(frozen=True)
class ChangeReport:
    """The difference between the course before an import and after it."""

    new_course: bool
    skills_added: tuple[str, ...]
    skills_removed: tuple[str, ...]
    skills_changed: tuple[str, ...]
    items_added: tuple[str, ...]
    items_removed: tuple[str, ...]
    items_changed: tuple[str, ...]
    items_unchanged: int
    notes: tuple[str, ...] = ()

    @property
    def changed(self) -> bool:
        return bool(
            self.new_course
            or self.skills_added
            or self.skills_removed
            or self.skills_changed
            or self.items_added
            or self.items_removed
            or self.items_changed
        )

    def as_json(self) -> dict[str, Any]:
        return {**asdict(self), "changed": self.changed}

    def summary(self) -> str:
        """One line for a terminal or a log."""
        if self.new_course:
            return f"new course: {len(self.skills_added)} skills, {len(self.items_added)} items"
        return (
            f"skills +{len(self.skills_added)} -{len(self.skills_removed)} "
            f"~{len(self.skills_changed)}; items +{len(self.items_added)} "
            f"-{len(self.items_removed)} ~{len(self.items_changed)} "
            f"={self.items_unchanged}"
        )


def _skill_key(skill: course_pb2.Skill) -> tuple[object, ...]:
    b = skill.bkt
    return (skill.name, tuple(skill.prerequisites), b.prior, b.learn, b.guess, b.slip, b.forget)


def change_report(
    previous: course_pb2.Course | None,
    course: course_pb2.Course,
    previous_items: Mapping[str, Mapping[str, Any]],
    new_items: Mapping[str, Mapping[str, Any]],
) -> ChangeReport:
    """The change from ``previous`` (None: a new course) to ``course``. ``*_items`` are the
    item documents of the two versions, where known, to tell a changed item from a kept one."""
    if previous is None:
        return ChangeReport(
            True,
            tuple(s.skill_id for s in course.skills),
            (),
            (),
            tuple(i.item_id for i in course.items),
            (),
            (),
            0,
            ("New learners start from the package's BKT priors (or the diagnostic).",),
        )
    old_skills = {s.skill_id: s for s in previous.skills}
    new_skills = {s.skill_id: s for s in course.skills}
    old_items = {i.item_id: i for i in previous.items}
    new_ids = [i.item_id for i in course.items]
    changed_items = []
    for item in course.items:
        old = old_items.get(item.item_id)
        if old is None:
            continue
        before = previous_items.get(item.item_id)
        same_tags = (list(old.skill_ids), old.irt) == (list(item.skill_ids), item.irt)
        if not same_tags or before is None or before != new_items.get(item.item_id):
            changed_items.append(item.item_id)
    kept = [s for s in new_skills if s in old_skills]
    notes = [f"Learners keep their state on the {len(kept)} skills that kept their ids."]
    removed_skills = tuple(s for s in old_skills if s not in new_skills)
    if removed_skills:
        notes.append(
            f"{len(removed_skills)} skills were removed: their learner state is kept by the "
            "engine but no longer used."
        )
    if previous.dkt_model and not course.dkt_model:
        notes.append(
            f"The DKT model {previous.dkt_model!r} was dropped: it does not know the new skills."
        )
    return ChangeReport(
        False,
        tuple(s for s in new_skills if s not in old_skills),
        removed_skills,
        tuple(s for s in kept if _skill_key(old_skills[s]) != _skill_key(new_skills[s])),
        tuple(i for i in new_ids if i not in old_items),
        tuple(i for i in old_items if i not in set(new_ids)),
        tuple(changed_items),
        sum(1 for i in new_ids if i in old_items) - len(changed_items),
        tuple(notes),
    )
