"""The gateway's SQLite file under concurrent threads (issue 17): writes committed in groups
are all durable and each caller gets its own outcome; reads run on the thread's own
connection, which goes when the thread does."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from attune.gateway.ports import ToolKey
from attune.gateway.sqlite_store import SqliteGatewayStore

pytestmark = pytest.mark.integration


def _key(kid: str) -> ToolKey:
    return ToolKey(kid, "pem", {"kid": kid}, 1.0, None)


def test_concurrent_writes_all_land_and_a_failing_one_fails_alone(tmp_path: Path) -> None:
    store = SqliteGatewayStore(tmp_path / "gateway.db")
    store.add_key(_key("k1"))
    errors: list[Exception] = []
    start = threading.Barrier(9)

    def writer(n: int) -> None:
        start.wait()
        for i in range(40):
            store.put("t", f"w{n}:{i}", {"n": n, "i": i}, 60)
        store.put_many("t", [(f"many{n}:a", n, 60), (f"many{n}:b", n, 60)])

    def duplicate() -> None:
        start.wait()
        try:
            store.add_key(_key("k1"))  # the primary key is taken: this write alone fails
        except sqlite3.IntegrityError as exc:
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    threads.append(threading.Thread(target=duplicate))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(errors) == 1
    assert [k.kid for k in store.tool_keys()] == ["k1"]
    for n in range(8):
        assert all(store.get("t", f"w{n}:{i}") == {"n": n, "i": i} for i in range(40))
        assert store.get("t", f"many{n}:a") == n and store.get("t", f"many{n}:b") == n
    store.close()
    # Durable: a fresh open of the file reads them.
    again = SqliteGatewayStore(tmp_path / "gateway.db")
    assert again.get("t", "w7:39") == {"n": 7, "i": 39}
    again.close()


def test_a_threads_read_connection_is_closed_after_the_thread_ends(tmp_path: Path) -> None:
    store = SqliteGatewayStore(tmp_path / "gateway.db")
    store.put("t", "k", 1, 60)
    seen: list[object] = []

    def read() -> None:
        seen.append(store.get("t", "k"))

    for _ in range(6):
        t = threading.Thread(target=read)
        t.start()
        t.join()
    assert seen == [1] * 6
    # Each new thread's first read closed the connections of the threads that had ended.
    assert len(store._readers) == 1
    store.close()
