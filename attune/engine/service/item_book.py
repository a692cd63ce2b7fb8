"""Per-course item statistics (response times, learning gains), kept in memory.

They are derived data: each course's table is rebuilt from the event log the first time it is
needed, then fed after every commit. A crash between a commit and the feed loses nothing,
because the next process rebuilds from the log. A rebuild reads the course's whole log, so
its folding runs in a worker thread, a page at a time, never on the event loop. The tables
of the TABLES most recently used courses are kept; an evicted one is rebuilt when needed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence

from attune.engine.domain.item_stats import ItemStats, observe
from attune.engine.domain.lru import Lru
from attune.engine.domain.records import LoggedEvent
from attune.engine.ports import EventLog
from attune.engine.service.keyed_lock import KeyedLock

_PAGE = 5000
TABLES = 1024  # courses whose item statistics are kept in memory


class ItemBook:
    """Item statistics per (tenant, course)."""

    def __init__(self, log: EventLog, size: int = TABLES) -> None:
        self._log = log
        self._tables: Lru[tuple[str, str], dict[str, ItemStats]] = Lru(size)
        self._building = KeyedLock()
        self.rebuilds = 0  # tables rebuilt from the log (for tests and metrics)

    async def table(self, tenant: str, course_id: str) -> Mapping[str, ItemStats]:
        """The course's item statistics, rebuilt from the log on first use."""
        key = (tenant, course_id)
        table = self._tables.get(key)
        if table is not None:
            return table
        async with self._building.hold(key):
            table = self._tables.get(key)
            if table is None:
                table = await self._rebuild(tenant, course_id)
                self._tables.put(key, table)
        return table

    async def _rebuild(self, tenant: str, course_id: str) -> dict[str, ItemStats]:
        self.rebuilds += 1
        table: dict[str, ItemStats] = {}
        after = 0
        while True:
            page = await self._log.read_course_events(tenant, course_id, after, _PAGE)
            await asyncio.to_thread(_fold, table, page)
            if len(page) < _PAGE:
                return table
            after = page[-1].log_id

    def observe(
        self, tenant: str, course_id: str, item_id: str, gain: float, rt_ms: int, timed: bool
    ) -> None:
        """Feed one committed response (a no-op until the table was first built)."""
        table = self._tables.get((tenant, course_id))
        if table is not None:
            table[item_id] = observe(table.get(item_id, ItemStats()), gain, rt_ms, timed)

    def forget(self, tenant: str) -> None:
        """Drop a tenant's tables (after an erasure); they rebuild from the log."""
        self._tables.drop(lambda k: k[0] == tenant)


def _fold(table: dict[str, ItemStats], page: Sequence[LoggedEvent]) -> None:
    """Fold a page of the log into ``table`` (not shared yet: safe in a worker thread)."""
    for e in page:
        table[e.item_id] = observe(
            table.get(e.item_id, ItemStats()),
            e.gain,
            e.response_time_ms,
            timed=e.credibility >= 1.0,
        )
