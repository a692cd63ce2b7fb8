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
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from attune.engine.domain import irt
from attune.engine.domain.course import Course, Item

_T = TypeVar("_T")
KEPT = 4096  # entries per cache below
# Values computed from one version of a course's mappings, keyed by the mapping's identity
# and a part (an entry holds the mapping, so its id is not reused while cached); a new
# version (a refit, a re-import) is a new mapping, so it never reads an old value.
_TYPICAL: dict[tuple[int, str], tuple[object, tuple[float, float] | None]] = {}
_RANKED: dict[tuple[int, int], tuple[object, tuple[tuple[float, str, str], ...]]] = {}


def _per_version(
    cache: dict[tuple[int, Any], tuple[object, _T]],
    owner: object,
    part: Any,
    build: Callable[[], _T],
) -> _T:
    key = (id(owner), part)
    found = cache.get(key)
    if found is not None and found[0] is owner:
        return found[1]
    value = build()
    if len(cache) >= KEPT:
        del cache[next(iter(cache))]  # the oldest
    cache[key] = (owner, value)
    return value


def typical_item(course: Course, skill_id: str) -> tuple[float, float] | None:
    """(mean a, mean b) of the skill's items, or None when it has none. Kept per course
    version: a learner report takes the prior of every skill (issue 17)."""

    def mean() -> tuple[float, float] | None:
        items = course.items_for(skill_id)
        if not items:
            return None
        return (sum(i.irt.a for i in items) / len(items), sum(i.irt.b for i in items) / len(items))

    return _per_version(_TYPICAL, course.by_skill, skill_id, mean)


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


def ranked_items(items: Mapping[str, Item], k: int) -> tuple[tuple[float, str, str], ...]:
    """(information at grid point ``k``, item id, first skill id) of every item, most
    informative first, ties in course order. Kept per course version: ranking all items on
    every diagnostic answer was most of the cost of a diagnostic response (issue 17)."""

    def rank() -> tuple[tuple[float, str, str], ...]:
        scored = [
            (irt.grid_information(i.irt)[k], i.item_id, i.skill_ids[0]) for i in items.values()
        ]
        scored.sort(key=lambda t: -t[0])
        return tuple(scored)

    return _per_version(_RANKED, items, k, rank)


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
