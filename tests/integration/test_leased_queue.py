"""The leased queue, one contract over its SQLite adapter, a real Redis and a real
three-master Redis Cluster (started by the tests): the grade outbox and the statement outbox
are both this queue, so what it promises here holds for both."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from attune.gateway.outbox.ports import LeasedQueue, NewItem, QueueItem
from attune.gateway.outbox.redis import RedisLeasedQueue
from attune.gateway.outbox.sqlite import SqliteLeasedQueue
from attune.gateway.redis_store import tenant_tag
from attune.gateway.stores import redis_client

pytestmark = pytest.mark.integration

LEASE_S = 30.0


@pytest.fixture(params=["sqlite", "redis", "cluster"])
def queue(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[LeasedQueue]:
    """A queue of the ``test`` family that leases for ``LEASE_S`` on every backend."""
    found: Any
    if request.param == "sqlite":
        found = SqliteLeasedQueue(tmp_path / "gateway.db", "test", lease_s=LEASE_S)
    else:
        server = request.getfixturevalue(
            "redis_standalone" if request.param == "redis" else "redis_cluster_nodes"
        )
        server.flush()
        client = redis_client(server.url)
        found = RedisLeasedQueue(client, "test", tenant_tag, "attune:gw:{test-queues}", LEASE_S)
    yield found
    found.close()


def _ids(items: list[QueueItem]) -> list[int]:
    return [i.item_id for i in items]


def test_a_superseding_key_replaces_the_pending_item(queue: LeasedQueue) -> None:
    payload = {"score": 33.333333333333336, "nested": {"x": [0.1 + 0.2]}}
    [first] = queue.enqueue("t", [NewItem("ags", "k", {"n": 1})], supersede=True, now=100)
    [second] = queue.enqueue("t", [NewItem("ags", "k", payload)], supersede=True, now=100)
    [other] = queue.enqueue("t", [NewItem("ags", "k2", {"n": 3})], supersede=True, now=100)
    assert first and second and other and len({first, second, other}) == 3
    due = queue.lease(100, 10)
    assert _ids(due) == [second, other]
    assert due[0].payload == payload  # numbers exactly as given
    assert (due[0].tenant, due[0].queue, due[0].key) == ("t", "ags", "k")
    assert _ids(queue.items("t", "superseded")) == [first]


def test_a_key_queued_before_is_skipped_and_the_cursor_moves_with_it(
    queue: LeasedQueue,
) -> None:
    items = [NewItem("t/lrs", "s1", {"id": "s1"}), NewItem("t/lrs", "s2", {"id": "s2"})]
    ids = queue.enqueue("t", items, cursor=("t/lrs", 17))
    assert all(ids) and queue.cursor("t", "t/lrs") == 17
    again = queue.enqueue("t", [*items, NewItem("t/lrs", "s3", {})], cursor=("t/lrs", 18))
    assert again[:2] == [None, None] and again[2] is not None
    queue.enqueue("t", [], cursor=("t/lrs", 5))  # a late feeder never moves it back
    assert queue.cursor("t", "t/lrs") == 18 and queue.cursor("u", "t/lrs") == 0
    assert [i.key for i in queue.lease(0, 10, "t", "t/lrs")] == ["s1", "s2", "s3"]


def test_a_parked_item_is_a_dead_letter_from_the_start(queue: LeasedQueue) -> None:
    good, parked = queue.enqueue(
        "t", [NewItem("q", "a", {}), NewItem("q", "b", {"log_id": 5}, parked="ValueError: x")]
    )
    assert good and parked
    assert _ids(queue.lease(0, 10)) == [good]
    [dead] = queue.items("t", "dead")
    assert (dead.item_id, dead.payload, dead.last_error) == (parked, {"log_id": 5}, "ValueError: x")
    assert queue.enqueue("t", [NewItem("q", "b", {}, parked="again")]) == [None]
    assert queue.counts("t") == {"pending": 1, "dead": 1}


def test_a_lease_hides_items_until_settled_or_expired(queue: LeasedQueue) -> None:
    a, b = queue.enqueue("t", [NewItem("q", "a", {}), NewItem("q", "b", {})], now=100)
    assert a and b
    assert _ids(queue.lease(100, 1)) == [a]
    assert _ids(queue.lease(101, 10)) == [b]  # a is leased: another worker gets b only
    assert queue.lease(102, 10) == []
    queue.ack("t", [b], 103)
    # a's holder died: after the lease it is due again; b, delivered, never is.
    assert _ids(queue.lease(100 + LEASE_S + 1, 10)) == [a]


def test_retry_backs_off_and_dead_letters_replay(queue: LeasedQueue) -> None:
    a, b, c = queue.enqueue("t", [NewItem("q", k, {"k": k}) for k in "abc"], now=0)
    assert a and b and c
    queue.lease(0, 10)
    queue.ack("t", [a], 1)
    queue.retry("t", [b], 3600, "503 down")
    queue.dead("t", [c], "400 bad")
    assert queue.lease(3599, 10) == []
    [retried] = queue.lease(3600, 10)
    assert (retried.item_id, retried.attempts, retried.last_error) == (b, 1, "503 down")
    [dead] = queue.items("t", "dead")
    assert (dead.item_id, dead.attempts, dead.last_error) == (c, 1, "400 bad")
    assert queue.counts("t") == {"delivered": 1, "pending": 1, "dead": 1}
    assert not queue.replay("other", c, 5000)  # tenants never see each other's items
    assert not queue.replay("t", a, 5000)  # only a dead letter is replayed
    assert queue.replay("t", c, 5000)
    assert c in _ids(queue.lease(5000, 10))


def test_a_refused_replay_changes_nothing(queue: LeasedQueue) -> None:
    [item] = queue.enqueue("t", [NewItem("q", "a", {"log_id": 7}, parked="unbuildable")])
    assert item

    def refuse(found: QueueItem) -> None:
        raise LookupError(f"{found.item_id} {found.payload['log_id']} {found.last_error}")

    with pytest.raises(LookupError, match=f"{item} 7 unbuildable"):
        queue.replay("t", item, 10, refuse)
    assert _ids(queue.items("t", "dead")) == [item] and queue.lease(10, 10) == []


def test_a_retry_never_revives_a_superseded_item(queue: LeasedQueue) -> None:
    [old] = queue.enqueue("t", [NewItem("q", "k", {"n": 1})], supersede=True)
    assert old and _ids(queue.lease(0, 10)) == [old]
    [new] = queue.enqueue("t", [NewItem("q", "k", {"n": 2})], supersede=True)
    queue.retry("t", [old], 0, "503 down")  # the sender of the old score failed meanwhile
    assert _ids(queue.items("t", "superseded")) == [old]
    assert _ids(queue.lease(LEASE_S + 1, 10)) == [new]


def test_tenants_and_queues_lease_apart(queue: LeasedQueue) -> None:
    [t1] = queue.enqueue("t", [NewItem("q1", "a", {})])
    [t2] = queue.enqueue("t", [NewItem("q2", "a", {})])
    [u1] = queue.enqueue("u", [NewItem("q1", "a", {})])
    assert _ids(queue.lease(0, 10, "t", "q2")) == [t2]
    assert _ids(queue.lease(0, 10, "u", "q1")) == [u1]
    assert _ids(queue.lease(0, 10)) == [t1]
    assert queue.items("u", "pending")[0].tenant == "u"
    assert queue.counts("t") == {"pending": 2} and queue.counts("nobody") == {}


def test_a_lease_skips_what_the_caller_still_holds(tmp_path: Path) -> None:
    # The embedded store's default lease is the read itself: the relay passes the items it
    # is still sending, and the next lease moves past them.
    queue = SqliteLeasedQueue(tmp_path / "gateway.db", "test")
    try:
        ids = queue.enqueue("t", [NewItem("q", k, {"k": k}) for k in "abcde"], now=0)
        assert all(ids)
        first = queue.lease(0, 2, "t", "q")
        assert _ids(queue.lease(0, 2, "t", "q")) == _ids(first)  # no skip: the same again
        second = queue.lease(0, 2, "t", "q", skip=_ids(first))
        assert _ids(second) == ids[2:4]
        third = queue.lease(0, 10, "t", "q", skip=_ids(first) + _ids(second))
        assert _ids(third) == ids[4:]
    finally:
        queue.close()


def test_an_ack_that_names_the_queue_settles_only_its_items(queue: LeasedQueue) -> None:
    a, b = queue.enqueue("t", [NewItem("q1", "a", {}), NewItem("q2", "b", {})], now=0)
    assert a and b
    assert _ids(queue.lease(0, 10, "t", "q1")) == [a]
    queue.ack("t", [a, b], 1, queue="q1")  # b is not of q1: left as it is
    assert _ids(queue.items("t", "delivered")) == [a]
    assert _ids(queue.lease(2, 10, "t", "q2")) == [b]
    queue.ack("t", [b], 3, queue="q2")
    assert queue.counts("t") == {"delivered": 2}
    assert queue.lease(LEASE_S + 10, 10) == []  # settled items are never due again
