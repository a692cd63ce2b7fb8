"""Item statistics, kept per item and per learner as responses arrive.

The counters of each item (answers, right, too fast, first attempts, time and ability bins)
are integers, so merging shards and forgetting a learner are exact. Each learner keeps what
they contributed to each item (and their first-attempt score, which discrimination needs),
so ``remove_learner`` subtracts it. The report is computed in item_report.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from attune.engine.domain import irt
from attune.engine.domain.analytics.accumulate import ensure_disjoint
from attune.engine.domain.analytics.item_counts import ItemCounts
from attune.engine.domain.analytics.item_report import ItemReport, item_reports
from attune.engine.domain.analytics.observation import Observation
from attune.engine.domain.analytics.settings import ItemSettings
from attune.engine.domain.analytics.timebins import time_bin
from attune.engine.domain.course import Course


@dataclass(slots=True)
class _Seen:
    """One learner's answers to one item: their first score, and what they added to the
    item's counters (bin indices, one per credible answer)."""

    first_score: float
    first_right: bool
    answers: int = 0
    right: int = 0
    fast: int = 0
    time_bins: list[int] = field(default_factory=list)
    theta_bins: list[int] = field(default_factory=list)
    theta_right: int = 0


@dataclass(slots=True)
class _Learner:
    theta: float = 0.0  # the ability after their latest response (0: the prior mean)
    items: dict[str, _Seen] = field(default_factory=dict)


class ItemAccumulator:
    """Per-item statistics (see :func:`item_report.item_reports` for the formulas)."""

    __slots__ = ("_items", "_learners")

    def __init__(self) -> None:
        self._items: dict[str, ItemCounts] = {}
        self._learners: dict[str, _Learner] = {}

    def add(self, obs: Observation) -> None:
        """Fold in one response: O(1)."""
        learner = self._learners.get(obs.learner_id)
        if learner is None:
            learner = self._learners[obs.learner_id] = _Learner()
        counts = self._items.get(obs.item_id)
        if counts is None:
            counts = self._items[obs.item_id] = ItemCounts(obs.skill_ids)
        counts.skill_ids = obs.skill_ids  # the latest tagging
        right = obs.correct
        seen = learner.items.get(obs.item_id)
        if seen is None:
            seen = learner.items[obs.item_id] = _Seen(obs.score, right)
            counts.first += 1
            counts.first_right += right
        seen.answers += 1
        counts.answers += 1
        seen.right += right
        counts.right += right
        if not obs.credible:
            seen.fast += 1
            counts.fast += 1
        else:
            if obs.response_time_ms > 0:
                k = time_bin(obs.response_time_ms)
                seen.time_bins.append(k)
                counts.time_bins[k] += 1
            g = irt.grid_index(learner.theta)
            seen.theta_bins.append(g)
            counts.theta_bins[g] += 1
            seen.theta_right += right
            counts.theta_right += right
        learner.theta = obs.theta

    def merge(self, other: ItemAccumulator) -> None:
        """Take in a shard built over other learners."""
        ensure_disjoint(self._learners.keys(), other._learners.keys())
        self._learners.update(other._learners)
        for item_id, theirs in other._items.items():
            mine = self._items.get(item_id)
            if mine is None:
                mine = self._items[item_id] = ItemCounts(theirs.skill_ids)
            mine.answers += theirs.answers
            mine.right += theirs.right
            mine.fast += theirs.fast
            mine.first += theirs.first
            mine.first_right += theirs.first_right
            mine.theta_right += theirs.theta_right
            for k, n in enumerate(theirs.time_bins):
                mine.time_bins[k] += n
            for k, n in enumerate(theirs.theta_bins):
                mine.theta_bins[k] += n

    def remove_learner(self, learner_id: str) -> None:
        """Subtract one learner's contributions: O(their answers)."""
        learner = self._learners.pop(learner_id, None)
        if learner is None:
            return
        for item_id, seen in learner.items.items():
            counts = self._items[item_id]
            counts.answers -= seen.answers
            counts.right -= seen.right
            counts.fast -= seen.fast
            counts.first -= 1
            counts.first_right -= seen.first_right
            counts.theta_right -= seen.theta_right
            for k in seen.time_bins:
                counts.time_bins[k] -= 1
            for k in seen.theta_bins:
                counts.theta_bins[k] -= 1
            if counts.answers == 0:
                del self._items[item_id]

    def snapshot(
        self,
        course: Course | None = None,
        class_size: int | None = None,
        settings: ItemSettings | None = None,
    ) -> tuple[ItemReport, ...]:
        """Every item's report, by item id. ``class_size`` is the roster's size for exposure
        (default: the learners seen); ``course`` gives the fitted IRT parameters."""
        firsts = {
            learner_id: {item_id: seen.first_score for item_id, seen in learner.items.items()}
            for learner_id, learner in self._learners.items()
        }
        size = class_size if class_size is not None else len(self._learners)
        return item_reports(self._items, firsts, course, size, settings or ItemSettings())
