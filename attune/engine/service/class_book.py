"""Class analytics per (tenant, course), kept in memory and fed from the event log.

A course's :class:`~attune.engine.domain.analytics.ClassAnalytics` is built from the log the
first time a report is asked for, and brought up to date from the log (after the last event
it has seen) at every later report, so it costs nothing on the response path and is correct
after a restart (it is rebuilt) and on several engines sharing a store (each reads the same
log). Folding runs in a worker thread, a page at a time, never on the event loop. A deleted
learner is removed from every cached class of the tenant (the log no longer holds them, so
a rebuild agrees). A course whose items changed their skills is rebuilt, because the
statistics were folded under the old tagging.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, replace

from attune.engine.domain.analytics import ClassAnalytics, ClassReport, observation_of
from attune.engine.domain.course import Course
from attune.engine.domain.lru import Lru
from attune.engine.domain.records import LoggedEvent
from attune.engine.ports import EventLog
from attune.engine.service.keyed_lock import KeyedLock

_PAGE = 5000
CLASSES = 256  # courses whose class analytics are kept in memory


@dataclass
class _Class:
    analytics: ClassAnalytics
    last_log_id: int
    tagging: tuple[tuple[str, tuple[str, ...]], ...]


def _tagging(course: Course) -> tuple[tuple[str, tuple[str, ...]], ...]:
    return tuple(sorted((i.item_id, tuple(i.skill_ids)) for i in course.items.values()))


def _fold(analytics: ClassAnalytics, page: Sequence[LoggedEvent]) -> None:
    for event in page:
        analytics.add(observation_of(event))


class ClassBook:
    """Class analytics per (tenant, course)."""

    def __init__(self, log: EventLog, size: int = CLASSES) -> None:
        self._log = log
        self._classes: Lru[tuple[str, str], _Class] = Lru(size)
        self._locks = KeyedLock()
        self.rebuilds = 0  # classes built from the start of the log (for tests and metrics)

    async def report(
        self, tenant: str, course: Course, now: float, roster: Sequence[str] = ()
    ) -> tuple[ClassReport, int]:
        """The course's class report at ``now`` and the last log id it includes; ``roster``
        limits it to those learners (empty: everyone who answered)."""
        key = (tenant, course.course_id)
        async with self._locks.hold(key):
            entry = self._classes.get(key)
            if entry is None or entry.tagging != _tagging(course):
                self.rebuilds += 1
                entry = _Class(ClassAnalytics(), 0, _tagging(course))
                self._classes.put(key, entry)
            await self._catch_up(tenant, course.course_id, entry)
            report = await asyncio.to_thread(entry.analytics.snapshot, course, now, None, roster)
            last = entry.last_log_id
        if roster:
            report = _limited(report, set(roster))
        return report, last

    async def _catch_up(self, tenant: str, course_id: str, entry: _Class) -> None:
        while True:
            page = await self._log.read_course_events(tenant, course_id, entry.last_log_id, _PAGE)
            if not page:
                return
            await asyncio.to_thread(_fold, entry.analytics, page)
            entry.last_log_id = page[-1].log_id
            if len(page) < _PAGE:
                return

    def forget_tenant(self, tenant: str) -> None:
        """Drop the tenant's cached classes (after the tenant was deleted)."""
        self._classes.drop(lambda k: k[0] == tenant)

    def forget_learner(self, tenant: str, learner_id: str) -> None:
        """Remove an erased learner from the tenant's cached classes."""
        for key in list(self._classes):
            entry = self._classes.get(key)
            if key[0] == tenant and entry is not None:
                entry.analytics.remove_learner(learner_id)


def _limited(report: ClassReport, roster: set[str]) -> ClassReport:
    """The report's per-learner parts limited to the roster (the class statistics stay those
    of everyone on the course: items and drift need every answer)."""
    heatmap = replace(
        report.heatmap, rows=tuple(r for r in report.heatmap.rows if r.learner_id in roster)
    )
    at_risk = tuple(a for a in report.at_risk if a.learner_id in roster)
    return replace(report, heatmap=heatmap, at_risk=at_risk)
