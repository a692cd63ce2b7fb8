"""The gateway's stores, one contract over the embedded SQLite file, a real Redis and a real
three-master Redis Cluster (started by the tests): once-only values, registrations, the grade
outbox, tool keys, the statement outbox and course content."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from attune.gateway.lrs.ports import StatementOutbox
from attune.gateway.lrs.targets import LrsTarget
from attune.gateway.ports import Activity, BatchedPuts, GatewayStore, Registration, ToolKey
from attune.gateway.stores import GatewayStoreError, open_stores
from tests.support.gateway_stack import wait_for

pytestmark = pytest.mark.integration


@pytest.fixture(params=["sqlite", "redis", "cluster"])
def stores(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[GatewayStore, StatementOutbox]]:
    if request.param == "sqlite":
        url = ""
    else:
        server = request.getfixturevalue(
            "redis_standalone" if request.param == "redis" else "redis_cluster_nodes"
        )
        server.flush()
        url = server.url
    store, outbox = open_stores(url, tmp_path)
    yield store, outbox
    outbox.close()
    store.close()


def _reg(tenant: str, client: str, issuer: str = "https://lms.example") -> Registration:
    return Registration(
        tenant=tenant,
        issuer=issuer,
        client_id=client,
        auth_login_url=f"{issuer}/auth",
        auth_token_url=f"{issuer}/token",
        key_set_url=f"{issuer}/jwks",
        deployment_ids=("d1", "d2"),
    )


def test_values_are_taken_once_and_expire(stores: tuple[GatewayStore, Any]) -> None:
    store, _ = stores
    store.put("t", "nonce-1", {"a": [1, 2]}, 60)
    assert store.get("t", "nonce-1") == {"a": [1, 2]}
    assert store.get("u", "nonce-1") is None  # tenants do not share keys
    assert store.take("t", "nonce-1") == {"a": [1, 2]}
    assert store.take("t", "nonce-1") is None
    assert store.add("t", "k", 1, 60) and not store.add("t", "k", 2, 60)
    assert store.get("t", "k") == 1
    # Expiry is the store's own clock (SQLite's time.time(), Redis's PX): wait for it, bounded.
    store.put("t", "short", True, 0.05)
    wait_for(lambda: store.get("t", "short") is None)
    assert store.get("t", "short") is None and store.add("t", "short", 3, 60)
    store.put("t", "gone", 1, 0.01)
    wait_for(lambda: store.get("t", "gone") is None)
    store.purge_expired()
    assert store.get("t", "gone") is None and store.get("t", "k") == 1  # live values stay


def test_several_values_are_put_at_once(stores: tuple[GatewayStore, Any]) -> None:
    store, _ = stores
    assert isinstance(store, BatchedPuts)
    store.put("t", "pending:x", "old", 60)
    store.put_many("t", [("pending:x", {"q": 2}, 60), ("answered:x", [1], 60), ("n", 3, 60)])
    assert store.get("t", "pending:x") == {"q": 2}  # replaced
    assert store.get("t", "answered:x") == [1] and store.get("t", "n") == 3
    assert store.get("u", "n") is None  # in the named tenant only
    store.put_many("t", [])  # nothing to write is fine
    store.put_many("t", [("short", 1, 0.05)])
    wait_for(lambda: store.get("t", "short") is None)
    assert store.get("t", "short") is None


def test_the_housekeeper_purges_at_most_once_a_period() -> None:
    from attune.gateway.worker import Housekeeper

    calls: list[int] = []
    keeper = Housekeeper(lambda: calls.append(1) or 3, every_seconds=60)
    assert keeper(1000.0) == 3 and keeper(1030.0) == 0 and keeper(1061.0) == 3
    assert len(calls) == 2


def test_registrations_are_found_by_issuer_and_client(stores: tuple[GatewayStore, Any]) -> None:
    store, _ = stores
    a, b = _reg("univ-a", "client-a"), _reg("univ-b", "client-b")
    store.put_registration(a)
    assert store.find_registration(a.issuer, None) == a
    store.put_registration(b)
    assert store.find_registration(a.issuer, None) is None  # two clients: ambiguous
    assert store.find_registration(a.issuer, "client-b") == b
    assert list(store.list_registrations("univ-a")) == [a]
    assert not store.delete_registration("univ-a", b.issuer, "client-b")  # not its tenant
    assert store.delete_registration("univ-b", b.issuer, "client-b")
    assert store.find_registration(b.issuer, "client-b") is None


def test_activities_round_trip(stores: tuple[GatewayStore, Any]) -> None:
    store, _ = stores
    activity = Activity("t", "act-1", "demo", "Fractions", ("a", "b"))
    store.put_activity(activity)
    assert store.get_activity("t", "act-1") == activity
    assert store.get_activity("other", "act-1") is None


def test_the_grade_outbox_supersedes_retries_and_parks(stores: tuple[GatewayStore, Any]) -> None:
    store, _ = stores
    payload = {"score": {"scoreGiven": 33.333333333333336, "timestamp": "2026-11-28T05:00Z"}}
    first = store.enqueue("t", "ags-score", "k", {"n": 1})
    second = store.enqueue("t", "ags-score", "k", payload)
    other = store.enqueue("t", "ags-score", "k2", {"n": 3})
    due = {i.item_id: i for i in store.due(time.time() + 1, 10)}
    assert set(due) == {second, other}
    assert due[second].payload == payload  # numbers exactly as given
    assert [i.item_id for i in store.list_items("t", "superseded")] == [first]
    store.delivered("t", other, time.time())
    store.retry("t", second, time.time() + 3600, "503 down")
    assert store.due(time.time() + 60, 10) == []
    store.dead("t", second, "400 bad")
    [dead] = store.list_items("t", "dead")
    assert dead.item_id == second and dead.last_error == "400 bad" and dead.attempts == 2
    assert not store.replay("other", second, time.time())
    assert store.replay("t", second, time.time())
    assert [i.item_id for i in store.due(time.time() + 1, 10)] == [second]


def test_tool_keys_are_kept_and_retired(stores: tuple[GatewayStore, Any]) -> None:
    store, _ = stores
    store.add_key(ToolKey("k1", "pem-1", {"kid": "k1"}, 1.0))
    store.add_key(ToolKey("k2", "pem-2", {"kid": "k2"}, 2.0))
    store.retire_key("k1", 5.0)
    keys = store.tool_keys()
    assert [k.kid for k in keys] == ["k1", "k2"]
    assert keys[0].retired_at == 5.0 and keys[1].retired_at is None


def test_content_versions_media_and_the_log_are_kept_per_tenant(
    stores: tuple[GatewayStore, Any],
) -> None:
    store, _ = stores
    store.put_content("t1", "c", "d1", '{"v": 1}')
    store.put_content("t1", "c", "d1", '{"v": "overwritten?"}')  # a version never changes
    assert store.get_content("t1", "c", "d1") == '{"v": 1}'
    assert store.get_content("t2", "c", "d1") is None
    assert store.get_content("t1", "c", "d2") is None
    png = bytes(range(256)) * 4  # every byte value survives (Redis keeps it as base64)
    store.put_media("t1", "ab" * 32, "image/png", png)
    found = store.get_media("t1", "ab" * 32)
    assert found is not None and (found.media_type, found.data) == ("image/png", png)
    assert store.get_media("t2", "ab" * 32) is None
    for n in range(3):
        store.log_content("t1", "c", "import", {"n": n})
    store.log_content("t1", "c", "unscored", {"item_id": "i"})
    assert [r["n"] for r in store.read_content_log("t1", "c", "import")] == [2, 1, 0]
    assert store.read_content_log("t1", "c", "import", limit=1) == [{"n": 2}]
    assert store.read_content_log("t1", "c", "unscored") == [{"item_id": "i"}]
    assert store.read_content_log("t2", "c", "import") == []
    store.put_document("t1", "generated", "b", '{"id": "b"}')
    store.put_document("t1", "generated", "a", '{"id": "a"}')
    store.put_document("t1", "generated", "a", '{"id": "a", "status": "retired"}')
    store.put_document("t1", "terminology", "maths", "subject: maths")
    assert store.get_document("t1", "generated", "a") == '{"id": "a", "status": "retired"}'
    assert store.list_documents("t1", "generated") == [
        '{"id": "a", "status": "retired"}',
        '{"id": "b"}',
    ]
    assert store.list_documents("t2", "generated") == []
    assert store.get_document("t1", "terminology", "maths") == "subject: maths"
    assert store.get_document("t2", "terminology", "maths") is None


def _target(tenant: str, name: str) -> LrsTarget:
    return LrsTarget(
        tenant=tenant,
        name=name,
        url="https://lrs.example/xapi",
        auth="none",
        home_page="https://lms.example",
        activity_base="https://attune.example/x",
    )


def test_the_statement_outbox_queues_once_and_moves_the_cursor(
    stores: tuple[Any, StatementOutbox],
) -> None:
    _, outbox = stores
    target, other = _target("t", "lrs"), _target("t", "caliper")
    outbox.put_target(target)
    outbox.put_target(other)
    outbox.put_target(_target("u", "lrs"))
    assert [t.key for t in outbox.targets("t")] == ["t/caliper", "t/lrs"]
    assert len(outbox.targets()) == 3
    body = {"id": "s1", "result": {"score": {"scaled": 0.1 + 0.2}}, "list": []}
    rows = [
        (target.key, "s1", body),
        (target.key, "s2", {"id": "s2"}),
        (other.key, "s1", {"id": "s1-caliper"}),
    ]
    assert outbox.enqueue("t", rows, (target.key, 17)) == 3
    assert outbox.enqueue("t", rows[:2], (target.key, 18)) == 0  # already queued: no copy
    assert (outbox.cursor(target.key), outbox.cursor(other.key)) == (18, 0)
    due = outbox.due(target, time.time(), 10)
    assert [q.statement_id for q in due] == ["s1", "s2"]
    assert due[0].body == body  # exactly what was queued, 0.30000000000000004 included
    outbox.delivered("t", [due[0].row_id])
    outbox.dead("t", due[1].row_id, "400: no actor")
    assert outbox.counts("t") == {"delivered": 1, "dead": 1, "pending": 1}
    [dead] = outbox.list_statements("t", "dead")
    assert dead.statement_id == "s2" and dead.last_error == "400: no actor"
    assert outbox.replay("t", dead.row_id, time.time())
    outbox.retry("t", [dead.row_id], time.time() + 3600, "503")
    assert outbox.due(target, time.time(), 10) == []
    assert outbox.delete_target("t", "caliper") and not outbox.delete_target("t", "caliper")


def test_an_unusable_store_url_is_refused_naming_it(tmp_path: Path) -> None:
    for url in ("mongo://x/1", "redis://user:secret@127.0.0.1:1/0"):
        with pytest.raises(GatewayStoreError) as err:
            open_stores(url, tmp_path)
        assert "secret" not in str(err.value) and (
            "mongo" in str(err.value) or ":1" in str(err.value)
        )
