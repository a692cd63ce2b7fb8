"""The mastery heatmap's data: learners x skills, each cell P(L) and a status.

Statuses, from the learner's mastery now and the course's graph:

- **mastered**: the skill's mastery flag is set;
- **in progress**: answered at least once, not mastered (mastery revoked included);
- **ready**: never answered, and every direct prerequisite mastered;
- **locked**: never answered, and a prerequisite is not mastered.

A cell's P(L) is the one after the learner's latest answer on the skill, None when never
answered (the page shows "not started" rather than a prior the learner never saw).
Rows carry the sort keys: name (supplied by the caller: the engine knows no names), skills
mastered, mean P(L) over every skill of the course (the course's prior P(L0) standing in
for skills not started, so that starting nothing does not rank high) and last activity.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field, replace
from enum import Enum

from attune.engine.domain.analytics.accumulate import ensure_disjoint
from attune.engine.domain.analytics.observation import Observation
from attune.engine.domain.analytics.relations import name_of
from attune.engine.domain.analytics.tracker import MasteryTracker
from attune.engine.domain.course import Course


class Status(Enum):
    """Where a learner stands on a skill."""

    MASTERED = "mastered"
    IN_PROGRESS = "in progress"
    READY = "ready"
    LOCKED = "locked"


class SortKey(Enum):
    """How rows can be sorted."""

    NAME = "name"
    MASTERED = "mastered"
    MEAN_P = "mean P(L)"
    LAST_ACTIVE = "last activity"


@dataclass(frozen=True, slots=True)
class Column:
    """A skill: its id and display name."""

    skill_id: str
    name: str


@dataclass(frozen=True, slots=True)
class Cell:
    """P(L) after the latest answer (None: never answered) and the status."""

    p_known: float | None
    status: Status


@dataclass(frozen=True, slots=True)
class HeatmapRow:
    """A learner: the cells (aligned with the columns) and the sort keys."""

    learner_id: str
    name: str
    cells: tuple[Cell, ...]
    mastered: int
    mean_p: float
    last_active: float | None


@dataclass(frozen=True, slots=True)
class Heatmap:
    """Skills in course order, learners by id (sort with :func:`sort_rows`)."""

    columns: tuple[Column, ...]
    rows: tuple[HeatmapRow, ...]


@dataclass(slots=True)
class _Learner:
    p_known: dict[str, float] = field(default_factory=dict)
    last_at: float = -math.inf


class HeatmapAccumulator:
    """The latest P(L) per learner and skill, and mastery: O(skills of the item)."""

    __slots__ = ("_learners", "_tracker")

    def __init__(self) -> None:
        self._learners: dict[str, _Learner] = {}
        self._tracker = MasteryTracker()

    def add(self, obs: Observation) -> None:
        """Fold in one response."""
        self._tracker.apply(obs)
        learner = self._learners.get(obs.learner_id)
        if learner is None:
            learner = self._learners[obs.learner_id] = _Learner()
        for sid, p in zip(obs.skill_ids, obs.p_known, strict=True):
            learner.p_known[sid] = p
        learner.last_at = max(learner.last_at, obs.occurred_at)

    def merge(self, other: HeatmapAccumulator) -> None:
        """Take in a shard built over other learners."""
        ensure_disjoint(self._learners.keys(), other._learners.keys())
        self._tracker.merge(other._tracker)
        self._learners.update(other._learners)

    def remove_learner(self, learner_id: str) -> None:
        """Forget one learner."""
        self._tracker.remove(learner_id)
        self._learners.pop(learner_id, None)

    def snapshot(
        self,
        course: Course,
        names: Mapping[str, str] | None = None,
        roster: Iterable[str] = (),
    ) -> Heatmap:
        """Every learner seen, plus the ``roster``'s learners who never answered (all their
        cells ready or locked). ``names`` maps learner ids to display names (default: id)."""
        names = names or {}
        columns = tuple(Column(sid, name_of(course, sid)) for sid in course.order)
        pres = [course.skills[sid].prerequisites for sid in course.order]
        priors = [course.skills[sid].bkt.prior for sid in course.order]
        rows = []
        for lid in sorted({*self._learners, *roster}):
            learner = self._learners.get(lid, _Learner())
            mastered = self._tracker.of(lid).mastered if lid in self._learners else frozenset()
            cells = []
            for sid, pre in zip(course.order, pres, strict=True):
                p = learner.p_known.get(sid)
                if sid in mastered:
                    status = Status.MASTERED
                elif p is not None:
                    status = Status.IN_PROGRESS
                elif all(q in mastered for q in pre):
                    status = Status.READY
                else:
                    status = Status.LOCKED
                cells.append(Cell(p, status))
            known = [
                c.p_known if c.p_known is not None else q
                for c, q in zip(cells, priors, strict=True)
            ]
            rows.append(
                HeatmapRow(
                    learner_id=lid,
                    name=names.get(lid, lid),
                    cells=tuple(cells),
                    mastered=sum(1 for c in cells if c.status is Status.MASTERED),
                    mean_p=math.fsum(known) / len(known),
                    last_active=learner.last_at if learner.p_known else None,
                )
            )
        return Heatmap(columns, tuple(rows))


def sort_rows(heatmap: Heatmap, key: SortKey, descending: bool = False) -> Heatmap:
    """The heatmap with its rows sorted by ``key``; ties by name then id, and learners
    never active last whichever the direction."""

    def tie(row: HeatmapRow) -> tuple[str, str]:
        return (row.name.casefold(), row.learner_id)

    rows = list(heatmap.rows)
    if key is SortKey.NAME:
        rows.sort(key=tie, reverse=descending)
    else:
        sign = -1.0 if descending else 1.0

        def value(row: HeatmapRow) -> tuple[bool, float, tuple[str, str]]:
            v = {
                SortKey.MASTERED: float(row.mastered),
                SortKey.MEAN_P: row.mean_p,
                SortKey.LAST_ACTIVE: row.last_active,
            }[key]
            return (v is None, sign * v if v is not None else 0.0, tie(row))

        rows.sort(key=value)
    return replace(heatmap, rows=tuple(rows))


def filter_heatmap(
    heatmap: Heatmap,
    statuses: Collection[Status] | None = None,
    skills: Collection[str] | None = None,
) -> Heatmap:
    """Keep the columns of ``skills`` (all when None), then the rows with at least one kept
    cell whose status is in ``statuses`` (all rows when None). A row's sort keys stay those
    of the whole course: filtering the view does not change what a learner has mastered."""
    keep = [k for k, c in enumerate(heatmap.columns) if skills is None or c.skill_id in skills]
    rows = []
    for row in heatmap.rows:
        cells = tuple(row.cells[k] for k in keep)
        if statuses is None or any(c.status in statuses for c in cells):
            rows.append(replace(row, cells=cells))
    return Heatmap(tuple(heatmap.columns[k] for k in keep), tuple(rows))
