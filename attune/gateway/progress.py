"""A learner's progress in an activity: each skill's P(L) and status, prerequisites first."""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import asdict, dataclass
from typing import Any

from attune.engine.v1 import course_pb2, learner_pb2

MEMO_SIZE = 512  # states whose rows are kept (a page follows its answer within a second)


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
    known = {s.skill_id: s.p_mastery for s in state.skills}
    mastered = set(state.mastered_skill_ids)
    # Before the first answer the engine has no state: priors, and ready = no prerequisites.
    ready = (
        set(state.ready_skill_ids)
        if known
        else {s.skill_id for s in course.skills if not s.prerequisites}
    )
    rows = []
    for skill in course.skills:
        skill_id = skill.skill_id
        if skill_id not in skills:
            continue
        status = "mastered" if skill_id in mastered else "ready" if skill_id in ready else "locked"
        p = known.get(skill_id, skill.bkt.prior)
        rows.append(SkillProgress(skill_id, skill.name or skill_id, p, status))
    return rows


class ProgressMemo:
    """The rows of the last few learner states, by the state's identity. The feedback page
    and the next question's page that follows it show the same state object (see
    :class:`~attune.gateway.practice_recent.RecentStates`), so the second page takes the
    first page's rows. An entry holds its state and course, so neither id is reused while
    it is kept; another course object (the cache re-read it) or other skills compute anew.
    A deleted tenant's entries are dropped (:meth:`forget_tenant`)."""

    def __init__(self, size: int = MEMO_SIZE) -> None:
        self._size = size
        self._kept: OrderedDict[
            int,
            tuple[
                str,
                learner_pb2.GetLearnerStateResponse,
                course_pb2.Course,
                frozenset[str],
                tuple[SkillProgress, ...],
            ],
        ] = OrderedDict()
        self._lock = threading.Lock()

    def rows(
        self,
        tenant: str,
        state: learner_pb2.GetLearnerStateResponse,
        course: course_pb2.Course,
        skills: frozenset[str],
    ) -> list[SkillProgress]:
        """:func:`progress_rows` of ``state`` (in ``tenant``), computed once per state."""
        with self._lock:
            found = self._kept.get(id(state))
        if (
            found is not None
            and found[1] is state
            and found[2] is course
            and found[0] == tenant
            and found[3] == skills
        ):
            return list(found[4])
        rows = progress_rows(state, course, set(skills))
        with self._lock:
            self._kept[id(state)] = (tenant, state, course, skills, tuple(rows))
            while len(self._kept) > self._size:
                self._kept.popitem(last=False)
        return rows

    def forget_tenant(self, tenant: str) -> None:
        """Drop every entry of a deleted tenant."""
        with self._lock:
            for key in [k for k, v in self._kept.items() if v[0] == tenant]:
                del self._kept[key]


def as_json(rows: list[SkillProgress]) -> list[dict[str, Any]]:
    return [asdict(r) for r in rows]
