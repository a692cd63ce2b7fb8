"""Shared fixtures. Integration fixtures start real servers on free ports."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.support.engine_server import Client


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[Client]:
    """A real engine (grpc.aio on port 0, embedded store in tmp_path) and its stubs."""
    from tests.support.engine_server import engine_client

    async with engine_client(tmp_path) as c:
        yield c
