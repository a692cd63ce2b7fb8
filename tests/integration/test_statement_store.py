"""The store of accepted xAPI statements (issue 19), one contract over the gateway's SQLite
file, a real Redis and a real Redis Cluster (started by the tests): insert-once by id, seq
order both ways, voiding, tenants apart; and, over the same stores, the keeper (stored time
from an injected clock, authority, voiding rules) and the reader (filters, paging to the
end, StatementRef targets)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from attune.gateway.ports import GatewayStore
from attune.gateway.stores import open_stores
from attune.gateway.xapi_store.accept import StatementKeeper, default_authority
from attune.gateway.xapi_store.ports import EngineRef, StoredStatement
from attune.gateway.xapi_store.query import StatementQuery, parse_query
from attune.gateway.xapi_store.reader import StatementReader

pytestmark = pytest.mark.integration

VOIDED = "http://adlnet.gov/expapi/verbs/voided"
ANSWERED = "http://adlnet.gov/expapi/verbs/answered"
HOME = "https://lms.example"


@pytest.fixture(params=["sqlite", "redis", "cluster"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[GatewayStore]:
    url = ""
    if request.param != "sqlite":
        server = request.getfixturevalue(
            "redis_standalone" if request.param == "redis" else "redis_cluster_nodes"
        )
        server.flush()
        url = server.url
    found, outbox = open_stores(url, tmp_path)
    yield found
    outbox.close()
    found.close()


def sid(n: int) -> str:
    return f"00000000-0000-4000-8000-{n:012d}"


def statement(n: int, who: str = "ann", **extra: Any) -> dict[str, Any]:
    return {
        "id": sid(n),
        "actor": {"account": {"homePage": HOME, "name": who}},
        "verb": {"id": ANSWERED, "display": {"en-US": "answered", "de": "beantwortet"}},
        "object": {"id": f"https://tool.example/items/{n % 3}"},
        "result": {"score": {"scaled": 0.1234567890123}, "extensions": {}},
        **extra,
    }


class Parsed:
    def __init__(self, body: dict[str, Any]) -> None:
        self.statement_id = body["id"]
        self.body = body


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        self.now += 1.5
        return self.now


class Voids:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str, str, str, str]] = []

    def void_event(
        self, tenant: str, learner_id: str, course_id: str, event_id: str, actor: str
    ) -> None:
        self.calls.append((tenant, learner_id, course_id, event_id, actor))


def test_records_are_added_once_kept_exactly_and_read_in_order(store: GatewayStore) -> None:
    body = statement(1)
    first = StoredStatement(sid(1), 1.8e9 + 0.123, body, engine=EngineRef("l", "c", sid(1)))
    assert store.add_statement("t", first)
    assert not store.add_statement("t", StoredStatement(sid(1), 5.0, {"id": "other"}))
    found = store.get_statement("t", sid(1))
    assert found is not None
    assert found.statement == body  # {} stays {}, floats survive exactly
    assert (found.stored, found.engine, found.voided) == (
        1.8e9 + 0.123,
        EngineRef("l", "c", sid(1)),
        False,
    )
    assert found.seq > 0
    for n in range(2, 6):
        assert store.add_statement("t", StoredStatement(sid(n), float(n), statement(n)))
    newest = [r.statement_id for r in store.scan_statements("t", 0, False, 3)]
    assert newest == [sid(5), sid(4), sid(3)]
    seq = {r.statement_id: r.seq for r in store.scan_statements("t", 0, True, 10)}
    assert sorted(seq, key=seq.__getitem__) == [sid(n) for n in range(1, 6)]  # gaps allowed
    older = store.scan_statements("t", seq[sid(3)], False, 9)
    assert [r.statement_id for r in older] == [sid(2), sid(1)]
    newer = store.scan_statements("t", seq[sid(2)], True, 2)
    assert [r.statement_id for r in newer] == [sid(3), sid(4)]
    assert store.get_statement("other", sid(1)) is None
    assert store.scan_statements("other", 0, True, 10) == []


def test_voiding_marks_once_and_only_known_statements(store: GatewayStore) -> None:
    store.add_statement("t", StoredStatement(sid(1), 1.0, statement(1)))
    assert not store.void_statement("t", sid(9))
    assert not store.void_statement("other", sid(1))
    assert store.void_statement("t", sid(1))
    assert not store.void_statement("t", sid(1))
    found = store.get_statement("t", sid(1))
    assert found is not None and found.voided
    assert [r.voided for r in store.scan_statements("t", 0, True, 5)] == [True]


def test_the_keeper_sets_stored_authority_and_voids_by_the_rules(store: GatewayStore) -> None:
    clock, voids = Clock(), Voids()
    keeper = StatementKeeper(store, clock, voids)
    authority = default_authority("t", HOME)
    keeper.keep("t", [Parsed(statement(1)), Parsed(statement(2))], {sid(1): ("l", "c", sid(1))},
                authority, "1.0.0")  # fmt: skip
    kept = store.get_statement("t", sid(1))
    assert kept is not None
    assert kept.stored == 1_800_000_001.5
    assert kept.statement["stored"] == "2027-01-15T08:00:01.500Z"
    assert kept.statement["timestamp"] == kept.statement["stored"]
    assert kept.statement["authority"] == authority
    assert kept.statement["version"] == "1.0.0"

    def voiding(n: int, target: str) -> Parsed:
        body = statement(n)
        body["verb"] = {"id": VOIDED}
        body["object"] = {"objectType": "StatementRef", "id": target}
        return Parsed(body)

    # The target applied to the engine is voided there first; unknown targets and voiding
    # statements are not voided; a repeated voiding changes nothing.
    keeper.keep("t", [voiding(3, sid(1).upper()), voiding(4, sid(99))], {}, authority, "1.0.0")
    keeper.keep("t", [voiding(5, sid(3)), voiding(6, sid(2)), voiding(7, sid(1))], {},
                authority, "1.0.0")  # fmt: skip
    assert voids.calls == [("t", "l", "c", sid(1), f"xapi:{sid(3)}")]
    voided = {r.statement_id for r in store.scan_statements("t", 0, True, 50) if r.voided}
    assert voided == {sid(1), sid(2)}


def test_the_reader_filters_pages_to_the_end_and_follows_statement_refs(
    store: GatewayStore,
) -> None:
    keeper = StatementKeeper(store, Clock())
    authority = default_authority("t", HOME)
    for n in range(1, 13):
        keeper.keep("t", [Parsed(statement(n, "ann" if n % 2 else "bob"))], {}, authority, "1.0.0")
    ref = statement(13, "carl")
    ref["object"] = {"objectType": "StatementRef", "id": sid(2)}
    ref["verb"] = {"id": "https://example.org/verbs/commented"}
    keeper.keep("t", [Parsed(ref)], {}, authority, "1.0.0")
    store.void_statement("t", sid(4))
    reader = StatementReader(store, "t")
    bob = json.dumps({"account": {"homePage": HOME, "name": "bob"}})

    def ids(q: StatementQuery) -> list[str]:
        after, seen = 0, []
        while True:
            page = reader.page(q, after)
            seen += [r.statement_id for r in page.statements]
            if page.next_after is None:
                return seen
            after = page.next_after

    # bob answered the even ones; carl's statement targets bob's #2, so it matches too;
    # #4 is voided and never listed.
    q = parse_query({"agent": bob, "limit": "2"})
    assert ids(q) == [sid(n) for n in (13, 12, 10, 8, 6, 2)]
    q = parse_query({"agent": bob, "ascending": "true", "limit": "4"})
    assert ids(q) == [sid(n) for n in (2, 6, 8, 10, 12, 13)]
    # #13 targets #2, which is about item 2: it matches item 2, not item 0.
    item0 = parse_query({"activity": "https://tool.example/items/0"})
    assert ids(item0) == [sid(n) for n in (12, 9, 6, 3)]
    item2 = parse_query({"activity": "https://tool.example/items/2", "ascending": "true"})
    assert ids(item2) == [sid(n) for n in (2, 5, 8, 11, 13)]
    # #n was stored at 1_800_000_000 + 1.5 n: since (exclusive) #2's, until (inclusive) #5's
    window = parse_query({"since": "2027-01-15T08:00:03.000Z", "until": "2027-01-15T08:00:07.5Z"})
    assert ids(window) == [sid(5), sid(3)]  # 4 is voided
    assert reader.one(sid(4), voided=False) is None
    found = reader.one(sid(4).upper(), voided=True)
    assert found is not None and found.statement_id == sid(4)
    assert reader.one(sid(5), voided=True) is None
