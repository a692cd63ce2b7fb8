"""Experiment reports per (tenant, course), kept in memory and fed from the event log, like
the class book (class_book.py): built from the log at the first report, brought up to date
from the log at every later one, folded in a worker thread a page at a time. Nothing runs on
the response path. A course whose experiment or skill set changed is rebuilt: arms are
recomputed from the experiment, and course mastery is judged against the skills."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

from attune.engine.domain.analytics import observation_of
from attune.engine.domain.analytics.experiment import ExperimentAccumulator, ExperimentReport
from attune.engine.domain.course import Course
from attune.engine.domain.errors import NotFoundError
from attune.engine.domain.experiments import Experiment
from attune.engine.domain.lru import Lru
from attune.engine.domain.records import LoggedEvent
from attune.engine.ports import EventLog
from attune.engine.service.keyed_lock import KeyedLock

_PAGE = 5000
EXPERIMENTS = 64  # courses whose experiment reports are kept in memory


@dataclass
class _Entry:
    accumulator: ExperimentAccumulator
    last_log_id: int
    experiment: Experiment
    skills: frozenset[str]


def _fold(accumulator: ExperimentAccumulator, page: Sequence[LoggedEvent]) -> None:
    for event in page:
        accumulator.add(observation_of(event))


class ExperimentBook:
    """Experiment reports per (tenant, course)."""

    def __init__(self, log: EventLog, size: int = EXPERIMENTS) -> None:
        self._log = log
        self._entries: Lru[tuple[str, str], _Entry] = Lru(size)
        self._locks = KeyedLock()
        self.rebuilds = 0  # reports built from the start of the log (for tests)

    async def report(self, tenant: str, course: Course) -> tuple[ExperimentReport, int]:
        """The course's experiment report and the last log id it includes, or
        :class:`NotFoundError` when the course runs no experiment."""
        experiment = course.experiment
        if experiment is None:
            raise NotFoundError("experiment of course", course.course_id)
        skills = frozenset(course.skills)
        key = (tenant, course.course_id)
        async with self._locks.hold(key):
            entry = self._entries.get(key)
            if entry is None or entry.experiment != experiment or entry.skills != skills:
                self.rebuilds += 1
                accumulator = ExperimentAccumulator(tenant, course.course_id, experiment, skills)
                entry = _Entry(accumulator, 0, experiment, skills)
                self._entries.put(key, entry)
            while True:
                page = await self._log.read_course_events(
                    tenant, course.course_id, entry.last_log_id, _PAGE
                )
                if not page:
                    break
                await asyncio.to_thread(_fold, entry.accumulator, page)
                entry.last_log_id = page[-1].log_id
                if len(page) < _PAGE:
                    break
            report = await asyncio.to_thread(entry.accumulator.snapshot, course)
            return report, entry.last_log_id

    def forget_tenant(self, tenant: str) -> None:
        """Drop the tenant's cached reports (after the tenant was deleted)."""
        self._entries.drop(lambda k: k[0] == tenant)

    def forget_learner(self, tenant: str, learner_id: str) -> None:
        """Remove an erased learner from the tenant's cached reports."""
        for key in list(self._entries):
            entry = self._entries.get(key)
            if key[0] == tenant and entry is not None:
                entry.accumulator.remove_learner(learner_id)
