"""Cold start: a short diagnostic by maximum Fisher information, then BKT priors from theta.

The mapping from ability to a skill's prior (used once the diagnostic ends):

1. The skill's typical item is the mean (a, b) of the skill's items, with c = 0.
2. IRT predicts P(correct) = 1 / (1 + exp(-a (theta - b))) on that item.
3. BKT says P(correct) = guess + (1 - guess - slip) P(L), so P(L) is that inverted and
   clamped to [0.01, 0.99].
4. The estimate is shrunk toward the course's prior by the certainty of theta:
   w = max(0, 1 - SE^2) (the theta prior has variance 1), prior = w P(L) + (1 - w) course prior.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from attune.engine.domain import irt
from attune.engine.domain.course import Course, Item

# Each skill's typical item (mean a, mean b), per course's ``by_skill`` mapping (by identity;
# the entry holds the mapping, so its id is not reused while cached). A learner report takes
# the prior of every skill, and each averaged the skill's items anew (issue 17).
_TYPICAL: dict[int, tuple[Mapping[str, tuple[Item, ...]], dict[str, tuple[float, float]]]] = {}
TYPICAL_KEPT = 4096


def typical_item(course: Course, skill_id: str) -> tuple[float, float] | None:
    """(mean a, mean b) of the skill's items, or None when it has none."""
    by_skill = course.by_skill
    entry = _TYPICAL.get(id(by_skill))
    if entry is None or entry[0] is not by_skill:
        if len(_TYPICAL) >= TYPICAL_KEPT:
            del _TYPICAL[next(iter(_TYPICAL))]  # the oldest
        entry = (by_skill, {})
        _TYPICAL[id(by_skill)] = entry
    found = entry[1].get(skill_id)
    if found is None:
        items = course.items_for(skill_id)
        if not items:
            return None
        found = (sum(i.irt.a for i in items) / len(items), sum(i.irt.b for i in items) / len(items))
        entry[1][skill_id] = found
    return found


def prior_from_theta(course: Course, skill_id: str, theta: float, se: float) -> float:
    """The BKT prior of ``skill_id`` for a learner of ability ``theta`` (see module doc)."""
    skill = course.skills[skill_id]
    typical = typical_item(course, skill_id)
    if typical is None:
        return skill.bkt.prior
    a, b = typical
    p_right = 1.0 / (1.0 + math.exp(-a * (theta - b)))
    span = 1.0 - skill.bkt.guess - skill.bkt.slip
    p_known = min(0.99, max(0.01, (p_right - skill.bkt.guess) / span))
    w = max(0.0, 1.0 - se * se)
    return w * p_known + (1.0 - w) * skill.bkt.prior


def diagnostic_done(course: Course, answered: int, se: float) -> bool:
    """Whether the diagnostic phase is over after ``answered`` items with ability SE ``se``."""
    policy = course.diagnostic
    return answered >= policy.max_items or (answered >= policy.min_items and se <= policy.target_se)


# The items ranked by information at each grid point, per course's items mapping (by
# identity; the entry holds the mapping, so its id is not reused while cached). Ranking all
# items on every diagnostic answer was most of the cost of a diagnostic response (issue 17).
_RANKED: dict[tuple[int, int], tuple[Mapping[str, Item], tuple[tuple[float, str, str], ...]]] = {}
RANKED_KEPT = 4096


def ranked_items(items: Mapping[str, Item], k: int) -> tuple[tuple[float, str, str], ...]:
    """(information at grid point ``k``, item id, first skill id) of every item, most
    informative first, ties in course order."""
    key = (id(items), k)
    found = _RANKED.get(key)
    if found is not None and found[0] is items:
        return found[1]
    scored = [(irt.grid_information(i.irt)[k], i.item_id, i.skill_ids[0]) for i in items.values()]
    scored.sort(key=lambda t: -t[0])
    ranked = tuple(scored)
    if len(_RANKED) >= RANKED_KEPT:
        del _RANKED[next(iter(_RANKED))]  # the oldest
    _RANKED[key] = (items, ranked)
    return ranked


def diagnostic_items(
    course: Course, weights: Sequence[float], answered: Sequence[str], n: int
) -> list[tuple[str, str, float]]:
    """The ``n`` most informative unanswered items at the current ability, one per skill.

    Information is taken at the EAP estimate of theta, to the grid's resolution of 0.2
    (classic maximum-information selection). Returns (item, skill, information).
    """
    theta, _se = irt.eap(weights)
    k = irt.grid_index(theta)
    asked_skills = {s for i in answered for s in course.items[i].skill_ids}
    # The ranking of every item at grid point k, filtered: a stable sort then a filter is the
    # same order as the filter then the sort.
    skip = set(answered)
    scored = [t for t in ranked_items(course.items, k) if t[1] not in skip]
    picked: list[tuple[str, str, float]] = []
    used = set(asked_skills)
    for info, item_id, skill_id in scored:  # spread across the graph: one item per skill
        if skill_id not in used:
            picked.append((item_id, skill_id, info))
            used.add(skill_id)
        if len(picked) == n:
            return picked
    for info, item_id, skill_id in scored:
        if len(picked) == n:
            break
        if all(item_id != p[0] for p in picked):
            picked.append((item_id, skill_id, info))
    return picked
