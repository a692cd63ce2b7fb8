"""The audit trail's stores (issue 16 part 4), SQLite and a real redis-server alike: the
hash chain verifies and detects a direct edit, a removal and a reordering; search and paging;
erasure blanks the learner id and keeps the chain verifiable; retention prunes a prefix with
an injected clock and the chain still verifies from its anchor; concurrent writers share one
chain; exports; the SQLite triggers refuse updates and deletes; log pseudonyms."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
import structlog

from attune.infra.audit import AuditLog, AuditQuery, AuditTrail, learner_ref, verify
from attune.infra.audit.export import csv_rows, jsonl
from attune.infra.audit.logs import LogPseudonymiser
from attune.infra.audit.redis import RedisAuditLog
from attune.infra.audit.sqlite import SqliteAuditLog
from tests.support.redis_server import RedisServer

pytestmark = pytest.mark.integration
DAY = 86400.0


@pytest.fixture(params=["sqlite", "redis"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[AuditLog, str, Any]]:
    log: AuditLog
    if request.param == "sqlite":
        log = SqliteAuditLog(tmp_path / "audit.db")
        yield log, "sqlite", tmp_path / "audit.db"
    else:
        server: RedisServer = request.getfixturevalue("redis_standalone")
        server.flush()
        client = _decoded(server)
        log = RedisAuditLog(_decoded(server))
        yield log, "redis", client
        client.close()
    log.close()


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def _fill(trail: AuditTrail, clock: Clock, n: int, tenant: str = "t") -> None:
    for i in range(n):
        trail.record(
            tenant=tenant,
            actor="admin" if i % 2 else "lti:staff-1",
            action="learner.read" if i % 3 else "registration.put",
            learner_id=f"learner-{i % 2}",
            reason=f"why {i}",
            details={"i": i},
        )
        clock.now += DAY


def test_a_chain_verifies_and_search_filters_and_pages(store: tuple[AuditLog, str, Any]) -> None:
    log, _, _ = store
    clock = Clock()
    trail = AuditTrail(log, clock=clock)
    _fill(trail, clock, 10)
    _fill(trail, clock, 3, tenant="other")
    verdict = verify(log, "t")
    assert verdict.ok and verdict.checked == 10 and (verdict.first_seq, verdict.last_seq) == (1, 10)
    assert [r.seq for r in log.records("other")] == [1, 2, 3]  # a sequence per tenant
    by_actor = log.search(AuditQuery("t", actor="admin"))
    assert [r.seq for r in by_actor] == [2, 4, 6, 8, 10]
    by_learner = log.search(AuditQuery("t", learner_id="learner-0"))
    assert [r.seq for r in by_learner] == [1, 3, 5, 7, 9]
    assert {r.learner_id for r in by_learner} == {"learner-0"}
    prefix = log.search(AuditQuery("t", action="learner."))
    assert all(r.action == "learner.read" for r in prefix) and len(prefix) == 6
    start = 1_800_000_000.0
    window = log.search(AuditQuery("t", since=start + 2 * DAY, until=start + 5 * DAY))
    assert [r.seq for r in window] == [3, 4, 5]
    page1 = log.search(AuditQuery("t", limit=4))
    page2 = log.search(AuditQuery("t", limit=4, after_seq=page1[-1].seq))
    assert [r.seq for r in page1 + page2] == list(range(1, 9))
    assert page2[0].prev_hash == page1[-1].hash


def test_erasure_blanks_the_learner_and_the_chain_still_verifies(
    store: tuple[AuditLog, str, Any],
) -> None:
    log, _, _ = store
    clock = Clock()
    trail = AuditTrail(log, clock=clock)
    _fill(trail, clock, 6)
    ref = learner_ref(log.tenant_key("t"), "learner-1")
    assert log.erase_learner("t", "learner-1") == 3
    assert log.erase_learner("t", "learner-1") == 0  # idempotent
    kept = log.records("t")
    assert all(r.learner_id == "" for r in kept if r.learner_ref == ref)
    assert {r.learner_id for r in kept if r.learner_ref != ref} == {"learner-0"}
    assert verify(log, "t").ok
    # Still searchable by the id (the ref is recomputed), and no record carries it.
    assert len(log.search(AuditQuery("t", learner_id="learner-1"))) == 3
    assert "learner-1" not in "".join(jsonl(log.records("t")))


def test_retention_prunes_a_prefix_and_the_rest_verifies_from_its_anchor(
    store: tuple[AuditLog, str, Any],
) -> None:
    log, _, _ = store
    clock = Clock()
    trail = AuditTrail(log, retention_days=5, clock=clock)
    _fill(trail, clock, 10)  # one per day; now is day 10
    assert trail.prune() == {"t": 5}  # days 0-4 are older than 5 days
    assert [r.seq for r in log.records("t")] == [6, 7, 8, 9, 10]
    anchor = log.anchor("t")
    assert anchor.seq == 5 and log.records("t")[0].prev_hash == anchor.hash
    verdict = verify(log, "t")
    assert verdict.ok and verdict.first_seq == 6 and verdict.checked == 5
    assert trail.prune() == {}
    record = trail.record(tenant="t", actor="admin", action="keys.rotate")
    assert record.seq == 11 and verify(log, "t").ok


def _edit(kind: str, where: Any, seq: int, change: dict[str, Any]) -> None:
    if kind == "sqlite":
        db = sqlite3.connect(where)
        db.execute("DROP TRIGGER audit_append_only")
        for column, value in change.items():
            db.execute(f"UPDATE audit_records SET {column} = ? WHERE seq = ?", (value, seq))
        db.commit()
        db.close()
    else:
        key = "attune:audit:{t=t}:records"
        body = json.loads(where.hget(key, seq))
        where.hset(key, seq, json.dumps({**body, **change}))


def test_a_direct_edit_of_the_store_is_detected(store: tuple[AuditLog, str, Any]) -> None:
    log, kind, where = store
    clock = Clock()
    _fill(AuditTrail(log, clock=clock), clock, 5)
    _edit(kind, where, 3, {"actor": "someone-else"})
    verdict = verify(log, "t")
    assert not verdict.ok and verdict.problems == ("seq 3: its content does not match its hash",)


def test_a_removed_record_is_detected(store: tuple[AuditLog, str, Any]) -> None:
    log, kind, where = store
    clock = Clock()
    _fill(AuditTrail(log, clock=clock), clock, 5)
    if kind == "sqlite":
        db = sqlite3.connect(where)
        db.execute("DROP TRIGGER audit_no_delete")
        db.execute("DELETE FROM audit_records WHERE seq = 3")
        db.commit()
        db.close()
    else:
        where.hdel("attune:audit:{t=t}:records", 3)
    verdict = verify(log, "t")
    assert not verdict.ok
    assert any("seq 4" in p for p in verdict.problems)


def test_a_swapped_learner_id_is_detected(store: tuple[AuditLog, str, Any]) -> None:
    log, kind, where = store
    clock = Clock()
    _fill(AuditTrail(log, clock=clock), clock, 4)
    if kind == "sqlite":
        _edit(kind, where, 2, {"learner_id": "learner-0"})
    else:
        where.hset("attune:audit:{t=t}:plain", 2, "learner-0")
    assert verify(log, "t").problems == ("seq 2: its learner id does not match its ref",)


def test_sqlite_refuses_updates_and_deletes_outside_the_port(tmp_path: Path) -> None:
    log = SqliteAuditLog(tmp_path / "audit.db")
    clock = Clock()
    _fill(AuditTrail(log, clock=clock), clock, 3)
    db = sqlite3.connect(tmp_path / "audit.db")
    for sql in (
        "UPDATE audit_records SET action = 'x' WHERE seq = 1",
        "UPDATE audit_records SET learner_id = 'someone' WHERE seq = 1",
        "DELETE FROM audit_records WHERE seq = 3",
    ):
        with pytest.raises(sqlite3.IntegrityError):
            db.execute(sql)
    db.close()
    assert verify(log, "t").ok and len(log.records("t")) == 3
    log.close()


def test_concurrent_writers_share_one_chain(
    store: tuple[AuditLog, str, Any], tmp_path: Path
) -> None:
    log, kind, where = store
    # A second writer on its own connection, as the engine beside the gateway.
    other: AuditLog = (
        SqliteAuditLog(where) if kind == "sqlite" else RedisAuditLog(_client_like(where))
    )
    errors: list[BaseException] = []

    def write(target: AuditLog, who: str) -> None:
        try:
            for i in range(25):
                AuditTrail(target).record(
                    tenant="t", actor=who, action="learner.read", target=str(i)
                )
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(t, w)) for t, w in ((log, "a"), (other, "b"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    verdict = verify(log, "t")
    assert verdict.ok and verdict.checked == 50
    other.close()


def _client_like(client: Any) -> Any:
    kwargs = client.connection_pool.connection_kwargs
    return redis.Redis(host=kwargs["host"], port=kwargs["port"], decode_responses=True)


def _decoded(server: RedisServer) -> Any:
    return redis.Redis.from_url(server.url, decode_responses=True)


def test_exports_carry_every_field() -> None:
    from attune.infra.audit.record import AuditEntry, seal

    record = seal(
        AuditEntry("t", 1.5, "admin", "learner.read", learner_id="x", reason="=SUM(A1)"),
        1,
        "0" * 64,
        b"k",
    )
    line = json.loads(next(iter(jsonl([record]))))
    assert line == record.to_json()
    rows = list(csv.DictReader(io.StringIO("".join(csv_rows([record])))))
    assert rows[0]["hash"] == record.hash and rows[0]["learner_id"] == "x"
    assert rows[0]["reason"] == "'=SUM(A1)"  # not run as a formula by a spreadsheet


def test_log_lines_carry_learner_pseudonyms_only() -> None:
    processor = LogPseudonymiser(b"key")
    with structlog.testing.capture_logs(processors=[processor]) as lines:
        structlog.get_logger().info("x", tenant="t", learner_id="alice@example.edu", sub="42")
    assert "alice@example.edu" not in json.dumps(lines)
    assert lines[0]["learner_id"] == processor.pseudonym("t", "alice@example.edu")
    assert lines[0]["learner_id"] != LogPseudonymiser(b"key").pseudonym("u", "alice@example.edu")


def test_the_command_verifies_prunes_and_exports(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from attune.infra.audit.cli import main

    log = SqliteAuditLog(tmp_path / "audit.db")
    clock = Clock()
    clock.now = 1_000_000.0  # long ago: everything is past a 7-year retention
    _fill(AuditTrail(log, clock=clock), clock, 4)
    base = ["--data-dir", str(tmp_path)]
    assert main([*base, "export", "--tenant", "t"]) == 0
    exported = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["seq"] for r in exported] == [1, 2, 3, 4]
    assert main([*base, "verify"]) == 0
    assert json.loads(capsys.readouterr().out)["ok"] is True
    assert main([*base, "prune"]) == 0
    assert json.loads(capsys.readouterr().out) == {"t": 4}
    assert main([*base, "verify", "--tenant", "t"]) == 0
    AuditTrail(log, clock=clock).record(tenant="t", actor="admin", action="keys.rotate")
    db = sqlite3.connect(
        tmp_path / "audit.db"
    )  # move the anchor: the kept record no longer follows
    db.execute("UPDATE audit_meta SET anchor_hash = ? WHERE tenant = 't'", ("f" * 64,))
    db.commit()
    db.close()
    capsys.readouterr()
    assert main([*base, "verify", "--tenant", "t"]) == 1
    assert "does not follow" in capsys.readouterr().out
    log.close()
