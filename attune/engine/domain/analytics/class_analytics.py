"""Every class statistic of one course together: one ``add`` feeds them all.

This is what the engine keeps per course: it adds each logged response as it is recorded,
rebuilds with :func:`rebuild` from the log after a restart, and asks for a
:class:`ClassReport` when a page is rendered.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from attune.engine.domain.analytics.accumulate import fill
from attune.engine.domain.analytics.at_risk import AtRiskAccumulator, AtRiskLearner
from attune.engine.domain.analytics.class_gaps import ClassGapsAccumulator, KnowledgeGap
from attune.engine.domain.analytics.drift import DriftAccumulator, DriftReport
from attune.engine.domain.analytics.heatmap import Heatmap, HeatmapAccumulator
from attune.engine.domain.analytics.item_report import ItemReport
from attune.engine.domain.analytics.items import ItemAccumulator
from attune.engine.domain.analytics.mastery_time import MasteryTimeAccumulator, SkillMasteryTime
from attune.engine.domain.analytics.observation import Observation
from attune.engine.domain.analytics.retention import RetentionAccumulator, RetentionReport
from attune.engine.domain.analytics.settings import AnalyticsSettings
from attune.engine.domain.course import Course


@dataclass(frozen=True, slots=True)
class ClassReport:
    """Everything the class views show, at one moment."""

    items: tuple[ItemReport, ...]
    mastery_time: tuple[SkillMasteryTime, ...]
    drift: DriftReport
    at_risk: tuple[AtRiskLearner, ...]
    gaps: tuple[KnowledgeGap, ...]
    retention: RetentionReport
    heatmap: Heatmap


class ClassAnalytics:
    """The accumulators of one course's class, fed together."""

    __slots__ = (
        "at_risk",
        "drift",
        "gaps",
        "heatmap",
        "items",
        "mastery_time",
        "retention",
        "settings",
    )

    def __init__(self, settings: AnalyticsSettings | None = None) -> None:
        self.settings = settings or AnalyticsSettings()
        self.items = ItemAccumulator()
        self.mastery_time = MasteryTimeAccumulator()
        self.drift = DriftAccumulator()
        self.at_risk = AtRiskAccumulator(self.settings.at_risk)
        self.gaps = ClassGapsAccumulator()
        self.retention = RetentionAccumulator(self.settings.retention_after_s)
        self.heatmap = HeatmapAccumulator()

    def add(self, obs: Observation) -> None:
        """Fold one response into every statistic."""
        self.items.add(obs)
        self.mastery_time.add(obs)
        self.drift.add(obs)
        self.at_risk.add(obs)
        self.gaps.add(obs)
        self.retention.add(obs)
        self.heatmap.add(obs)

    def merge(self, other: ClassAnalytics) -> None:
        """Take in a shard built over other learners (with the same settings)."""
        self.items.merge(other.items)
        self.mastery_time.merge(other.mastery_time)
        self.drift.merge(other.drift)
        self.at_risk.merge(other.at_risk)
        self.gaps.merge(other.gaps)
        self.retention.merge(other.retention)
        self.heatmap.merge(other.heatmap)

    def remove_learner(self, learner_id: str) -> None:
        """Forget one learner everywhere (as rebuilding without them would)."""
        self.items.remove_learner(learner_id)
        self.mastery_time.remove_learner(learner_id)
        self.drift.remove_learner(learner_id)
        self.at_risk.remove_learner(learner_id)
        self.gaps.remove_learner(learner_id)
        self.retention.remove_learner(learner_id)
        self.heatmap.remove_learner(learner_id)

    def snapshot(
        self,
        course: Course,
        now: float,
        names: Mapping[str, str] | None = None,
        roster: Iterable[str] = (),
    ) -> ClassReport:
        """The class report at ``now`` (epoch seconds). ``roster``: the class's learners,
        for exposure and for heatmap rows of learners who never answered."""
        heatmap = self.heatmap.snapshot(course, names, roster)
        return ClassReport(
            items=self.items.snapshot(course, len(heatmap.rows), self.settings.items),
            mastery_time=self.mastery_time.snapshot(course),
            drift=self.drift.snapshot(course, self.settings.drift),
            at_risk=self.at_risk.snapshot(now, course),
            gaps=self.gaps.snapshot(course),
            retention=self.retention.snapshot(course),
            heatmap=heatmap,
        )


def rebuild(
    observations: Iterable[Observation], settings: AnalyticsSettings | None = None
) -> ClassAnalytics:
    """Every statistic rebuilt from the log (sorted by ``log_id``). Deleting a learner is
    ``rebuild(o for o in log if o.learner_id != learner_id)``."""
    return fill(ClassAnalytics(settings), observations)
