"""Closing the embedded store never closes its reader connection under a read that a worker
thread is running (SQLite would crash the process): close waits for the read, and a read after
close is UNAVAILABLE."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from pathlib import Path

import pytest

from attune.engine.adapters.sqlite_store import SqliteStore
from attune.engine.domain.errors import UnavailableError


async def test_close_waits_for_a_read_in_a_worker_thread(tmp_path: Path) -> None:
    store = SqliteStore.open(tmp_path / "attune.db")
    started, release = threading.Event(), threading.Event()

    def slow_read(conn: sqlite3.Connection) -> tuple[int, ...]:
        started.set()
        assert release.wait(30)
        return tuple(conn.execute("SELECT 1").fetchone())

    reading = asyncio.create_task(store._in_reader(slow_read))
    assert await asyncio.to_thread(started.wait, 30)
    closer = threading.Thread(target=lambda: asyncio.run(store.close()))
    closer.start()
    closer.join(0.5)
    assert closer.is_alive(), "close returned while a read held the reader connection"
    release.set()
    assert await reading == (1,)
    await asyncio.to_thread(closer.join, 30)
    assert not closer.is_alive()
    with pytest.raises(UnavailableError):
        await store._in_reader(slow_read)
