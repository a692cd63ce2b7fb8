"""Class analytics for the instructor dashboard (issue 14): pure, incremental statistics.

The engine turns each entry of its event log into an :class:`Observation` and folds it into
accumulators. Every accumulator has ``add(observation)`` (amortised O(1) or O(skills of the
item)), ``merge(other)`` and a ``snapshot(...)`` that returns frozen results, so the engine
can keep them in memory and rebuild them from the log after a restart (``rebuild``).

Observations of one learner must be added in log order (``rebuild`` sorts by ``log_id``).
``merge`` joins accumulators built over *disjoint sets of learners* (shards of a class); it
refuses an overlap, because a learner's history cannot be spliced.

Deleting a learner (or re-importing a course whose items changed their skills) means
rebuilding without that learner's observations: ``rebuild(o for o in log if o.learner_id !=
gone)``. Every accumulator also has ``remove_learner`` for the common case.

The course (names, prerequisites, IRT parameters) is read at snapshot time only, so a new
course version that keeps its item tagging needs no rebuild.
"""

from attune.engine.domain.analytics.at_risk import AtRiskAccumulator, AtRiskLearner, RiskReason
from attune.engine.domain.analytics.class_analytics import ClassAnalytics, ClassReport, rebuild
from attune.engine.domain.analytics.class_gaps import ClassGapsAccumulator, KnowledgeGap
from attune.engine.domain.analytics.drift import DriftAccumulator, DriftReport, SkillDrift
from attune.engine.domain.analytics.heatmap import (
    Heatmap,
    HeatmapAccumulator,
    SortKey,
    Status,
    filter_heatmap,
    sort_rows,
)
from attune.engine.domain.analytics.item_report import ItemReport
from attune.engine.domain.analytics.items import ItemAccumulator
from attune.engine.domain.analytics.mastery_time import MasteryTimeAccumulator, SkillMasteryTime
from attune.engine.domain.analytics.observation import Observation, observation_of
from attune.engine.domain.analytics.retention import RetentionAccumulator, RetentionReport
from attune.engine.domain.analytics.settings import (
    AnalyticsSettings,
    AtRiskSettings,
    DriftSettings,
    ItemSettings,
)

__all__ = [
    "AnalyticsSettings",
    "AtRiskAccumulator",
    "AtRiskLearner",
    "AtRiskSettings",
    "ClassAnalytics",
    "ClassGapsAccumulator",
    "ClassReport",
    "DriftAccumulator",
    "DriftReport",
    "DriftSettings",
    "Heatmap",
    "HeatmapAccumulator",
    "ItemAccumulator",
    "ItemReport",
    "ItemSettings",
    "KnowledgeGap",
    "MasteryTimeAccumulator",
    "Observation",
    "RetentionAccumulator",
    "RetentionReport",
    "RiskReason",
    "SkillDrift",
    "SkillMasteryTime",
    "SortKey",
    "Status",
    "filter_heatmap",
    "observation_of",
    "rebuild",
    "sort_rows",
]
