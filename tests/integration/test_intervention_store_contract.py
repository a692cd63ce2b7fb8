"""The store contract of interventions (the InterventionStore port) against every adapter:
memory, embedded SQLite, Redis and Redis Cluster (real servers, started by the tests).

An entry commits with the learner's state under one version check; a known request id is
refused without a trace; ids increase per tenant; trails are per tenant and course, newest
first; erasure takes the learner's entries and leaves the class's."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest

from attune.engine.domain.errors import ConflictError
from attune.engine.domain.interventions import InterventionEntry, Kind, Scope, SkillChange
from attune.engine.domain.interventions_apply import ClassPins
from attune.engine.ports import DuplicateInterventionError, EngineStore
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


def entry(
    request_id: str,
    learner: str = "l",
    course: str = "c",
    tenant: str = "t",
    kind: Kind = Kind.GRANT_MASTERY,
) -> InterventionEntry:
    """A learner's entry with a change (floats that must survive exactly)."""
    return InterventionEntry(
        tenant=tenant,
        request_id=request_id,
        course_id=course,
        scope=Scope.LEARNER if learner else Scope.CLASS,
        learner_id=learner,
        kind=kind,
        skill_id="a",
        actor="instructor:p1",
        reason="because | {of} : this",
        recorded_at=1.8e9 + 1 / 3,
        change=SkillChange("a", 1 / 7, 0.95, False, True, 3, 3) if learner else None,
        pinned=("a",),
        exempt=bool(learner),
    )


async def _learner(store: EngineStore, learner: str = "l", course: str = "c", t: str = "t") -> int:
    """A learner with one response; their version."""
    return await store.commit(
        event(f"e-{learner}-{course}", learner, 1, t, course), state(learner, course), 0
    )


async def test_an_entry_commits_with_the_state_and_round_trips(store: EngineStore) -> None:
    version = await _learner(store)
    after = replace(state(), exempt=True, pinned=("a", "b"))
    logged = await store.commit_intervention(entry("r1"), after, version)
    assert logged == replace(entry("r1"), intervention_id=logged.intervention_id)
    assert logged.intervention_id >= 1
    snap = await store.load("t", "l", "c")
    assert snap is not None and snap.version == version + 1 and snap.state == after
    assert await store.get_intervention("t", "c", "l", "r1") == logged
    assert await store.get_intervention("t", "c", "l", "other") is None
    assert await store.get_intervention("t", "c2", "l", "r1") is None  # per course
    assert await store.list_interventions("t", "c", "", 0, 10) == [logged]
    # A response after it sees the new version.
    assert await store.commit(event("e2", seq=2), state(responses=2), version + 1) == version + 2


async def test_a_known_request_id_or_a_stale_version_leaves_no_trace(store: EngineStore) -> None:
    version = await _learner(store)
    first = await store.commit_intervention(entry("r1"), state(responses=5), version)
    with pytest.raises(DuplicateInterventionError):
        await store.commit_intervention(entry("r1"), state(responses=9), version + 1)
    with pytest.raises(ConflictError):
        await store.commit_intervention(entry("r2"), state(responses=9), version)
    snap = await store.load("t", "l", "c")
    assert snap is not None and snap.version == version + 1 and snap.state.responses == 5
    assert await store.list_interventions("t", "c", "", 0, 10) == [first]
    assert await store.get_intervention("t", "c", "l", "r2") is None


async def test_concurrent_interventions_on_one_version_let_one_win(store: EngineStore) -> None:
    version = await _learner(store)
    results = await asyncio.gather(
        *[store.commit_intervention(entry(f"r{n}"), state(), version) for n in range(8)],
        return_exceptions=True,
    )
    won = [r for r in results if isinstance(r, InterventionEntry)]
    assert len(won) == 1
    assert all(isinstance(r, ConflictError) for r in results if r not in won)
    assert await store.list_interventions("t", "c", "", 0, 10) == won


async def test_class_pins_commit_with_their_entry(store: EngineStore) -> None:
    assert await store.class_pins("t", "c") == ClassPins()
    first = await store.commit_class_pins(entry("p1", learner=""), ("a", "c"), 0)
    assert await store.class_pins("t", "c") == ClassPins(("a", "c"), 1)
    assert await store.get_intervention("t", "c", "", "p1") == first
    with pytest.raises(DuplicateInterventionError):
        await store.commit_class_pins(entry("p1", learner=""), ("b",), 1)
    with pytest.raises(ConflictError):
        await store.commit_class_pins(entry("p2", learner=""), ("b",), 0)
    assert await store.class_pins("t", "c") == ClassPins(("a", "c"), 1)
    second = await store.commit_class_pins(entry("p2", learner=""), (), 1)
    assert await store.class_pins("t", "c") == ClassPins((), 2)
    assert await store.class_pins("t", "other") == ClassPins()
    assert await store.class_pins("u", "c") == ClassPins()
    assert second.intervention_id > first.intervention_id


async def test_trails_are_newest_first_paged_and_filtered(store: EngineStore) -> None:
    versions = {who: await _learner(store, who) for who in ("l1", "l2")}
    await _learner(store, "l1", course="c2")
    logged: list[InterventionEntry] = []
    for n in range(7):
        who = ("l1", "l2")[n % 2]
        if n == 3:
            logged.append(await store.commit_class_pins(entry(f"k{n}", learner=""), ("a",), 0))
            continue
        got = await store.commit_intervention(entry(f"r{n}", who), state(who), versions[who])
        versions[who] += 1
        logged.append(got)
    await store.commit_intervention(entry("x", "l1", "c2"), state("l1", "c2"), 1)
    ids = [e.intervention_id for e in logged]
    assert ids == sorted(ids) and len(set(ids)) == 7
    newest_first = list(reversed(logged))
    assert await store.list_interventions("t", "c", "", 0, 100) == newest_first
    assert await store.list_interventions("t", "c", "", 0, 3) == newest_first[:3]
    below = newest_first[2].intervention_id
    assert await store.list_interventions("t", "c", "", below, 3) == newest_first[3:6]
    assert await store.list_interventions("t", "c", "l2", 0, 100) == [
        e for e in newest_first if e.learner_id == "l2"
    ]
    assert [e.request_id for e in await store.list_interventions("t", "c2", "", 0, 9)] == ["x"]


async def test_erasure_takes_the_learners_entries_and_keeps_the_class(store: EngineStore) -> None:
    for who in ("gone", "kept"):
        v = await _learner(store, who)
        await store.commit_intervention(entry("r1", who), state(who), v)
    await _learner(store, "gone", course="c2")
    await store.commit_intervention(entry("r2", "gone", "c2"), state("gone", "c2"), 1)
    await store.commit_class_pins(entry("p1", learner=""), ("a",), 0)
    assert await store.delete_learner("t", "gone") == (2, 2)
    trail = await store.list_interventions("t", "c", "", 0, 10)
    assert sorted(e.learner_id for e in trail) == ["", "kept"]
    assert await store.list_interventions("t", "c2", "", 0, 10) == []
    assert await store.get_intervention("t", "c", "gone", "r1") is None
    # The learner id starts again from nothing: the same request id is accepted again.
    v = await _learner(store, "gone")
    again = await store.commit_intervention(entry("r1", "gone"), state("gone"), v)
    assert await store.get_intervention("t", "c", "gone", "r1") == again


async def test_tenants_and_key_syntax_stay_apart(store: EngineStore) -> None:
    odd = "l:{x}%3A"
    for tenant in ("t", "t:{u}"):
        v = await _learner(store, odd, course="c:1}", t=tenant)
        logged = await store.commit_intervention(
            entry("r:1|x", odd, "c:1}", tenant), state(odd, "c:1}"), v
        )
        assert logged.intervention_id == 1  # each tenant numbers its own trail
    await store.commit_class_pins(entry("p", "", "c:1}", "t"), ("a",), 0)
    assert await store.class_pins("t:{u}", "c:1}") == ClassPins()
    for tenant in ("t", "t:{u}"):
        trail = await store.list_interventions(tenant, "c:1}", "", 0, 10)
        assert {e.tenant for e in trail} == {tenant}
        assert await store.get_intervention(tenant, "c:1}", odd, "r:1|x") is not None
    assert await store.get_intervention("t", "c", odd, "r:1|x") is None


async def test_the_latest_entry_of_each_learner(store: EngineStore) -> None:
    assert await store.latest_interventions("t", "c") == []
    versions = {who: await _learner(store, who) for who in ("l1", "l2", "l3")}
    latest: dict[str, InterventionEntry] = {}
    for n, who in enumerate(("l1", "l2", "l1", "l1", "l2")):
        kind = Kind.EXEMPT_LEARNER if n % 2 else Kind.PIN_SKILL
        latest[who] = await store.commit_intervention(
            entry(f"r{n}", who, kind=kind), state(who), versions[who]
        )
        versions[who] += 1
    await store.commit_class_pins(entry("p", learner=""), ("a",), 0)  # not a learner's
    await store.commit_intervention(entry("o", "l3", "c2"), state("l3", "c2"), 0)
    got = await store.latest_interventions("t", "c")
    assert sorted(got, key=lambda e: e.learner_id) == [latest["l1"], latest["l2"]]
    assert await store.latest_interventions("u", "c") == []
