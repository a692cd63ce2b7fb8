"""A learner's progress in an activity: each skill's P(L) and status, prerequisites first."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from attune.engine.v1 import course_pb2, learner_pb2


@dataclass(frozen=True, slots=True)
class SkillProgress:
    skill_id: str
    name: str
    p_mastery: float
    status: str  # mastered, ready or locked


def progress_rows(
    state: learner_pb2.GetLearnerStateResponse, course: course_pb2.Course, skills: set[str]
) -> list[SkillProgress]:
    """Skill rows of a learner state, limited to ``skills``."""
    known = {s.skill_id: s for s in state.skills}
    mastered = set(state.mastered_skill_ids)
    # Before the first answer the engine has no state: priors, and ready = no prerequisites.
    ready = (
        set(state.ready_skill_ids)
        if known
        else {s.skill_id for s in course.skills if not s.prerequisites}
    )
    rows = []
    for skill in course.skills:
        if skill.skill_id not in skills:
            continue
        status = (
            "mastered"
            if skill.skill_id in mastered
            else "ready"
            if skill.skill_id in ready
            else "locked"
        )
        p = known[skill.skill_id].p_mastery if skill.skill_id in known else skill.bkt.prior
        rows.append(SkillProgress(skill.skill_id, skill.name or skill.skill_id, p, status))
    return rows


def as_json(rows: list[SkillProgress]) -> list[dict[str, Any]]:
    return [asdict(r) for r in rows]
