"""Pending erasures on every store adapter (memory, SQLite, Redis, Redis Cluster): recorded
with the delete that erased something, one per learner, listed oldest first, acknowledged
only by the erasure it names, and then gone."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from attune.engine.domain.erasures import PendingErasure
from attune.engine.ports import EngineStore
from tests.integration.test_store_contract import STORES, open_test_store
from tests.support.stores import event, state

pytestmark = pytest.mark.integration


@pytest.fixture(params=STORES)
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[EngineStore]:
    s = await open_test_store(request, tmp_path)
    try:
        yield s
    finally:
        await s.close()


def _erasure(learner: str, eid: str, at: float, tenant: str = "t") -> PendingErasure:
    return PendingErasure(tenant, learner, eid, at, f"req-{eid}")


async def test_a_delete_records_its_erasure_and_an_acknowledgement_removes_it(
    store: EngineStore,
) -> None:
    await store.commit(event("a1", learner="a"), state("a"), 0)
    await store.commit(event("b1", learner="b"), state("b"), 0)
    await store.commit(event("x1", learner="a", tenant="u"), state("a"), 0)
    assert await store.delete_learner("t", "b", _erasure("b", "e-b", 1_800_000_002.5)) == (1, 1)
    assert await store.delete_learner("t", "a", _erasure("a", "e-a", 1_800_000_001.0)) == (1, 1)

    pending = await store.pending_erasures("t", "", 10)
    assert [(p.learner_id, p.erasure_id) for p in pending] == [("a", "e-a"), ("b", "e-b")]
    assert pending[0] == _erasure("a", "e-a", 1_800_000_001.0)  # every field survives
    assert [p.erasure_id for p in await store.pending_erasures("t", "b", 10)] == ["e-b"]
    assert len(await store.pending_erasures("t", "", 1)) == 1
    assert await store.pending_erasures("u", "", 10) == []  # the other tenant has none

    assert not await store.acknowledge_erasure("t", "a", "e-b")  # not a's erasure
    assert not await store.acknowledge_erasure("u", "a", "e-a")  # not in that tenant
    assert await store.acknowledge_erasure("t", "a", "e-a")
    assert not await store.acknowledge_erasure("t", "a", "e-a")  # twice: harmless
    assert [p.learner_id for p in await store.pending_erasures("t", "", 10)] == ["b"]


async def test_nothing_erased_records_nothing_and_a_second_delete_replaces_the_first(
    store: EngineStore,
) -> None:
    assert await store.delete_learner("t", "ghost", _erasure("ghost", "e0", 1.0)) == (0, 0)
    assert await store.pending_erasures("t", "", 10) == []

    await store.commit(event("a1", learner="a"), state("a"), 0)
    await store.delete_learner("t", "a", _erasure("a", "e1", 1_800_000_001.0))
    # A retry after the delete went through erases nothing and records nothing.
    assert await store.delete_learner("t", "a", _erasure("a", "e1b", 1_800_000_001.5)) == (0, 0)
    assert [p.erasure_id for p in await store.pending_erasures("t", "", 10)] == ["e1"]
    # The learner came back and was erased again before the gateway acknowledged: one entry,
    # the newer; acknowledging the older one leaves it.
    await store.commit(event("a2", learner="a"), state("a"), 0)
    await store.delete_learner("t", "a", _erasure("a", "e2", 1_800_000_009.0))
    assert [p.erasure_id for p in await store.pending_erasures("t", "", 10)] == ["e2"]
    assert not await store.acknowledge_erasure("t", "a", "e1")
    assert await store.acknowledge_erasure("t", "a", "e2")
    assert await store.pending_erasures("t", "", 10) == []
