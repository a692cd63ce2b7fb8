"""Shared fixtures. Integration fixtures start real servers on free ports."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from hypothesis import settings

# Timing is the benchmark's business, not the tests': no per-example deadline.
settings.register_profile("attune", deadline=None)
settings.load_profile("attune")

if TYPE_CHECKING:
    from tests.support.engine_server import Client


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[Client]:
    """A real engine (grpc.aio on port 0, embedded store in tmp_path) and its stubs."""
    from tests.support.engine_server import engine_client

    async with engine_client(tmp_path) as c:
        yield c
