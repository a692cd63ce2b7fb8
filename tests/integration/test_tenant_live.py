"""Whole-tenant export and delete on the live system (issue 16): a real engine (gRPC on port
0, its TenantService over the embedded store or a real Redis) and the gateway's app in front
of it, on the matching store. The export is taken while both serve; the delete goes through
the engine (which drops its caches) and the gateway; then every store is scanned for the
tenant's learners, and the engine's and gateway's caches are checked empty for the tenant."""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import tarfile
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest

from attune.engine.v1 import learner_pb2, tenants_pb2, tenants_pb2_grpc
from attune.gateway.errors import EngineCallError
from tests.integration.test_audit_gateway import (
    ADMIN,
    T,
    _redis_mentions,
    _search,
    _sqlite_mentions,
)
from tests.integration.test_tenant_export_delete import OTHER, _populate
from tests.support.courses import chain_course
from tests.support.redis_server import RedisServer
from tests.support.tenant_stack import Live, live_stack

pytestmark = pytest.mark.integration


@pytest.fixture(params=["sqlite", "redis"])
def live(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Live]:
    url = ""
    if request.param == "redis":
        server: RedisServer = request.getfixturevalue("redis_standalone")
        server.flush()
        url = server.url
    with live_stack(tmp_path, url) as stack:
        yield stack


def _members(data: bytes) -> dict[str, bytes]:
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        return {
            m.name.split("/", 1)[1]: tar.extractfile(m).read()  # type: ignore[union-attr]
            for m in tar.getmembers()
            if m.isfile()
        }


def _state_code(live: Live, learner: str) -> str:
    try:
        live.engine.state(T, learner, "chain")
    except EngineCallError as exc:
        return exc.code
    return "OK"


def test_a_live_tenant_is_exported_then_deleted_everywhere(live: Live) -> None:
    needles = _populate(live)
    learner = needles[0]
    # Warm the caches the delete must drop: the engine's (states, course, item statistics,
    # class report) and the gateway's (its courses).
    assert _state_code(live, learner) == "OK"
    report = live.http.get(f"/admin/tenants/{T}/courses/chain/class-report", headers=ADMIN)
    assert report.status_code == 200, report.text
    live.gateway.courses.get(T, "chain")

    exported = live.http.get(f"/admin/tenants/{T}/export", headers=ADMIN)
    assert exported.status_code == 200, exported.text
    assert exported.mimetype == "application/gzip"
    files = _members(exported.data)
    manifest = json.loads(files.pop("manifest.json"))
    assert manifest["format"] == "attune-tenant-export/1" and manifest["tenant"] == T
    assert set(manifest["files"]) == set(files)
    for name, data in files.items():  # the manifest describes every file exactly
        entry = manifest["files"][name]
        assert entry["sha256"] == hashlib.sha256(data).hexdigest(), name
        assert entry["lines"] == data.count(b"\n"), name
    engine_files = b"".join(v for k, v in files.items() if k.startswith("engine/"))
    assert learner.encode() in engine_files and b"lrn-other" not in engine_files
    if live.redis is None:
        assert manifest["files"]["engine/events.jsonl"]["lines"] == 5
        assert manifest["files"]["engine/learner_state.jsonl"]["lines"] == 2
        assert manifest["files"]["engine/quota_learners.jsonl"]["lines"] == 2
    else:
        assert sum(1 for line in files["engine/redis.jsonl"].splitlines()
                   if json.loads(line)["key"].endswith(":events")) == 2  # fmt: skip
    assert any(k.startswith("gateway/") for k in files)
    assert manifest["files"]["audit/records.jsonl"]["lines"] >= 2

    # Refused, nothing changed: no confirmation, a wrong one.
    for body in (None, {}, {"confirm_tenant": OTHER}, {"confirm_tenant": [T]}):
        refused = live.http.post(f"/admin/tenants/{T}/delete", json=body, headers=ADMIN)
        assert refused.status_code == 400, refused.text
        assert "confirm_tenant" in refused.get_json()["reason"]
    assert _state_code(live, learner) == "OK"

    deleted = live.http.post(f"/admin/tenants/{T}/delete", json={"confirm_tenant": T},
                             headers=ADMIN)  # fmt: skip
    assert deleted.status_code == 200, deleted.text
    counts = deleted.get_json()["deleted"]
    engine_key = "engine.redis_keys" if live.redis is not None else "engine.events"
    assert counts[engine_key] >= 2 and counts["audit.records"] >= 2
    assert any(k.startswith("gateway.") for k in counts)

    # Every store scanned: no learner, no session token, no platform user id is left.
    dbs = [live.root / n for n in ("attune.db", "gateway.db", "audit.db")]
    for needle in needles:
        leftovers = [hit for f in dbs if f.exists() for hit in _sqlite_mentions(f, needle)]
        if live.redis is not None:
            leftovers += _redis_mentions(live.redis, needle)
        assert leftovers == [], needle
    named = [hit for f in dbs if f.exists() for hit in _sqlite_mentions(f, T)]
    if live.redis is not None:
        named += _redis_mentions(live.redis, T)
    assert all(h.startswith(("audit.db:audit_", "attune:audit:")) for h in named), named
    trail = _search(live)
    assert [r["action"] for r in trail] == ["tenant.delete"] and trail[0]["actor"] == "admin"

    # The engine's caches are empty for the tenant: reads find nothing ...
    assert _state_code(live, learner) == "NOT_FOUND"
    with pytest.raises(EngineCallError) as err:
        live.engine.get_course(T, "chain")
    assert err.value.code == "NOT_FOUND"
    engine = live.running.engine
    assert engine.items._tables.drop(lambda k: k[0] == T) == 0
    assert engine.classes._classes.drop(lambda k: k[0] == T) == 0
    # ... and a new response starts afresh.
    live.engine.put_course(T, chain_course("chain"))
    reply = live.engine.record(T, learner_pb2.RecordResponseRequest(
        event_id=f"{learner}-0", learner_id=learner, course_id="chain", item_id="a1",
        correct=True, response_time_ms=20_000))  # fmt: skip
    assert reply.sequence == 1 and not reply.duplicate  # the old event id is unknown now
    assert live.engine.state(T, learner, "chain").responses == 1
    assert live.engine.list_events(T, 0).events[-1].response.event_id == f"{learner}-0"
    assert len(live.engine.list_events(T, 0).events) == 1
    # The other tenant is whole.
    assert live.engine.state(OTHER, "lrn-other", "chain").responses == 1
    assert live.gateway.store.get(OTHER, "kept") == {"learner_id": "lrn-other"}


def test_a_repeated_delete_answers_the_same_and_changes_nothing(live: Live) -> None:
    _populate(live)
    url, body = f"/admin/tenants/{T}/delete", {"confirm_tenant": T}
    first = live.http.post(url, json=body, headers=ADMIN)
    assert first.status_code == 200, first.text
    trail = _search(live)
    assert [r["action"] for r in trail] == ["tenant.delete"]
    again = live.http.post(url, json=body, headers=ADMIN)
    assert again.status_code == 200 and again.get_json() == first.get_json()
    # No new record and nothing pruned (only the trail's read by _search was added).
    after = _search(live)
    assert [r for r in after if r["action"] != "audit.read"] == trail
    assert [r["action"] for r in after] == ["tenant.delete", "audit.read"]


def test_only_the_admin_token_deletes_and_unknown_tenants_are_refused(live: Live) -> None:
    body = {"confirm_tenant": T}
    assert live.http.post(f"/admin/tenants/{T}/delete", json=body).status_code == 401
    wrong = {"Authorization": "Bearer not-the-admin"}
    assert live.http.post(f"/admin/tenants/{T}/delete", json=body, headers=wrong).status_code in (
        401,
        403,
    )
    unknown = live.http.post(
        "/admin/tenants/nobody/delete", json={"confirm_tenant": "nobody"}, headers=ADMIN
    )
    assert unknown.status_code == 404, unknown.text
    assert live.http.get("/admin/tenants/nobody/export", headers=ADMIN).status_code == 404


def test_a_tenant_being_deleted_is_refused_by_both_deployables(live: Live) -> None:
    # The gateway: a request of the tenant while its gate is closed gets 409, nothing done.
    with live.gateway.tenant_gate.closed(T, "deleted"):
        busy = live.http.get(f"/admin/tenants/{T}/registrations", headers=ADMIN)
        assert busy.status_code == 409 and "being deleted" in busy.get_json()["reason"]
        assert live.http.get(f"/admin/tenants/{OTHER}/registrations",
                             headers=ADMIN).status_code == 200  # fmt: skip
    assert live.http.get(f"/admin/tenants/{T}/registrations", headers=ADMIN).status_code == 200

    # The engine: its calls are refused UNAVAILABLE while the gate is closed.
    engine = live.running.engine
    closing = asyncio.Event()
    release = asyncio.Event()

    async def hold() -> None:
        async with engine.gate.closed(T, "deleted"):
            closing.set()
            await release.wait()

    held = asyncio.run_coroutine_threadsafe(hold(), live.loop)
    live.on_engine(closing.wait())
    try:
        with pytest.raises(EngineCallError) as err:
            live.engine.record(T, learner_pb2.RecordResponseRequest(
                event_id="e-busy", learner_id="lrn-busy", course_id="chain", item_id="a1",
                correct=True, response_time_ms=20_000))  # fmt: skip
        assert err.value.code == "UNAVAILABLE"
    finally:
        live.loop.call_soon_threadsafe(release.set)
        held.result(timeout=10)
    assert _state_code(live, "lrn-busy") == "NOT_FOUND"  # the refused call stored nothing


def test_the_engine_refuses_a_delete_naming_another_tenant(live: Live) -> None:
    channel = grpc.insecure_channel(f"127.0.0.1:{live.running.port}")
    try:
        stub = tenants_pb2_grpc.TenantServiceStub(channel)
        meta = (("authorization", "Bearer token-a"),)
        with pytest.raises(grpc.RpcError) as err:
            stub.DeleteTenant(tenants_pb2.DeleteTenantRequest(confirm_tenant=OTHER),
                              metadata=meta)  # fmt: skip
        assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert "confirm_tenant" in (err.value.details() or "")
        with pytest.raises(grpc.RpcError) as err:
            stub.DeleteTenant(tenants_pb2.DeleteTenantRequest(), metadata=meta)
        assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    finally:
        channel.close()
    assert live.engine.get_course(T, "chain").course_id == "chain"  # nothing was deleted


def test_an_lti_launch_of_a_tenant_being_deleted_is_refused(live: Live) -> None:
    import jwt

    issuer = "https://lms.example.edu"
    registration = {
        "issuer": issuer, "client_id": "c", "auth_login_url": f"{issuer}/auth",
        "auth_token_url": f"{issuer}/token", "key_set_url": f"{issuer}/jwks",
    }  # fmt: skip
    put = live.http.put(f"/admin/tenants/{T}/registrations", json=registration, headers=ADMIN)
    assert put.status_code == 200, put.text
    # Its tenant is known only from the registration: the gate holds it from there on.
    key = "not-the-platform-key-but-long-enough-32"
    token = jwt.encode({"iss": issuer, "aud": "c"}, key, algorithm="HS256")
    with live.gateway.tenant_gate.closed(T, "deleted"):
        busy = live.http.post("/lti/launch", data={"id_token": token, "state": "s"})
        assert busy.status_code == 409, busy.text
    after = live.http.post("/lti/launch", data={"id_token": token, "state": "s"})
    assert after.status_code not in (409, 500), after.text  # refused for its signature only


def test_the_statement_relay_skips_a_tenant_being_deleted(live: Live) -> None:
    _populate(live)
    lrs = {"url": "http://127.0.0.1:9/xapi", "auth": "none"}  # nothing listens: never sent
    put = live.http.put(f"/admin/tenants/{T}/lrs/main", json=lrs, headers=ADMIN)
    assert put.status_code == 200, put.text
    (target,) = [t for t in live.gateway.statements.targets(T) if t.name == "main"]
    relay = live.gateway.relay
    with live.gateway.tenant_gate.closed(T, "deleted"):
        assert relay.run_once() == 0
        assert live.gateway.statements.cursor(target.key) == 0  # nothing read, nothing queued
    relay.run_once()
    assert live.gateway.statements.cursor(target.key) > 0  # open again: fed
