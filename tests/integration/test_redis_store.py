"""What only the Redis store has: the outbox relay and its sweeper, the consumer groups, the
course cache across processes, hash tags, failing fast, and the round trips of a response."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest
from redis.crc import key_slot

from attune.engine.adapters.factory import StoreConfigError, open_store
from attune.engine.adapters.redis_keys import LearnerKeys
from attune.engine.adapters.redis_relay import OutboxEntry, Pending
from attune.engine.adapters.redis_store import RedisStore
from attune.engine.domain.errors import UnavailableError
from attune.engine.settings import EngineSettings
from tests.support.redis_server import RedisClusterNodes, RedisServer, redis_server
from tests.support.stores import event, eventually, state

pytestmark = pytest.mark.integration

KINDS = ["redis", "redis-cluster"]


def _server(request: pytest.FixtureRequest) -> RedisServer | RedisClusterNodes:
    name = "redis_standalone" if request.param == "redis" else "redis_cluster_nodes"
    server = request.getfixturevalue(name)
    server.flush()
    return server


@pytest.fixture(params=KINDS)
async def url(request: pytest.FixtureRequest) -> str:
    return str(_server(request).url)


@pytest.fixture
async def store(url: str) -> AsyncIterator[RedisStore]:
    s = await RedisStore.open(url, sweep_seconds=0)
    try:
        yield s
    finally:
        await s.close()


async def _logged(store: RedisStore, tenant: str = "t") -> list[str]:
    return [e.event_id for e in await store.read_events(tenant, 0, 10_000)]


# -- the outbox relay ------------------------------------------------------------------------


async def test_a_crash_before_the_relay_loses_nothing(url: str) -> None:
    """A process commits and dies before relaying: another process's sweeper relays."""
    crashed = await RedisStore.open(url, sweep_seconds=0, relay_after_commit=False)
    v = 0
    for k in range(5):
        v = await crashed.commit(event(f"e{k}", seq=k + 1), state(responses=k + 1), v)
    await crashed.commit(event("o1", learner="other"), state("other"), 0)
    await crashed.close()
    survivor = await RedisStore.open(url, sweep_seconds=0)
    try:
        assert await _logged(survivor) == []
        assert await survivor.relay.sweep(lock=False) == 2
        assert sorted(await _logged(survivor)) == ["e0", "e1", "e2", "e3", "e4", "o1"]
        assert await survivor.relay.sweep(lock=False) == 0  # nothing left, nothing doubled
        assert len(await _logged(survivor)) == 6
        client = survivor.client
        assert not await client.exists(LearnerKeys("t", "l").outbox)
        assert await client.scard(survivor.relay.dirty_key(LearnerKeys("t", "l"))) == 0
    finally:
        await survivor.close()


async def test_the_next_commit_carries_a_backlog_in_order(url: str) -> None:
    """Entries a process failed to relay go out, in order, with the learner's next commit."""
    crashed = await RedisStore.open(url, sweep_seconds=0, relay_after_commit=False)
    for k in range(3):
        await crashed.commit(event(f"e{k}", seq=k + 1), state(responses=k + 1), k)
    await crashed.close()
    live = await RedisStore.open(url, sweep_seconds=0)
    try:
        await live.commit(event("e3", seq=4), state(responses=4), 3)
        assert await _logged(live) == ["e0", "e1", "e2", "e3"]
    finally:
        await live.close()


async def test_the_sweeper_runs_by_itself(url: str) -> None:
    crashed = await RedisStore.open(url, sweep_seconds=0, relay_after_commit=False)
    await crashed.commit(event("e1"), state(), 0)
    await crashed.close()
    sweeping = await RedisStore.open(url, sweep_seconds=0.1)
    try:

        async def relayed() -> bool:
            return await _logged(sweeping) == ["e1"]

        assert await eventually(relayed)
    finally:
        await sweeping.close()


async def test_two_relays_of_the_same_entries_append_once(store: RedisStore) -> None:
    await store.commit(event("e1"), state(), 0)
    await store.relay.drain()
    body = (await store.get_event("t", "e1", "l")).reply  # type: ignore[union-attr]
    assert body
    again = await store.client.hget(LearnerKeys("t", "l").events, "e1")
    gen = await store.client.hget(LearnerKeys("t", "l").meta, "gen")
    stale = Pending(LearnerKeys("t", "l"), gen, [OutboxEntry(1, "e1", "c", again)])
    await store.relay.relay([stale, stale])
    await store.relay.sweep(lock=False)
    assert await _logged(store) == ["e1"]


async def test_a_late_relay_of_an_erased_learner_is_dropped(store: RedisStore) -> None:
    await store.commit(event("e1"), state(), 0)
    await store.relay.drain()
    keys = LearnerKeys("t", "l")
    gen = await store.client.hget(keys.meta, "gen")
    raw = await store.client.hget(keys.events, "e1")
    late = Pending(keys, gen, [OutboxEntry(1, "e1", "c", raw), OutboxEntry(2, "e2", "c", raw)])
    assert await store.delete_learner("t", "l") == (1, 1)
    await store.relay.relay([late])  # held in memory by some process during the erasure
    assert await _logged(store) == []
    assert await store.commit(event("n1"), state(), 0) == 1  # a new learner "l" is fine
    assert await _logged(store) == ["n1"]


async def test_keys_of_a_learner_share_one_slot(store: RedisStore) -> None:
    tenant, learner = "ten:ant}", "{learn:er}"
    v = 0
    for course in ("c1", "c:2}"):
        await store.commit(
            event(f"e-{course}", tenant=tenant, learner=learner, course=course),
            state(learner, course),
            v,
        )
    await store.relay.drain()
    keys = LearnerKeys(tenant, learner)
    names = [
        keys.state("c1"),
        keys.state("c:2}"),
        keys.sequence("c1"),
        keys.events,
        keys.meta,
    ]
    if store.target.cluster:  # a standalone server has one dirty set for everybody
        names.append(store.relay.dirty_key(keys))
    assert len({key_slot(n.encode()) for n in names}) == 1
    for name in names[:5]:
        assert await store.client.exists(name)


# -- the course cache ------------------------------------------------------------------------


async def test_a_course_change_reaches_every_process(url: str) -> None:
    from attune.engine.grpc.convert import course_from_pb
    from tests.support.courses import chain_course

    a = await RedisStore.open(url, sweep_seconds=0)
    b = await RedisStore.open(url, sweep_seconds=0)
    try:
        course = course_from_pb(chain_course("c"))
        await a.put_course("t", course)
        assert await b.get_course("t", "c") == course

        async def cached_in_b() -> bool:
            # A fill that raced with the invalidation of a's own put is not kept: retry.
            await b.get_course("t", "c")
            return b.courses.cache.get("t", "c") == course

        assert await eventually(cached_in_b, timeout=3.0)
        renamed = replace(course, title="Renamed")
        await a.put_course("t", renamed)

        async def b_sees_it() -> bool:
            got = await b.get_course("t", "c")
            return got is not None and got.title == "Renamed"

        assert await eventually(b_sees_it, timeout=3.0)
        assert b.courses.cache.invalidations >= 1
    finally:
        await a.close()
        await b.close()


# -- failures --------------------------------------------------------------------------------


async def test_unreachable_redis_fails_fast_and_recovers(tmp_path: Path) -> None:
    with redis_server(tmp_path / "r") as server:
        store = await RedisStore.open(server.url, sweep_seconds=0)
        try:
            assert await store.commit(event("e1"), state(), 0) == 1
            server.stop()
            for call in (
                store.load("t", "l", "c"),
                store.commit(event("e2", seq=2), state(responses=2), 1),
                store.get_event("t", "e1", "l"),
                store.read_learner_events("t", "l", "c"),
                store.get_course("t", "never-cached"),
            ):
                with pytest.raises(UnavailableError):
                    await asyncio.wait_for(call, 10)
            server.start()  # same port, same AOF: the acknowledged commit is back
            snap = await store.load("t", "l", "c")
            assert snap is not None and snap.version == 1
            assert await store.commit(event("e2", seq=2), state(responses=2), 1) == 2
        finally:
            await store.close()


async def test_an_unreachable_url_is_a_config_error_naming_it() -> None:
    url = "redis://:s3cret@127.0.0.1:1/0"
    with pytest.raises(StoreConfigError) as caught:
        await open_store(EngineSettings(store_url=url))
    assert "redis://:***@127.0.0.1:1/0" in str(caught.value)
    assert "s3cret" not in str(caught.value)
    with pytest.raises(StoreConfigError, match=r"redis\+cluster://127\.0\.0\.1:1"):
        await open_store(EngineSettings(store_url="redis+cluster://127.0.0.1:1"))
    with pytest.raises(StoreConfigError, match="bad host"):
        await open_store(EngineSettings(store_url="redis://127.0.0.1:notaport/0"))


# -- round trips -----------------------------------------------------------------------------


async def test_round_trips_of_one_response(redis_standalone: RedisServer) -> None:
    """Counted by the server (its socket reads): a response costs two round trips before
    its reply (the pipelined idempotency check and state read, then the commit script) and
    two after it, in the background
    (the relay's two scripts, shared with the commits around it). A retry costs one."""
    from attune.engine.domain.learner import Response
    from attune.engine.grpc.convert import course_from_pb
    from attune.engine.service import Engine
    from tests.support.courses import chain_course

    redis_standalone.flush()
    store = await RedisStore.open(redis_standalone.url, sweep_seconds=0)
    stats = redis_standalone.client()
    try:
        engine = Engine(store)
        await engine.put_course("t", course_from_pb(chain_course("c")))

        def response(eid: str) -> Response:
            return Response(eid, "l", "c", "a1", 1.0, 9000, 1.8e9)

        await engine.record("t", response("warm"))  # fills the course cache and item table
        await store.relay.drain()

        def reads() -> int:
            # Each INFO call is itself one read: subtract it. The course-change subscriber
            # pings on its own timer, and a slow run can catch one: those are not the
            # response's round trips.
            info = stats.info("everything")
            pings = int(info.get("cmdstat_ping", {}).get("calls", 0))
            return int(info["total_reads_processed"]) - pings

        # Background work (the subscriber's pings, a timer) can only add reads, never take
        # them away: the fewest over three tries is what a response itself costs.
        counts = []
        for n in range(3):
            before = reads()
            await engine.record("t", response(f"e{n}"))
            answered = reads()
            await store.relay.drain()
            relayed = reads()
            await engine.record("t", response(f"e{n}"))  # a retry: answered from the log
            retried = reads()
            counts.append((answered - before - 1, relayed - answered - 1, retried - relayed - 1))
        assert tuple(min(c[k] for c in counts) for k in range(3)) == (2, 2, 1), counts
    finally:
        stats.close()
        await store.close()


async def test_a_cluster_node_behind_a_plain_url_is_refused(
    redis_cluster_nodes: RedisClusterNodes,
) -> None:
    node = redis_cluster_nodes.nodes[0]
    with pytest.raises(StoreConfigError, match=r"Cluster node: use redis\+cluster://"):
        await open_store(EngineSettings(store_url=node.url))


def test_serve_exits_2_naming_an_unreachable_redis_url() -> None:
    import subprocess
    import sys

    url = "redis://127.0.0.1:1/0"
    out = subprocess.run(
        [sys.executable, "-m", "attune", "serve", "--port", "0", "--store", url],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 2
    assert url in out.stderr
    assert "Traceback" not in out.stderr


async def test_a_state_read_is_fresh_though_its_decoding_is_reused(url: str) -> None:
    first = await RedisStore.open(url, sweep_seconds=0)
    second = await RedisStore.open(url, sweep_seconds=0)  # another engine process
    try:
        mine = state(responses=1)
        await first.commit(event("e1"), mine, 0)
        snap = await first.load("t", "l", "c")
        assert snap is not None and snap.version == 1
        assert snap.state is mine  # the text read is the one written: not decoded again
        theirs = state(responses=2)
        await second.commit(event("e2", seq=2), theirs, 1)
        _, fresh = await first.prepare("t", "l", "c", "e3")
        assert fresh is not None and fresh.version == 2 and fresh.state == theirs
        assert fresh.state is not theirs  # decoded from what Redis holds
        assert await first.delete_learner("t", "l") != (0, 0)
        assert await first.load("t", "l", "c") is None
        assert not first._decoded.drop(lambda k: k[1] == "l")  # erased from memory too
    finally:
        await first.close()
        await second.close()
