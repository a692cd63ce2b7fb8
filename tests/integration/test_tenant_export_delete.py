"""Whole-tenant export and deletion (issue 16 part 6) over a real engine, the gateway's
stores (embedded SQLite, and Redis) and the shared audit trail; then every store is scanned
for the tenant and its learners. Another tenant stays whole."""

from __future__ import annotations

import json
import tarfile
import time
from pathlib import Path

import pytest
import redis

from attune.cli import main
from attune.engine.adapters.redis_store import RedisStore
from attune.engine.v1 import course_pb2, learner_pb2
from attune.gateway.grades.outbox import queue_score
from attune.gateway.lti.dynamic import mint_url
from attune.gateway.sessions import LaunchSession, learner_pseudonym
from attune.gateway.sso.principal import Principal
from attune.gateway.sso.sessions import StaffSessions
from attune.gateway.sso.settings import SsoSettings
from attune.infra.tenancy.redis_sweep import RedisSweep, tenant_patterns
from attune.infra.tenancy.scrub import scrub_key
from attune.tenancy.ops import TenantStores, delete_tenant, export_tenant
from tests.integration import test_audit_gateway
from tests.integration.test_audit_gateway import (
    ADMIN,
    ISSUER,
    Stack,
    T,
    _answer,
    _redis_mentions,
    _search,
    _sqlite_mentions,
    _staff,
)
from tests.support.courses import chain_course
from tests.support.engine_server import META_A, META_B, engine_client
from tests.support.redis_server import RedisServer

pytestmark = pytest.mark.integration
stack = test_audit_gateway.stack  # the fixture: engine, gateway stores, trail (SQLite, Redis)
OTHER = "tenant-b"


def _stores(stack: Stack) -> TenantStores:
    url = stack.gateway.settings.store_url
    files = {"engine": stack.root / "attune.db"}
    if not url:
        files["gateway"] = stack.root / "gateway.db"
    return TenantStores(files, {"gateway": url} if url else {}, url, stack.root)


def _sso_session(stack: Stack, tenant: str) -> str:
    """A staff SSO session of ``tenant``: its public id (the ``sso-session-tenant:`` index)."""
    staff = Principal(tenant=tenant, subject="sso-7", name="Grace", email="g@example.org",
                      roles=("instructor",), via="oidc:idp")  # fmt: skip
    _, signed_in = StaffSessions(stack.gateway.store, SsoSettings(), time.time).create(staff)
    return signed_in.session_id


def _populate(stack: Stack) -> list[str]:
    sub = "user-4711"
    learner = learner_pseudonym(ISSUER, sub)
    _answer(stack, learner, 3)
    _answer(stack, "lrn-second", 2)
    token, _ = _staff(stack, [learner, "lrn-second"])
    own = LaunchSession(
        tenant=T, issuer=ISSUER, client_id="c", deployment_id="d", sub=sub, learner_id=learner,
        course_id="chain", skill_ids=(), staff=False, given_name="Ada",
    )  # fmt: skip
    stack.gateway.sessions.create(own)
    queue_score(stack.gateway.store, T, ISSUER, "c", f"{ISSUER}/lineitem/1",
                {"userId": sub, "scoreGiven": 1, "scoreMaximum": 1})  # fmt: skip
    assert stack.http.get(f"/instructor/{token}/learners/{learner}").status_code == 200
    # The other tenant: engine state, a gateway value, audit records.
    stack.engine.put_course(OTHER, chain_course("chain"))
    stack.engine.record(OTHER, learner_pb2.RecordResponseRequest(
        event_id="o-1", learner_id="lrn-other", course_id="chain", item_id="a1", correct=True,
        response_time_ms=20_000))  # fmt: skip
    stack.gateway.store.put(OTHER, "kept", {"learner_id": "lrn-other"}, 3600)
    # Token -> tenant indexes in the "" namespace: an SSO session and a dynamic registration.
    sso = _sso_session(stack, T)
    dynreg = mint_url(stack.gateway.store, T, "https://gw.example").rsplit("/", 1)[1]
    assert stack.gateway.store.get("", f"dynreg:{dynreg}") == T
    return [learner, sub, "lrn-second", sso, dynreg]


def test_a_tenant_is_exported_then_deleted_from_every_store(stack: Stack, tmp_path: Path) -> None:
    needles = _populate(stack)
    other_sso = _sso_session(stack, OTHER)
    assert len(_search(stack)) >= 2
    out = tmp_path / "export"
    manifest = export_tenant(_stores(stack), T, out, time.time)
    files = manifest["files"]
    assert manifest["tenant"] == T and (out / "manifest.json").exists()
    assert files["engine/events.jsonl"]["lines"] == 5
    assert files["engine/learner_state.jsonl"]["lines"] == 2
    assert files["engine/courses.jsonl"]["lines"] == 1
    assert files["audit/records.jsonl"]["lines"] >= 2
    gateway_lines = (
        files["gateway/redis.jsonl"]["lines"]
        if stack.redis is not None
        else files["gateway/kv.jsonl"]["lines"] + files["gateway/queue_grades.jsonl"]["lines"]
    )
    assert gateway_lines >= 3  # two sessions, the roster, the grade item ...
    exported = (out / "engine/events.jsonl").read_text()
    assert needles[0] in exported and "lrn-other" not in exported and OTHER not in exported
    for line in (out / "audit/records.jsonl").read_text().splitlines():
        assert json.loads(line)["tenant"] == T
    gateway_export = "".join(p.read_text() for p in (out / "gateway").glob("*.jsonl"))
    # The index entries are the tenant's: exported (a registration token by its hash: no
    # credential leaves in an export; a staff session's id is a hash of its cookie) ...
    assert f"sso-session-tenant:{needles[3]}" in gateway_export
    assert scrub_key(f"dynreg:{needles[4]}") in gateway_export
    assert needles[4] not in gateway_export
    assert other_sso not in gateway_export

    counts = delete_tenant(_stores(stack), T, time.time, actor="operator:test")
    assert counts["engine.events"] == 5 and counts["audit.records"] >= 2

    files_ = [stack.root / n for n in ("attune.db", "gateway.db", "audit.db")]
    for needle in needles:
        leftovers = [hit for f in files_ if f.exists() for hit in _sqlite_mentions(f, needle)]
        if stack.redis is not None:
            leftovers += _redis_mentions(stack.redis, needle)
        assert leftovers == [], needle
    # The tenant's id survives only in the audit trail: its anchor, key and the final record.
    named = [hit for f in files_ if f.exists() for hit in _sqlite_mentions(f, T)]
    if stack.redis is not None:
        named += _redis_mentions(stack.redis, T)
    assert named and all(h.startswith(("audit.db:audit_", "attune:audit:")) for h in named), named
    left = _search(stack)
    assert [r["action"] for r in left] == ["tenant.delete"] and left[0]["learner_id"] == ""
    assert stack.http.get(f"/admin/tenants/{T}/audit/verify", headers=ADMIN).get_json()["ok"]
    # The other tenant is whole.
    assert stack.engine.state(OTHER, "lrn-other", "chain").responses == 1
    assert stack.gateway.store.get(OTHER, "kept") == {"learner_id": "lrn-other"}
    assert stack.gateway.store.get("", f"sso-session-tenant:{other_sso}") == OTHER
    # ... and gone (also checked as needles above).
    assert stack.gateway.store.get("", f"sso-session-tenant:{needles[3]}") is None
    assert stack.gateway.store.get("", f"dynreg:{needles[4]}") is None


async def test_the_engine_redis_store_forgets_a_tenant(redis_standalone: RedisServer) -> None:
    redis_standalone.flush()
    store = await RedisStore.open(redis_standalone.url)
    async with engine_client(None, store=store) as client:
        for meta in (META_A, META_B):
            await client.courses.PutCourse(
                course_pb2.PutCourseRequest(course=chain_course()), metadata=meta
            )
            for n in range(3):
                await client.learners.RecordResponse(
                    learner_pb2.RecordResponseRequest(
                        event_id=f"e{n}", learner_id=f"lrn-{n}-{meta[0][1][-1]}",
                        course_id="chain", item_id="a1", correct=True,
                    ),
                    metadata=meta,
                )  # fmt: skip
    raw = redis.Redis.from_url(redis_standalone.url, decode_responses=True)
    try:
        sweep = RedisSweep(raw)
        exported = list(sweep.export("tenant-a"))
        assert any(e["key"].endswith(":courses") for e in exported)
        assert sum(1 for e in exported if e["key"].endswith(":events")) == 3
        assert sweep.delete("tenant-a") >= len(exported) - 1
        for needle in ("tenant-a", "lrn-0-a", "lrn-1-a", "lrn-2-a"):
            assert _redis_mentions(raw, needle) == [], needle
        assert _redis_mentions(raw, "lrn-0-b")  # the other tenant is kept
        assert sweep.keys("tenant-b")
    finally:
        raw.close()


def test_patterns_escape_glob_characters() -> None:
    assert tenant_patterns("a*b")[0] == "attune:{t=a\\*b}:*"
    assert tenant_patterns("x:y")[2] == "attune:gw:{t=x%3Ay}:*"


def test_the_command_exports_a_tar_and_deletes_only_with_yes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import sqlite3

    db = sqlite3.connect(tmp_path / "gateway.db")
    db.execute("CREATE TABLE kv (tenant TEXT, key TEXT, value TEXT, expires_at REAL)")
    db.executemany("INSERT INTO kv VALUES (?, ?, ?, 0)",
                   [("t1", "k", '"v"'), ("t2", "k", '"w"'),
                    ("", "session-tenant:abc", '"t1"')])  # fmt: skip
    db.commit()
    db.close()
    common = ["--tenant", "t1", "--data-dir", str(tmp_path)]
    out = tmp_path / "t1.tar.gz"
    assert main(["tenant", "export", *common, "--out", str(out)]) == 0
    with tarfile.open(out) as tar:
        names = tar.getnames()
        manifest = json.load(tar.extractfile("tenant-t1/manifest.json"))  # type: ignore[arg-type]
    assert "tenant-t1/gateway/kv.jsonl" in names
    assert manifest["files"]["gateway/kv.jsonl"]["lines"] == 2  # its row and its session index
    assert main(["tenant", "delete", *common]) == 2
    assert "--yes" in capsys.readouterr().err
    assert main(["tenant", "delete", "--tenant", "", "--data-dir", str(tmp_path), "--yes"]) == 2
    assert main(["tenant", "delete", *common, "--yes"]) == 0
    rows = sqlite3.connect(tmp_path / "gateway.db").execute("SELECT tenant FROM kv").fetchall()
    assert rows == [("t2",)]
