"""Shared fixtures. Integration fixtures start real servers on free ports."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from hypothesis import settings

# One OpenMP/BLAS thread for torch and numpy here and in the children the tests start: the
# tiny models of the tests gain nothing from more, and on a busy 2-core machine their threads
# spin against the other processes (the DKT training fixture: 2 s alone, 100 s when loaded).
# Nothing asserted depends on it (comparisons are between runs under the same setting).
os.environ.setdefault("OMP_NUM_THREADS", "1")

# Timing is the benchmark's business, not the tests': no per-example deadline.
settings.register_profile("attune", deadline=None)
settings.load_profile("attune")

if TYPE_CHECKING:
    from tests.support.engine_server import Client
    from tests.support.redis_server import RedisClusterNodes, RedisServer


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[Client]:
    """A real engine (grpc.aio on port 0, embedded store in tmp_path) and its stubs."""
    from tests.support.engine_server import engine_client

    async with engine_client(tmp_path) as c:
        yield c


@pytest.fixture(scope="session")
def redis_standalone(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """One redis-server for the session (AOF, appendfsync always); tests flush it."""
    from tests.support.redis_server import redis_server

    with redis_server(tmp_path_factory.mktemp("redis")) as server:
        yield server


@pytest.fixture(scope="session")
def redis_cluster_nodes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisClusterNodes]:
    """A three-master Redis Cluster for the session; tests flush it."""
    from tests.support.redis_server import redis_cluster

    with redis_cluster(tmp_path_factory.mktemp("redis-cluster")) as cluster:
        yield cluster
