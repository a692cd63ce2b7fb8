"""The store contract: the same tests against every adapter of the store ports.

``store`` is the in-memory store, the embedded SQLite store, the Redis store on a real
redis-server, and the Redis store on a real three-master Redis Cluster (all started by the
tests).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest

from attune.engine.adapters.memory_store import MemoryStore
from attune.engine.adapters.redis_store import RedisStore
from attune.engine.adapters.sqlite_store import SqliteStore
from attune.engine.domain.errors import ConflictError
from attune.engine.ports import DuplicateEventError, EngineStore
from tests.support.courses import chain_course
from tests.support.stores import event, reply, state

pytestmark = pytest.mark.integration

STORES = ["memory", "embedded", "redis", "redis-cluster"]


async def open_test_store(request: pytest.FixtureRequest, tmp_path: Path) -> EngineStore:
    """A fresh, empty store of the kind the test is parametrized with."""
    kind = request.param
    if kind == "memory":
        return MemoryStore()
    if kind == "embedded":
        return SqliteStore.open(tmp_path / "store.db")
    fixture = "redis_standalone" if kind == "redis" else "redis_cluster_nodes"
    server = request.getfixturevalue(fixture)
    server.flush()
    # No background sweeper: tests that need one call sweep() themselves.
    return await RedisStore.open(server.url, sweep_seconds=0)


@pytest.fixture(params=STORES)
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[EngineStore]:
    s = await open_test_store(request, tmp_path)
    try:
        yield s
    finally:
        await s.close()


def _course(course_id: str, title: str = "Chain"):
    from attune.engine.grpc.convert import course_from_pb

    pb = chain_course(course_id)
    pb.title = title
    return course_from_pb(pb)


# -- courses ---------------------------------------------------------------------------------


async def test_courses_put_get_list_and_pages(store: EngineStore) -> None:
    assert await store.get_course("t", "nope") is None
    for cid in ("c3", "c1", "c2", "c:4}"):
        await store.put_course("t", _course(cid))
    got = await store.get_course("t", "c1")
    assert got == _course("c1")
    page = await store.list_courses("t", "", 2)
    assert [c.course_id for c in page] == ["c1", "c2"]
    rest = await store.list_courses("t", "c2", 10)
    assert [c.course_id for c in rest] == ["c3", "c:4}"]
    await store.put_course("t", _course("c1", title="Renamed"))  # replaces
    again = await store.get_course("t", "c1")
    assert again is not None and again.title == "Renamed"
    assert len(await store.list_courses("t", "", 10)) == 4


# -- commits ---------------------------------------------------------------------------------


async def test_commit_load_and_version_compare_and_set(store: EngineStore) -> None:
    assert await store.load("t", "l", "c") is None
    s1 = state(responses=1)
    assert await store.commit(event("e1"), s1, 0) == 1
    snap = await store.load("t", "l", "c")
    assert snap is not None and snap.version == 1 and snap.state == s1  # bit-exact
    with pytest.raises(ConflictError):
        await store.commit(event("e2", seq=2), state(responses=2), 0)  # stale version
    s2 = state(responses=2)
    assert await store.commit(event("e2", seq=2), s2, 1) == 2
    snap = await store.load("t", "l", "c")
    assert snap is not None and snap.version == 2 and snap.state == s2
    # The failed commit left no trace.
    assert [e.event_id for e in await store.read_learner_events("t", "l", "c")] == ["e1", "e2"]


async def test_a_learner_read_as_new_is_found_after_the_first_commit(store: EngineStore) -> None:
    # A new learner's pages ask several times before the first answer (the embedded store
    # remembers the absence, issue 17); the commit and the erasure must still show.
    for _ in range(3):
        assert await store.load("t", "nu", "c") is None
    assert await store.load("t", "other", "c") is None
    s1 = state("nu", responses=1)
    assert await store.commit(event("e1", learner="nu"), s1, 0) == 1
    snap = await store.load("t", "nu", "c")
    assert snap is not None and snap.version == 1 and snap.state == s1
    assert await store.load("t", "other", "c") is None
    await store.delete_learner("t", "nu")
    assert await store.load("t", "nu", "c") is None
    assert await store.commit(event("e2", learner="nu"), s1, 0) == 1  # back as new
    assert await store.load("t", "nu", "c") is not None


async def test_duplicate_event_is_refused_and_changes_nothing(store: EngineStore) -> None:
    first = event("e1")
    await store.commit(first, state(responses=1), 0)
    with pytest.raises(DuplicateEventError):
        await store.commit(replace(first, item_id="other", sequence=2), state(responses=2), 1)
    with pytest.raises((DuplicateEventError, ConflictError)):
        await store.commit(first, state(responses=2), 0)
    snap = await store.load("t", "l", "c")
    assert snap is not None and snap.version == 1
    logged = await store.get_event("t", "e1", "l")
    assert logged is not None
    assert (logged.item_id, logged.reply, logged.sequence) == ("i", first.reply, 1)
    assert await store.get_event("t", "missing", "l") is None


async def test_concurrent_commits_on_one_version_let_exactly_one_win(store: EngineStore) -> None:
    results = await asyncio.gather(
        *[store.commit(event(f"r{n}"), state(responses=1), 0) for n in range(10)],
        return_exceptions=True,
    )
    assert sum(1 for r in results if r == 1) == 1
    assert all(isinstance(r, ConflictError) for r in results if r != 1)
    assert len(await store.read_learner_events("t", "l", "c")) == 1


async def test_concurrent_retries_of_one_event_apply_it_once(store: EngineStore) -> None:
    results = await asyncio.gather(
        *[store.commit(event("same"), state(responses=1), 0) for _ in range(10)],
        return_exceptions=True,
    )
    assert sum(1 for r in results if r == 1) == 1
    assert all(isinstance(r, DuplicateEventError | ConflictError) for r in results if r != 1)
    assert [e.event_id for e in await store.read_learner_events("t", "l", "c")] == ["same"]


# -- the log ---------------------------------------------------------------------------------


async def test_logs_keep_the_accepted_order(store: EngineStore) -> None:
    versions = {("a", "c"): 0, ("b", "c"): 0, ("a", "d"): 0}
    order: list[str] = []
    for k in range(12):
        learner, course = list(versions)[k % 3]
        eid = f"{learner}{course}-{k}"
        v = versions[(learner, course)]
        versions[(learner, course)] = await store.commit(
            event(eid, learner=learner, course=course, seq=v + 1),
            state(learner, course, v + 1),
            v,
        )
        order.append(eid)
    mine = await store.read_learner_events("t", "a", "c")
    assert [e.event_id for e in mine] == [e for e in order if e.startswith("ac-")]
    assert [e.sequence for e in mine] == [1, 2, 3, 4]
    everything = await store.read_events("t", 0, 100)
    assert [e.event_id for e in everything] == order  # one writer: log order = commit order
    ids = [e.log_id for e in everything]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    page1 = await store.read_events("t", 0, 5)
    page2 = await store.read_events("t", page1[-1].log_id, 100)
    assert [e.event_id for e in [*page1, *page2]] == order
    course_d = await store.read_course_events("t", "d", 0, 100)
    assert [e.event_id for e in course_d] == [e for e in order if e.startswith("ad-")]
    first_two = await store.read_course_events("t", "c", 0, 2)
    later = await store.read_course_events("t", "c", first_two[-1].log_id, 100)
    in_c = [e for e in order if not e.startswith("ad-")]
    assert [e.event_id for e in [*first_two, *later]] == in_c


async def test_logged_events_round_trip_exactly(store: EngineStore) -> None:
    original = replace(event("x1"), score=1 / 3, occurred_at=1.8e9 + 1 / 7, gain=-1e-17)
    await store.commit(original, state(), 0)
    for got in (
        await store.get_event("t", "x1", "l"),
        (await store.read_learner_events("t", "l", "c"))[0],
        (await store.read_events("t", 0, 10))[0],
    ):
        assert got is not None
        assert replace(got, log_id=0) == original


async def test_the_log_is_append_only(store: EngineStore) -> None:
    """No call rewrites a logged event: not a retry with other content, not a conflict."""
    await store.commit(event("e1"), state(responses=1), 0)
    before = await store.get_event("t", "e1", "l")
    for attempt in (
        store.commit(
            replace(event("e1"), score=0.0, reply=reply("other", 7)), state(responses=9), 1
        ),
        store.commit(replace(event("e1"), score=0.0), state(responses=9), 0),
    ):
        with pytest.raises((DuplicateEventError, ConflictError)):
            await attempt
    assert await store.get_event("t", "e1", "l") == before
    assert [e.score for e in await store.read_events("t", 0, 10)] == [1.0]
    for name in ("update_event", "put_event", "rewrite", "delete_event"):
        assert not hasattr(store, name)


# -- erasure and tenancy ---------------------------------------------------------------------


async def test_delete_learner_erases_every_course_and_the_log(store: EngineStore) -> None:
    await store.commit(event("a1", learner="a", course="c"), state("a", "c", 1), 0)
    await store.commit(event("a2", learner="a", course="c", seq=2), state("a", "c", 2), 1)
    await store.commit(event("a3", learner="a", course="d"), state("a", "d", 1), 0)
    await store.commit(event("b1", learner="b", course="c"), state("b", "c", 1), 0)
    assert len(await store.read_events("t", 0, 100)) == 4
    assert await store.delete_learner("t", "a") == (2, 3)
    for course in ("c", "d"):
        assert await store.load("t", "a", course) is None
        assert await store.read_learner_events("t", "a", course) == []
    assert await store.get_event("t", "a1", "a") is None
    assert [e.event_id for e in await store.read_events("t", 0, 100)] == ["b1"]
    assert [e.event_id for e in await store.read_course_events("t", "c", 0, 100)] == ["b1"]
    assert await store.load("t", "b", "c") is not None
    assert await store.delete_learner("t", "a") == (0, 0)
    # The learner may come back, as a new learner.
    assert await store.commit(event("a1", learner="a"), state("a", "c", 1), 0) == 1
    assert [e.event_id for e in await store.read_events("t", 0, 100)] == ["b1", "a1"]


async def test_tenants_are_isolated(store: EngineStore) -> None:
    await store.put_course("t1", _course("c"))
    await store.commit(event("e1", tenant="t1"), state(responses=1), 0)
    assert await store.get_course("t2", "c") is None
    assert await store.list_courses("t2", "", 10) == []
    assert await store.load("t2", "l", "c") is None
    assert await store.get_event("t2", "e1", "l") is None
    assert await store.read_events("t2", 0, 10) == []
    # The same learner, course and event ids in another tenant are another learner's.
    assert await store.commit(event("e1", tenant="t2"), state(responses=1), 0) == 1
    assert await store.delete_learner("t2", "l") == (1, 1)
    assert await store.load("t1", "l", "c") is not None
    assert [e.event_id for e in await store.read_events("t1", 0, 10)] == ["e1"]


async def test_ids_with_key_syntax_stay_apart(store: EngineStore) -> None:
    """A tenant or learner id holding ':', '{' or '}' cannot reach another's keys."""
    pairs = [("x:l=y", "z"), ("x", "y:l=z"), ("a}", "b"), ("a", "}b"), ("{a", "b%7D")]
    for n, (tenant, learner) in enumerate(pairs):
        await store.commit(event(f"e{n}", tenant=tenant, learner=learner), state(learner), 0)
    for n, (tenant, learner) in enumerate(pairs):
        assert [e.event_id for e in await store.read_learner_events(tenant, learner, "c")] == [
            f"e{n}"
        ]
        assert [e.event_id for e in await store.read_events(tenant, 0, 10)] == [f"e{n}"]


async def test_every_commit_reaches_the_tenant_log_once(store: EngineStore) -> None:
    async def learner(name: str) -> None:
        v = 0
        for k in range(15):
            v = await store.commit(
                event(f"{name}-{k}", learner=name, seq=v + 1), state(name, "c", v + 1), v
            )

    await asyncio.gather(*[learner(f"l{n}") for n in range(8)])
    logged = [e.event_id for e in await store.read_events("t", 0, 1000)]
    assert sorted(logged) == sorted(f"l{n}-{k}" for n in range(8) for k in range(15))
    for n in range(8):  # each learner's events keep their order in the tenant log
        mine = [e for e in logged if e.startswith(f"l{n}-")]
        assert mine == [f"l{n}-{k}" for k in range(15)]


async def test_course_events_page_through_a_long_log(store: EngineStore) -> None:
    """More events than one scan of the tenant log reads at a time, two courses mixed."""

    async def learner(n: int) -> None:
        versions = {"c": 0, "d": 0}
        for k in range(110):
            course = "d" if (n + k) % 3 == 0 else "c"
            v = versions[course]
            versions[course] = await store.commit(
                event(f"{n}-{k}", learner=f"l{n}", course=course, seq=v + 1),
                state(f"l{n}", course, v + 1),
                v,
            )

    await asyncio.gather(*[learner(n) for n in range(10)])
    everything = await store.read_events("t", 0, 10_000)
    assert len(everything) == 1100
    in_d = [e.event_id for e in everything if e.course_id == "d"]
    pages: list[str] = []
    after = 0
    while True:
        page = await store.read_course_events("t", "d", after, 100)
        pages += [e.event_id for e in page]
        if len(page) < 100:
            break
        after = page[-1].log_id
    assert pages == in_d and len(in_d) > 300


# -- each tenant's own log numbering (issue 11 item 17) --------------------------------------


async def _write(store: EngineStore, tenant: str, count: int, tag: str) -> None:
    for n in range(count):
        learner = f"{tag}{n}"
        await store.commit(event(f"{tag}-e{n}", learner=learner, tenant=tenant), state(learner), 0)


async def _log_ids(store: EngineStore, tenant: str, after: int = 0) -> list[int]:
    return [e.log_id for e in await store.read_events(tenant, after, 1000)]


async def test_each_tenants_log_ids_are_its_own(store: EngineStore) -> None:
    """Log ids (the ListEvents cursors) run 1, 2, 3, ... per tenant, identical whatever other
    tenants write, so their gaps reveal nothing of anyone else."""
    for n in range(6):  # "busy" shares the store with "noisy", which writes 0 to 3 each time
        await _write(store, "busy", 1, f"b{n}-")
        await _write(store, "noisy", n % 4, f"n{n}-")
    await _write(store, "alone", 6, "a")  # the same writes, with nobody else around
    assert await _log_ids(store, "busy") == [1, 2, 3, 4, 5, 6]
    assert await _log_ids(store, "alone") == [1, 2, 3, 4, 5, 6]
    assert await _log_ids(store, "noisy") == list(range(1, 1 + sum(n % 4 for n in range(6))))
    assert await _log_ids(store, "busy", after=4) == [5, 6]
    course_ids = [e.log_id for e in await store.read_course_events("busy", "c", 2, 100)]
    assert course_ids == [3, 4, 5, 6]
    # Erasing the newest events never hands their numbers out again: a reader whose cursor
    # is past them must still see what comes next.
    assert await store.delete_learner("busy", "b5-0") == (1, 1)
    await _write(store, "busy", 1, "late")
    assert await _log_ids(store, "busy", after=6) == [7]


async def test_embedded_absence_is_forgotten_when_the_state_is_written(tmp_path: Path) -> None:
    # With room for one state only, the written state is evicted by the next one: the read
    # after that must go to disk, not to a stale "absent" (the embedded store's own cache).
    store = SqliteStore(tmp_path / "store.db", cache_size=1)
    store._open()
    try:
        assert await store.load("t", "nu", "c") is None  # remembered as absent
        assert await store.commit(event("e1", learner="nu"), state("nu"), 0) == 1
        assert await store.commit(event("e2", learner="x"), state("x"), 0) == 1  # evicts nu
        snap = await store.load("t", "nu", "c")
        assert snap is not None and snap.version == 1
    finally:
        await store.close()
