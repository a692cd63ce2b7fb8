"""The engine's caches are bounded, the embedded store reads off the event loop and its cache
never goes back in time, and the interceptor's hooks are abstract."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from pathlib import Path
from typing import Any

import pytest

from attune.engine.adapters.memory_store import MemoryStore
from attune.engine.adapters.sqlite_store import SqliteStore
from attune.engine.domain.lru import Lru
from attune.engine.grpc.convert import course_from_pb
from attune.engine.grpc.interceptors import _BehaviourInterceptor
from attune.engine.service.item_book import ItemBook
from attune.engine.service.keyed_lock import KeyedLock
from tests.support.courses import chain_course
from tests.support.stores import event, state


def test_an_lru_forgets_the_least_recently_used() -> None:
    lru: Lru[str, int] = Lru(2)
    lru.put("a", 1)
    lru.put("b", 2)
    assert lru.get("a") == 1  # "b" is now the oldest
    lru.put("c", 3)
    assert "b" not in lru and len(lru) == 2
    assert lru.setdefault("a", 9) == 1
    assert lru.drop(lambda k: k in {"a", "c"}) == 2 and len(lru) == 0
    with pytest.raises(ValueError):
        Lru(0)


async def test_item_tables_are_bounded_and_rebuilt_when_evicted() -> None:
    store = MemoryStore()
    await store.commit(event("e1", course="c1"), state(course="c1"), 0)
    book = ItemBook(store, size=2)
    for course in ("c1", "c2", "c3"):
        await book.table("t", course)
    assert book.rebuilds == 3
    assert len(book._tables) == 2  # c1 was evicted
    assert "i" in await book.table("t", "c1")  # rebuilt from the log
    assert book.rebuilds == 4


async def test_keyed_locks_leave_with_their_last_user() -> None:
    locks = KeyedLock()
    for n in range(100):
        async with locks.hold(("t", f"learner-{n}")):
            assert len(locks) == 1
    assert len(locks) == 0


async def test_the_embedded_store_bounds_its_caches(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "s.db", cache_size=3, course_cache=2)
    store._open()
    try:
        for n in range(5):
            await store.put_course("t", course_from_pb(chain_course(f"c{n}")))
            await store.commit(event(f"e{n}", learner=f"l{n}"), state(f"l{n}"), 0)
        assert len(store._courses) == 2 and len(store._cache) == 3
        # Evicted entries read back from disk.
        got = await store.get_course("t", "c0")
        assert got is not None and got.course_id == "c0"
        snap = await store.load("t", "l0", "c")
        assert snap is not None and snap.version == 1
    finally:
        await store.close()


async def test_embedded_reads_run_off_the_event_loop(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    writer = SqliteStore.open(path)
    await writer.put_course("t", course_from_pb(chain_course("c")))
    await writer.commit(event("e1"), state(), 0)
    await writer.close()
    store = SqliteStore.open(path)  # nothing cached yet
    threads: list[tuple[int, str]] = []
    assert store._reader is not None
    store._reader.set_trace_callback(lambda sql: threads.append((threading.get_ident(), sql)))
    probed: list[str] = []  # the one read on the loop: an event by its key (issue 17)
    assert store._probe is not None
    store._probe.set_trace_callback(probed.append)
    try:
        assert await store.get_course("t", "c") is not None
        assert [c.course_id for c in await store.list_courses("t", "", 10)] == ["c"]
        logged, snap = await store.prepare("t", "l", "c", "e1")
        assert logged is not None and snap is not None
        assert [e.event_id for e in await store.read_events("t", 0, 10)] == ["e1"]
    finally:
        await store.close()
    selects = [sql.split()[1] for _, sql in threads if sql.startswith("SELECT")]
    assert len(selects) >= 4
    assert threading.get_ident() not in {t for t, sql in threads if sql.startswith("SELECT")}
    assert len(probed) == 1 and "WHERE tenant = 't' AND event_id = 'e1'" in probed[0]


async def test_a_slow_read_never_puts_an_older_state_in_the_cache(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    first = SqliteStore.open(path)
    await first.commit(event("e1"), state(responses=1), 0)
    await first.close()
    store = SqliteStore.open(path)
    read, release = asyncio.Event(), asyncio.Event()
    real_one = store._one

    async def slow_one(sql: str, args: tuple[object, ...]) -> Any:
        row = await real_one(sql, args)  # read version 1 ...
        read.set()
        await release.wait()  # ... and answer only after version 2 is committed
        return row

    store._one = slow_one  # type: ignore[method-assign]
    try:
        reading = asyncio.create_task(store.load("t", "l", "c"))
        await read.wait()
        assert await store.commit(event("e2", seq=2), state(responses=2), 1) == 2
        release.set()
        stale = await reading
        assert stale is not None and stale.version == 1  # what the disk said when it read
        now = await store.load("t", "l", "c")  # from the cache: the newer state stays
        assert now is not None and now.version == 2
    finally:
        await store.close()


def test_interceptor_hooks_are_abstract() -> None:
    class OnlyUnary(_BehaviourInterceptor):
        def wrap_unary(self, behaviour: Any, method: str) -> Any:
            return behaviour

    class Both(OnlyUnary):
        def wrap_stream(self, behaviour: Any, method: str) -> Any:
            return behaviour

    with pytest.raises(TypeError, match="wrap_stream"):
        OnlyUnary()  # type: ignore[abstract]
    Both()  # both hooks given


async def test_an_event_lookup_goes_to_a_thread_when_sqlite_is_busy(tmp_path: Path) -> None:
    store = SqliteStore.open(tmp_path / "s.db")
    try:
        assert await store.commit(event("e1"), state(), 0) == 1
        probe = store._probe
        assert probe is not None
        assert (await store.get_event("t", "e1", "l")) is not None  # on the loop

        class Busy:
            def execute(self, *args: Any) -> Any:
                raise sqlite3.OperationalError("database is locked")

        store._probe = Busy()  # type: ignore[assignment]
        found = await store.get_event("t", "e1", "l")  # read by the worker thread instead
        assert found is not None and found.event_id == "e1"
        assert await store.get_event("t", "e2", "l") is None
        store._probe = probe
    finally:
        await store.close()
