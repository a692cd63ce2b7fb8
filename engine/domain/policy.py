"""Next-item selection with reasons a teacher can read.

Each candidate item gets component scores in [0, 1] and a weighted blend of them:

- ``remediation``: 1 - P(L) of the item's skill. Low belief needs practice most.
- ``zpd``: how close predicted correctness is to the zone of proximal development. It is 1
  inside [0.4, 0.7] and falls linearly to 0 at 0 and 1 outside it.
- ``continuity``: 1 when the item stays on the learner's last skill (fewer context switches).
- ``novelty``: 0 when the item is in the learner's recent window, else 1.

Only skills that are *ready* (every prerequisite mastered) and not yet mastered are
candidates. When every skill is mastered, the weakest mastered skills are offered for review.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum

from engine.domain import bkt
from engine.domain.course import Course, Item
from engine.domain.graph import ready_skills
from engine.domain.learner import LearnerState

ZPD_LOW, ZPD_HIGH = 0.4, 0.7

WEIGHTS: Mapping[str, float] = {
    "remediation": 0.40,
    "zpd": 0.30,
    "continuity": 0.10,
    "novelty": 0.20,
}


class Reason(Enum):
    """Why an item was recommended. Values match the proto's ``Reason`` enum names."""

    DIAGNOSTIC = "DIAGNOSTIC"
    REMEDIATION = "REMEDIATION"
    READY = "READY"
    ZPD = "ZPD"
    CONTINUITY = "CONTINUITY"
    NOVELTY = "NOVELTY"
    EXPLORATION = "EXPLORATION"
    REVIEW = "REVIEW"
    GAP = "GAP"


@dataclass(frozen=True, slots=True)
class Recommendation:
    """One recommended item with its blended score, reasons and component scores."""

    item_id: str
    skill_id: str
    score: float
    reasons: tuple[Reason, ...]
    components: Mapping[str, float]


def zpd_score(p: float) -> float:
    """1 inside [ZPD_LOW, ZPD_HIGH], falling linearly to 0 at p = 0 and p = 1."""
    if p < ZPD_LOW:
        return max(0.0, p / ZPD_LOW)
    if p > ZPD_HIGH:
        return max(0.0, (1.0 - p) / (1.0 - ZPD_HIGH))
    return 1.0


def recommend(course: Course, state: LearnerState, n: int) -> list[Recommendation]:
    """The ``n`` best items for the learner now, at most one per skill while skills remain."""
    mastered = state.mastered()
    prereqs = {sid: s.prerequisites for sid, s in course.skills.items()}
    ready = ready_skills(prereqs, mastered)
    candidates = [sid for sid in course.order if sid in ready and sid not in mastered]
    review = not candidates
    if review:
        candidates = sorted(mastered, key=lambda s: state.skill(course, s).p_known)
    scored: list[Recommendation] = []
    for sid in candidates:
        for item in course.items_for(sid):
            if not review and not all(k in ready for k in item.skill_ids):
                continue
            scored.append(_score(course, state, item, sid, review))
    scored.sort(key=lambda r: -r.score)  # stable: ties keep course order
    picked: list[Recommendation] = []
    seen_skills: set[str] = set()
    for rec in scored:  # first pass: one item per skill
        if rec.skill_id not in seen_skills:
            picked.append(rec)
            seen_skills.add(rec.skill_id)
        if len(picked) == n:
            return picked
    chosen = {r.item_id for r in picked}
    picked.extend(r for r in scored if r.item_id not in chosen)
    return picked[:n]


def _score(
    course: Course, state: LearnerState, item: Item, skill_id: str, review: bool
) -> Recommendation:
    skill = state.skill(course, skill_id)
    p_next = bkt.p_correct(skill.p_known, course.skills[skill_id].bkt)
    components = {
        "remediation": 1.0 - skill.p_known,
        "zpd": zpd_score(p_next),
        "continuity": 1.0 if state.last_skill == skill_id else 0.0,
        "novelty": 0.0 if item.item_id in state.recent_items else 1.0,
    }
    score = sum(WEIGHTS[k] * v for k, v in components.items())
    reasons: list[Reason] = [Reason.REVIEW] if review else [Reason.READY]
    if not review and skill.attempts > 0 and skill.p_known < 0.5:
        reasons.append(Reason.REMEDIATION)
    if ZPD_LOW <= p_next <= ZPD_HIGH:
        reasons.append(Reason.ZPD)
    if components["continuity"]:
        reasons.append(Reason.CONTINUITY)
    if components["novelty"]:
        reasons.append(Reason.NOVELTY)
    return Recommendation(
        item_id=item.item_id,
        skill_id=skill_id,
        score=score,
        reasons=tuple(reasons),
        components=components,
    )
