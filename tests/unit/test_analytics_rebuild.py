"""Incremental = rebuilt: adding one by one, rebuilding from the log, merging shards of
learners and forgetting a learner all give the same reports, on a log the engine wrote."""

from __future__ import annotations

import random
from functools import cache

import pytest

from attune.engine.domain.analytics import ClassAnalytics, ClassReport, rebuild
from attune.engine.domain.analytics.observation import Observation
from attune.engine.domain.analytics.settings import AnalyticsSettings, DriftSettings
from attune.engine.domain.tutoring import HOUR
from tests.unit.test_analytics_support import ENGINE_COURSE, engine_observations

ROSTER = ["l0", "nobody-yet"]
# Loose drift minimums, so that the small class has something flagged to compare.
SETTINGS = AnalyticsSettings(drift=DriftSettings(failure_rate=0.03, min_answers=10, min_group=3))


@cache
def _log() -> tuple[Observation, ...]:
    return tuple(engine_observations(seed=3, learners=12, answers=900))


def _report(analytics: ClassAnalytics) -> ClassReport:
    now = max(o.occurred_at for o in _log()) + 24 * HOUR
    return analytics.snapshot(ENGINE_COURSE, now, names={"l1": "Ann"}, roster=ROSTER)


def _one_by_one(log: tuple[Observation, ...]) -> ClassAnalytics:
    analytics = ClassAnalytics(SETTINGS)
    for o in log:
        analytics.add(o)
    return analytics


@cache
def _whole() -> ClassReport:
    return _report(_one_by_one(_log()))


def test_the_sample_report_is_not_trivial() -> None:
    whole = _whole()
    assert len(whole.items) == len(ENGINE_COURSE.items)
    assert whole.at_risk and whole.gaps and whole.retention.overall.answers
    assert any(s.mastered for s in whole.mastery_time)
    assert whole.drift.skills and any(s.candidates for s in whole.drift.flagged)
    assert len(whole.heatmap.rows) == 13  # 12 learners and one on the roster only
    assert whole.heatmap.rows[1].name == "Ann"


def test_rebuilding_from_a_shuffled_log_equals_adding_one_by_one() -> None:
    shuffled = list(_log())
    random.Random(1).shuffle(shuffled)
    assert _report(rebuild(shuffled, SETTINGS)) == _whole()


@pytest.mark.parametrize("shards", [2, 3])
def test_merging_shards_of_learners_equals_the_whole(shards: int) -> None:
    learners = sorted({o.learner_id for o in _log()})
    parts = [
        rebuild((o for o in _log() if learners.index(o.learner_id) % shards == k), SETTINGS)
        for k in range(shards)
    ]
    merged = parts[-1]  # merge in an order unlike the log's
    for part in reversed(parts[:-1]):
        merged.merge(part)
    assert _report(merged) == _whole()


def test_merging_shards_that_share_a_learner_is_refused() -> None:
    first = rebuild(_log()[:400], SETTINGS)
    with pytest.raises(ValueError, match="cannot merge"):
        first.merge(rebuild(_log()[400:], SETTINGS))


def test_removing_a_learner_equals_rebuilding_without_them() -> None:
    analytics = _one_by_one(_log())
    analytics.remove_learner("l4")
    analytics.remove_learner("never-seen")
    without = rebuild((o for o in _log() if o.learner_id != "l4"), SETTINGS)
    assert _report(analytics) == _report(without)
    assert all(r.learner_id != "l4" for r in _report(analytics).heatmap.rows)
    assert _report(analytics) != _whole()


def test_a_snapshot_is_frozen_while_the_accumulators_go_on() -> None:
    analytics = _one_by_one(_log()[:500])
    early = _report(analytics)
    for o in _log()[500:]:
        analytics.add(o)
    assert early == _report(_one_by_one(_log()[:500]))
    assert _report(analytics) == _whole()
