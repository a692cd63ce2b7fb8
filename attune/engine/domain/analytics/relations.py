"""Walks of the course's prerequisite graph that the reports need (iterative, linear)."""

from __future__ import annotations

from collections.abc import Mapping

from attune.engine.domain.course import Course


def dependants_map(course: Course) -> dict[str, list[str]]:
    """Each skill's direct dependants, built once (Course.dependants scans every skill)."""
    found: dict[str, list[str]] = {sid: [] for sid in course.skills}
    for sid, skill in course.skills.items():
        for pre in skill.prerequisites:
            found[pre].append(sid)
    return found


def reachable(start: str, edges: Mapping[str, tuple[str, ...] | list[str]]) -> set[str]:
    """Every skill reachable from ``start`` along ``edges`` (``start`` excluded)."""
    seen: set[str] = set()
    todo = list(edges.get(start, ()))
    while todo:
        sid = todo.pop()
        if sid not in seen:
            seen.add(sid)
            todo.extend(edges.get(sid, ()))
    return seen


def ancestors(course: Course, skill_id: str) -> set[str]:
    """Every direct and indirect prerequisite of ``skill_id``."""
    return reachable(skill_id, {s: k.prerequisites for s, k in course.skills.items()})


def name_of(course: Course | None, skill_id: str) -> str:
    """The skill's name for a sentence, its id when it has none (or the course lacks it)."""
    if course is None:
        return skill_id
    skill = course.skills.get(skill_id)
    return skill.name if skill is not None and skill.name else skill_id
