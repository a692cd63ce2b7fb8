"""The gateway's background loops under several gateway processes (``attune gateway
--workers N``): the drift watch claims a course in the shared store before checking it, so
two gateways on one store check it once. A real engine (``attune engine``, demo course) and
a real gateway store; two watches stand for two workers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from attune.gateway.drift_watch import CLAIM_TTL_S, DriftWatch
from attune.gateway.engine_client import GrpcEngineClient
from attune.gateway.sqlite_store import SqliteGatewayStore
from tests.support.serve_proc import NO_DKT, EngineProcess, start_engine

pytestmark = [pytest.mark.integration, pytest.mark.slow]

PERIOD = 30 * 86400.0


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[EngineProcess]:
    proc = start_engine(tmp_path / "engine", command="engine", env=NO_DKT, timeout=60)
    try:
        yield proc
    finally:
        if proc.proc.poll() is None:
            assert proc.terminate() == 0


def test_two_drift_watches_on_one_store_check_a_course_once(
    engine: EngineProcess, tmp_path: Path
) -> None:
    now = [2_000_000_000.0]
    store = SqliteGatewayStore(tmp_path / "gateway.db")
    client = GrpcEngineClient(engine.target, {"default": "dev-token"})
    try:
        first = DriftWatch(client, store, ["default"], PERIOD, 3600.0, lambda: now[0])
        second = DriftWatch(client, store, ["default"], PERIOD, 3600.0, lambda: now[0])
        # Another worker holds the claim on the demo course: this one leaves it.
        assert store.add("default", "drift-claim:demo", now[0], CLAIM_TTL_S)
        assert first.run_once() == 0
        assert store.read_content_log("default", "demo", "drift") == []
        store.take("default", "drift-claim:demo")
        assert first.run_once() == 1
        assert second.run_once() == 0  # checked this period, by the other worker
        assert len(store.read_content_log("default", "demo", "drift")) == 1
        assert store.get("default", "drift-claim:demo") is None  # released after the check
        now[0] += PERIOD + 1
        assert second.run_once() == 1
        assert first.run_once() == 0
        assert len(store.read_content_log("default", "demo", "drift")) == 2
    finally:
        client.close()
        store.close()
