"""Time to mastery per skill, against a hand-written log."""

from __future__ import annotations

from attune.engine.domain.analytics.mastery_time import MasteryTimeAccumulator, SkillMasteryTime
from tests.unit.test_analytics_support import course, obs

COURSE = course({"s": (), "t": (), "v": ()})


def _snapshot() -> dict[str, SkillMasteryTime]:
    acc = MasteryTimeAccumulator()
    log = [
        # L1 on s: first answer at t=100, mastered on its 3rd answer at t=400 (a too-fast
        # answer in between still counts: the learner spent it).
        obs(1, "L1", "s", 0, 100.0),
        obs(2, "L1", "s", 1, 160.0, credibility=0.2),
        obs(3, "L1", "s", 1, 400.0, mastered={"s"}, newly={"s"}),
        obs(4, "L1", "s", 0, 500.0),  # revoked...
        obs(5, "L1", "s", 1, 900.0, mastered={"s"}),  # ...and re-mastered: no new event
        # L1 on t: mastered on the first answer, through a two-skill item at t=1000.
        obs(6, "L1", ("t", "s"), 1, 1000.0, item="ts", mastered={"t", "s"}, newly={"t"}),
        # L2 on s: mastered on the 2nd answer, 50 s after the first.
        obs(7, "L2", "s", 1, 0.0),
        obs(8, "L2", "s", 1, 50.0, mastered={"s"}, newly={"s"}),
        # L3 on s: not mastered yet.
        obs(9, "L3", "s", 0, 0.0),
    ]
    for o in log:
        acc.add(o)
    return {m.skill_id: m for m in acc.snapshot(COURSE)}


def test_answers_and_seconds_to_first_mastery() -> None:
    s = _snapshot()["s"]
    assert (s.attempted, s.mastered, s.not_yet) == (3, 2, 1)
    assert s.items.median == 2.5  # 3 (L1) and 2 (L2)
    assert s.seconds.median == 175.0  # 300 s (L1) and 50 s (L2)
    assert {b.label: b.count for b in s.items.bins if b.count} == {"2": 1, "3": 1}
    assert {b.label: b.count for b in s.seconds.bins if b.count} == {
        "< 1 min": 1,
        "5 min to 15 min": 1,
    }


def test_two_skill_items_count_for_both_and_zero_seconds_is_allowed() -> None:
    t = _snapshot()["t"]
    assert (t.attempted, t.mastered, t.not_yet) == (1, 1, 0)
    assert (t.items.median, t.seconds.median) == (1, 0.0)


def test_skills_nobody_attempted_are_listed_in_course_order() -> None:
    got = _snapshot()
    assert list(got) == ["s", "t", "v"]
    v = got["v"]
    assert (v.attempted, v.mastered, v.items.median, v.seconds.count) == (0, 0, None, 0)


def test_without_a_course_skills_come_by_id() -> None:
    acc = MasteryTimeAccumulator()
    acc.add(obs(1, "L", "z", 1, mastered={"z"}, newly={"z"}))
    acc.add(obs(2, "L", "y", 0))
    assert [m.skill_id for m in acc.snapshot()] == ["y", "z"]
