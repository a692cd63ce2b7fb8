"""Callers who find no live signing key at the same moment make one key between them."""

from __future__ import annotations

import threading
from pathlib import Path

from attune.gateway.keys import ToolKeys
from attune.gateway.sqlite_store import SqliteGatewayStore


def test_concurrent_first_callers_share_one_key(tmp_path: Path) -> None:
    store = SqliteGatewayStore(tmp_path / "gateway.db")
    try:
        keys = ToolKeys(store, rotate_days=90, overlap_days=7)
        start = threading.Barrier(8)
        kids: list[str] = []

        def first() -> None:
            start.wait()
            kids.append(keys.current(1_000.0).kid)

        threads = [threading.Thread(target=first) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert len(kids) == 8 and len(set(kids)) == 1
        assert [k.kid for k in store.tool_keys()] == kids[:1]
    finally:
        store.close()
