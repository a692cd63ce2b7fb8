"""Class knowledge gaps and retention, against hand counts."""

from __future__ import annotations

import pytest

from attune.engine.domain.analytics.class_gaps import ClassGapsAccumulator
from attune.engine.domain.analytics.maths import wilson
from attune.engine.domain.analytics.retention import RetentionAccumulator
from attune.engine.domain.tutoring import HOUR
from tests.unit.test_analytics_support import course, obs

# A -> B, A -> C, B and C -> D.
COURSE = course({"A": (), "B": ("A",), "C": ("A",), "D": ("B", "C")})


def test_prerequisites_behind_failures_ranked_with_counts() -> None:
    acc = ClassGapsAccumulator()
    log = [
        obs(1, "L1", "B", 0),  # A not mastered: A charged (via B)
        obs(2, "L1", "C", 0),  # A charged (via C)
        obs(3, "L2", "A", 1, mastered={"A"}),
        obs(4, "L2", "A", 0),  # A revoked
        obs(5, "L2", "B", 0),  # A charged, while revoked
        obs(6, "L2", "D", 0),  # B and C charged
        obs(7, "L3", "A", 1, mastered={"A"}),
        obs(8, "L3", "B", 0),  # A mastered: nothing
        obs(9, "L3", "C", 0, credibility=0.2),  # too fast: nothing
        obs(10, "L3", "C", 1),  # right: nothing
    ]
    for o in log:
        acc.add(o)
    gaps = acc.snapshot(COURSE)
    assert [g.skill_id for g in gaps] == ["A", "B", "C"]
    a, b, c = gaps
    assert (a.failures, a.revoked, a.learners) == (3, 1, 2)
    assert a.dependants == (("B", 2), ("C", 1))
    assert a.evidence == (1, 2, 5)
    assert (b.failures, b.revoked, b.learners, b.dependants, b.evidence) == (
        1,
        0,
        1,
        (("D", 1),),
        (6,),
    )
    assert (c.failures, c.learners, c.evidence) == (1, 1, (6,))


def test_retention_counts_answers_48_hours_after_mastery() -> None:
    acc = RetentionAccumulator()
    h = HOUR
    log = [
        obs(1, "L1", "A", 1, 0.0, mastered={"A"}),
        obs(2, "L1", "A", 1, 47 * h, mastered={"A"}),  # too early
        obs(3, "L1", "A", 1, 49 * h, mastered={"A"}),  # counted, right
        obs(4, "L1", "A", 0, 50 * h, mastered={"A"}),  # counted, wrong (not revoking)
        obs(5, "L1", "A", 0, 51 * h),  # counted, wrong: revokes
        obs(6, "L1", "A", 1, 52 * h),  # not mastered before it
        obs(7, "L1", "A", 1, 53 * h, mastered={"A"}),  # re-mastered here, at 53 h
        obs(8, "L1", "A", 1, 60 * h, mastered={"A"}),  # 7 h after the re-mastery
        obs(9, "L1", "A", 1, 100 * h, mastered={"A"}, credibility=0.2),  # too fast
        obs(10, "L1", "A", 1, 102 * h, mastered={"A"}),  # 49 h after: counted, right
        obs(11, "L2", "B", 1, 0.0, mastered={"B"}),
        obs(12, "L2", "B", 1, 72 * h, mastered={"B"}),  # counted, right
    ]
    for o in log:
        acc.add(o)
    report = acc.snapshot(COURSE)
    rows = {r.skill_id: r for r in report.skills}
    assert list(rows) == ["A", "B"]
    assert (rows["A"].answers, rows["A"].right, rows["A"].learners) == (4, 2, 1)
    assert rows["A"].share == 0.5
    assert (rows["A"].low, rows["A"].high) == pytest.approx(wilson(2, 4))
    assert (rows["B"].answers, rows["B"].right, rows["B"].share) == (1, 1, 1.0)
    overall = report.overall
    assert (overall.skill_id, overall.answers, overall.right, overall.learners) == ("", 5, 3, 2)
    assert overall.share == pytest.approx(0.6)
    assert report.after_s == 48 * h


def test_retention_delay_is_a_setting_and_empty_is_none() -> None:
    acc = RetentionAccumulator(after_s=HOUR)
    acc.add(obs(1, "L", "A", 1, 0.0, mastered={"A"}))
    acc.add(obs(2, "L", "A", 0, 2 * HOUR))
    assert acc.snapshot().overall.answers == 1 and acc.snapshot().overall.right == 0
    empty = RetentionAccumulator().snapshot(COURSE)
    assert empty.skills == () and empty.overall.share is None and empty.overall.answers == 0
