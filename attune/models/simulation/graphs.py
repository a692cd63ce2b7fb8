"""The graph shapes of the realistic study: the demo course and two built in code.

- ``wide``: 16 skills on two levels. Four roots; each of the twelve others needs one or two
  roots. Much can be practised at once, so a policy's choice of skill matters less than its
  stopping rule.
- ``deep``: 15 skills in a chain (each needs the previous one; every third also needs the one
  before that). One unknown link blocks everything after it, so premature mastery of an early
  skill wastes every item spent above it.

Both use the same nominal BKT values and the engine's default mastery policy, three items per
skill with an IRT difficulty that grows with depth, like the demo course.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from attune.engine.demo.course import demo_course
from attune.engine.domain.bkt import BktParams
from attune.engine.domain.course import Course, IrtParams, Item, Skill, build_course

NOMINAL = BktParams(prior=0.15, learn=0.2, guess=0.15, slip=0.1)
ITEMS_PER_SKILL = 3


def _course(course_id: str, title: str, graph: Sequence[tuple[str, tuple[str, ...]]]) -> Course:
    depth: dict[str, int] = {}
    for sid, pre in graph:  # prerequisites come first in ``graph``
        depth[sid] = 1 + max((depth[p] for p in pre), default=-1)
    deepest = max(depth.values()) or 1
    skills = [Skill(skill_id=sid, name=sid, bkt=NOMINAL, prerequisites=pre) for sid, pre in graph]
    items = [
        Item(
            item_id=f"{sid}/{level}",
            skill_ids=(sid,),
            irt=IrtParams(a=1.0 + 0.2 * (level - 1), b=-2.0 + 4.0 * depth[sid] / deepest),
        )
        for sid, _ in graph
        for level in range(1, ITEMS_PER_SKILL + 1)
    ]
    return build_course(course_id, skills, items, title=title)


def wide_course() -> Course:
    """16 skills, two levels (see the module doc)."""
    roots = [f"w{i:02d}" for i in range(4)]
    graph: list[tuple[str, tuple[str, ...]]] = [(r, ()) for r in roots]
    for i in range(12):
        pre = (roots[i % 4],) if i % 3 else (roots[i % 4], roots[(i + 1) % 4])
        graph.append((f"w{i + 4:02d}", pre))
    return _course("wide", "Wide and shallow (16 skills)", graph)


def deep_course() -> Course:
    """15 skills in a chain (see the module doc)."""
    graph: list[tuple[str, tuple[str, ...]]] = [("d00", ())]
    for i in range(1, 15):
        pre = [f"d{i - 1:02d}"]
        if i % 3 == 0 and i >= 2:
            pre.append(f"d{i - 2:02d}")
        graph.append((f"d{i:02d}", tuple(pre)))
    return _course("deep", "Narrow and deep (15 skills)", graph)


GRAPHS: Mapping[str, Callable[[], Course]] = {
    "demo": demo_course,
    "wide": wide_course,
    "deep": deep_course,
}
