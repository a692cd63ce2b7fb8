"""The diagnostic's item choice from the cached ranking is exactly the ranking done afresh
(issue 17), for any ability and any items already answered; and a changed course is ranked
again, not served the old course's order."""

from __future__ import annotations

import random
from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from attune.engine.demo.course import demo_course
from attune.engine.domain import irt
from attune.engine.domain.cold_start import diagnostic_items
from attune.engine.domain.course import Course, IrtParams

COURSE = demo_course()
ITEMS = list(COURSE.items)


def _afresh(course: Course, weights: tuple[float, ...], answered: list[str], n: int) -> list:
    """The selection as written before the ranking was cached."""
    theta, _se = irt.eap(weights)
    k = irt.grid_index(theta)
    asked = {s for i in answered for s in course.items[i].skill_ids}
    scored = []
    for item in course.items.values():
        if item.item_id in answered:
            continue
        scored.append((irt.grid_information(item.irt)[k], item.item_id, item.skill_ids[0]))
    scored.sort(key=lambda t: -t[0])
    picked: list[tuple[str, str, float]] = []
    used = set(asked)
    for info, item_id, skill_id in scored:
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


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(0, 8), st.integers(1, 60))
def test_the_cached_ranking_picks_what_a_fresh_one_does(seed: int, asked: int, n: int) -> None:
    rng = random.Random(seed)
    weights = irt.PRIOR
    answered: list[str] = []
    for item_id in rng.sample(ITEMS, asked):
        weights = irt.update(weights, COURSE.items[item_id].irt, float(rng.random() < 0.5))
        answered.append(item_id)
    assert diagnostic_items(COURSE, weights, answered, n) == _afresh(COURSE, weights, answered, n)


def test_a_changed_course_is_ranked_again() -> None:
    before = diagnostic_items(COURSE, irt.PRIOR, [], 3)
    first = before[0][0]
    harder = {
        k: replace(v, irt=IrtParams(a=0.01, b=3.0, c=0.0)) if k == first else v
        for k, v in COURSE.items.items()
    }
    changed = replace(COURSE, items=harder)
    after = diagnostic_items(changed, irt.PRIOR, [], 3)
    assert after == _afresh(changed, irt.PRIOR, [], 3)
    assert first not in [p[0] for p in after]
