"""The heatmap's cells, statuses, sort keys and filters."""

from __future__ import annotations

import pytest

from attune.engine.domain.analytics.heatmap import (
    Heatmap,
    HeatmapAccumulator,
    SortKey,
    Status,
    filter_heatmap,
    sort_rows,
)
from tests.unit.test_analytics_support import course, obs

# A -> B -> C, D a root; every prior P(L0) is 0.2 (see the support module).
COURSE = course({"A": (), "B": ("A",), "C": ("B",), "D": ()})
NAMES = {"L1": "Zoe", "L2": "bea", "L3": "Adam"}


def _heatmap() -> Heatmap:
    acc = HeatmapAccumulator()
    for o in [
        obs(1, "L1", "A", 1, 100.0, p=0.96, mastered={"A"}),
        obs(2, "L1", "B", 0, 200.0, p=0.4),
        obs(3, "L3", "A", 0, 50.0, p=0.3),
        obs(4, "L3", "D", 1, 300.0, p=0.97, mastered={"D"}),
    ]:
        acc.add(o)
    return acc.snapshot(COURSE, NAMES, roster=["L2", "L3"])


def _statuses(h: Heatmap) -> dict[str, list[str]]:
    return {r.learner_id: [c.status.value for c in r.cells] for r in h.rows}


def test_cells_and_statuses() -> None:
    h = _heatmap()
    assert [c.skill_id for c in h.columns] == ["A", "D", "B", "C"]  # course order
    assert [c.name for c in h.columns] == ["Skill A", "Skill D", "Skill B", "Skill C"]
    assert _statuses(h) == {
        "L1": ["mastered", "ready", "in progress", "locked"],
        "L2": ["ready", "ready", "locked", "locked"],  # on the roster, never answered
        "L3": ["in progress", "mastered", "locked", "locked"],
    }
    l1 = h.rows[0]
    assert [c.p_known for c in l1.cells] == [0.96, None, 0.4, None]


def test_row_keys() -> None:
    rows = {r.learner_id: r for r in _heatmap().rows}
    # Mean P(L) over all four skills, the prior 0.2 standing in for those not started.
    assert rows["L1"].mean_p == pytest.approx((0.96 + 0.2 + 0.4 + 0.2) / 4)
    assert rows["L2"].mean_p == pytest.approx(0.2)
    assert rows["L3"].mean_p == pytest.approx((0.3 + 0.97 + 0.2 + 0.2) / 4)
    assert [(r.mastered, r.last_active, r.name) for r in rows.values()] == [
        (1, 200.0, "Zoe"),
        (0, None, "bea"),
        (1, 300.0, "Adam"),
    ]


def _order(h: Heatmap) -> list[str]:
    return [r.learner_id for r in h.rows]


def test_sorting() -> None:
    h = _heatmap()
    assert _order(sort_rows(h, SortKey.NAME)) == ["L3", "L2", "L1"]  # Adam, bea, Zoe
    assert _order(sort_rows(h, SortKey.NAME, descending=True)) == ["L1", "L2", "L3"]
    assert _order(sort_rows(h, SortKey.MASTERED, descending=True)) == ["L3", "L1", "L2"]
    assert _order(sort_rows(h, SortKey.MEAN_P, descending=True)) == ["L1", "L3", "L2"]
    assert _order(sort_rows(h, SortKey.MEAN_P)) == ["L2", "L3", "L1"]
    # Never active: last, whichever the direction.
    assert _order(sort_rows(h, SortKey.LAST_ACTIVE)) == ["L1", "L3", "L2"]
    assert _order(sort_rows(h, SortKey.LAST_ACTIVE, descending=True)) == ["L3", "L1", "L2"]


def test_filters() -> None:
    h = _heatmap()
    progress = filter_heatmap(h, statuses={Status.IN_PROGRESS})
    assert _order(progress) == ["L1", "L3"] and len(progress.columns) == 4
    ready_d = filter_heatmap(h, statuses={Status.READY}, skills={"D"})
    assert [c.skill_id for c in ready_d.columns] == ["D"]
    assert _statuses(ready_d) == {"L1": ["ready"], "L2": ["ready"]}
    assert ready_d.rows[0].mastered == 1  # row keys stay those of the whole course
    assert filter_heatmap(h) == h
    assert _order(filter_heatmap(h, statuses={Status.LOCKED}, skills={"B", "C"})) == [
        "L1",
        "L2",
        "L3",
    ]


def test_revoked_mastery_is_in_progress_again() -> None:
    acc = HeatmapAccumulator()
    acc.add(obs(1, "L", "A", 1, p=0.96, mastered={"A"}))
    acc.add(obs(2, "L", "A", 0, p=0.6))
    (row,) = acc.snapshot(COURSE).rows
    assert [c.status for c in row.cells[:3]] == [Status.IN_PROGRESS, Status.READY, Status.LOCKED]
    assert row.cells[0].p_known == 0.6
