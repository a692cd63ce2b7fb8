"""Next-item selection with reasons a teacher can read.

Order of business:

1. **Diagnostic.** A new learner in a course with a diagnostic gets the most informative items
   (maximum Fisher information at the current ability, one per skill), reason ``DIAGNOSTIC``.
   Pins wait until it is over: its few items calibrate every prior.
2. **Pinned skills** (tier 4): skills a teacher pinned for the learner (``LearnerState.pinned``)
   or for the class (``SelectionContext.pinned``), while not mastered, whatever their
   prerequisites: the teacher has decided. Reason ``PINNED``.
3. **Gaps first**: re-checks of suspected prerequisites (tier 3), then the remediation
   targets of weak prerequisites (tier 2), reason ``GAP`` (gaps.py). The re-check comes
   first because a doubted prerequisite can make its dependants unlearnable.
4. **Due reviews** (tier 1): mastered skills past their review interval, reason ``REVIEW``.
5. **New practice** (tier 0): ready, unmastered skills.

Within a tier, items are ranked by a weighted blend of components, each in [0, 1]:

==============  ======  =================================================================
component       weight  meaning
==============  ======  =================================================================
remediation     0.30    1 - P(L) of the skill: low belief needs practice most
readiness       0.10    the lowest P(L) among the skill's prerequisites (1 with none)
zpd             0.25    predicted correctness near the zone of proximal development:
                        1 inside [0.4, 0.7], falling linearly to 0 at 0 and at 1
continuity      0.10    1 when the item stays on the learner's last skill
novelty         0.15    0 when the item is in the learner's last 10 items
exploration     0.10    a Thompson draw of the item's mean learning gain, 0.5 + draw / 0.4
==============  ======  =================================================================

Predicted correctness comes from DKT when the caller supplies its predictions, else from BKT.
Exploration is seeded by (learner, response count), so a recommendation is reproducible.
At most one item per skill is given while other skills remain. When every skill is mastered
and none is due, the weakest mastered skills are offered for review.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum

from attune.engine.domain import bkt, review
from attune.engine.domain.cold_start import diagnostic_items
from attune.engine.domain.course import Course, Item
from attune.engine.domain.gaps import find_gaps, remediation_targets
from attune.engine.domain.graph import ready_skills
from attune.engine.domain.item_stats import ItemStats, gain_posterior
from attune.engine.domain.learner import LearnerState
from attune.engine.domain.tutoring import TutorPolicy

ZPD_LOW, ZPD_HIGH = 0.4, 0.7
EXPLORE_BELOW = 10  # observations under which an item is still being explored

WEIGHTS: Mapping[str, float] = {
    "remediation": 0.30,
    "readiness": 0.10,
    "zpd": 0.25,
    "continuity": 0.10,
    "novelty": 0.15,
    "exploration": 0.10,
}

_NO_STATS = ItemStats()


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
    PINNED = "PINNED"


@dataclass(frozen=True, slots=True)
class Recommendation:
    """One recommended item with its blended score, reasons and component scores."""

    item_id: str
    skill_id: str
    score: float
    reasons: tuple[Reason, ...]
    components: Mapping[str, float]
    content: str = ""  # the item's content, filled in by the service for a reply (not logged)


@dataclass(frozen=True, slots=True)
class SelectionContext:
    """What selection needs beyond the course and the learner."""

    now: float = 0.0
    item_stats: Mapping[str, ItemStats] = field(default_factory=dict)
    predicted: Mapping[str, float] | None = None  # DKT P(correct) per skill, when available
    tutor: TutorPolicy = field(default_factory=TutorPolicy)
    pinned: frozenset[str] = frozenset()  # skills pinned for the whole class


def zpd_score(p: float) -> float:
    """1 inside [ZPD_LOW, ZPD_HIGH], falling linearly to 0 at p = 0 and p = 1."""
    if p < ZPD_LOW:
        return max(0.0, p / ZPD_LOW)
    if p > ZPD_HIGH:
        return max(0.0, (1.0 - p) / (1.0 - ZPD_HIGH))
    return 1.0


def recommend(
    course: Course, state: LearnerState, n: int, ctx: SelectionContext | None = None
) -> list[Recommendation]:
    """The ``n`` best items for the learner now (see the module doc)."""
    ctx = ctx or SelectionContext()
    if state.in_diagnostic(course):
        return _diagnostic(course, state, n)
    rng = random.Random(f"{state.learner_id}#{state.responses}")
    tiers = _candidate_tiers(course, state, ctx, n)
    scored: list[tuple[int, Recommendation]] = []
    # Candidates in course order, and items in course order within a skill: the stable sort
    # below then breaks every tie by course order, never by set or hash order (issue 20).
    for sid in sorted(tiers, key=course.position):
        tier = tiers[sid]
        base, reasons = _skill_part(course, state, sid, tier, ctx)
        for item in course.items_for(sid):
            scored.append((tier, _item_part(state, item, sid, base, reasons, ctx, rng)))
    scored.sort(key=lambda t: (-t[0], -t[1].score))  # stable: ties keep course order
    ranked = [rec for _tier, rec in scored]
    picked: list[Recommendation] = []
    seen: set[str] = set()
    for rec in ranked:  # first pass: one item per skill
        if rec.skill_id not in seen:
            picked.append(rec)
            seen.add(rec.skill_id)
        if len(picked) == n:
            return picked
    chosen = {r.item_id for r in picked}
    picked.extend(r for r in ranked if r.item_id not in chosen)
    return picked[:n]


TIER_PINNED, TIER_RECHECK, TIER_GAP, TIER_REVIEW, TIER_NEW = 4, 3, 2, 1, 0


def _candidate_tiers(
    course: Course, state: LearnerState, ctx: SelectionContext, n: int
) -> dict[str, int]:
    mastered = state.mastered()
    ready = ready_skills({k: s.prerequisites for k, s in course.skills.items()}, mastered)
    tiers: dict[str, int] = {}
    for gap in find_gaps(course, state, ctx.tutor.gaps):
        tier = TIER_RECHECK if gap.suspected else TIER_GAP
        for target in remediation_targets(course, state, gap.skill_id):
            tiers[target] = max(tier, tiers.get(target, tier))
    due = sorted(
        (s for s in mastered if review.overdue(state.skills[s], ctx.now, ctx.tutor.review) > 0),
        key=lambda s: (
            -review.overdue(state.skills[s], ctx.now, ctx.tutor.review),
            course.position(s),
        ),
    )
    for sid in due:
        tiers.setdefault(sid, TIER_REVIEW)
    for sid in course.order:
        if sid in ready and sid not in mastered:
            tiers.setdefault(sid, TIER_NEW)
    pinned = ctx.pinned.union(state.pinned)
    for sid in course.order:
        if sid in pinned and sid not in mastered:
            tiers[sid] = TIER_PINNED
    if not tiers:
        # Everything mastered, nothing due: check the skills most likely forgotten (lowest
        # predicted recall; those under the completion bar keep the course from being done),
        # then the weakest, then course order, so ties never depend on set order.
        def weakest(sid: str) -> tuple[float, float, int]:
            skill = state.skill(course, sid)
            return (
                review.recall(skill, ctx.now, ctx.tutor.review),
                skill.p_known,
                course.position(sid),
            )

        for sid in sorted(mastered, key=weakest)[:n]:
            tiers[sid] = TIER_REVIEW
    return tiers


def _skill_part(
    course: Course, state: LearnerState, skill_id: str, tier: int, ctx: SelectionContext
) -> tuple[dict[str, float], list[Reason]]:
    """The components and reasons shared by every item of a skill."""
    skill = state.skill(course, skill_id)
    if ctx.predicted is not None and skill_id in ctx.predicted:
        p_next = ctx.predicted[skill_id]
    else:
        p_next = bkt.p_correct(skill.p_known, course.skills[skill_id].bkt)
    prereqs = course.skills[skill_id].prerequisites
    base = {
        "remediation": 1.0 - skill.p_known,
        "readiness": min((state.skill(course, p).p_known for p in prereqs), default=1.0),
        "zpd": zpd_score(p_next),
        "continuity": 1.0 if state.last_skill == skill_id else 0.0,
    }
    lead = {
        TIER_PINNED: Reason.PINNED,
        TIER_RECHECK: Reason.GAP,
        TIER_GAP: Reason.GAP,
        TIER_REVIEW: Reason.REVIEW,
    }
    reasons = [lead.get(tier, Reason.READY)]
    if tier != TIER_REVIEW and skill.attempts > 0 and skill.p_known < 0.5:
        reasons.append(Reason.REMEDIATION)
    if ZPD_LOW <= p_next <= ZPD_HIGH:
        reasons.append(Reason.ZPD)
    if base["continuity"]:
        reasons.append(Reason.CONTINUITY)
    return base, reasons


def _item_part(
    state: LearnerState,
    item: Item,
    skill_id: str,
    base: dict[str, float],
    skill_reasons: list[Reason],
    ctx: SelectionContext,
    rng: random.Random,
) -> Recommendation:
    """Add the item's own components (novelty, exploration) and blend."""
    stats = ctx.item_stats.get(item.item_id, _NO_STATS)
    mean, sd = gain_posterior(stats)
    draw = rng.gauss(mean, sd)
    novel = item.item_id not in state.recent_items
    components = {
        **base,
        "novelty": 1.0 if novel else 0.0,
        "exploration": min(1.0, max(0.0, 0.5 + draw / 0.4)),
    }
    score = sum(WEIGHTS[k] * v for k, v in components.items())
    reasons = list(skill_reasons)
    if novel:
        reasons.append(Reason.NOVELTY)
    if stats.count < EXPLORE_BELOW and draw > mean:
        reasons.append(Reason.EXPLORATION)
    return Recommendation(item.item_id, skill_id, score, tuple(reasons), components)


def _diagnostic(course: Course, state: LearnerState, n: int) -> list[Recommendation]:
    answered = [a.item_id for a in state.diagnostic]
    picks = diagnostic_items(course, state.ability_weights(), answered, n)
    return [
        Recommendation(item_id, skill_id, info, (Reason.DIAGNOSTIC,), {"information": info})
        for item_id, skill_id, info in picks
    ]
