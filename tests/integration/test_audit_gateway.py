"""The audit trail and erasure over the real thing (issue 16 parts 4 and 6): the gateway's
app over a real engine (gRPC on port 0, with the audit interceptor), both writing one audit
file. Routes and RPCs are driven, then the trail is searched: it records what it must, no
route changes it, its exports parse, it verifies. An erasure through the admin route leaves
no trace of the learner in any store: every table and column of the engine's, the gateway's
and the audit's SQLite files (and every key and value of the gateway's Redis) is scanned."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from attune.engine.v1 import learner_pb2
from attune.gateway.audit.policy import NOT_AUDITED, ROUTES
from attune.gateway.grades.outbox import queue_score
from attune.gateway.lrs.targets import LrsTarget
from attune.gateway.sessions import LaunchSession, learner_pseudonym
from attune.gateway.web.page_sessions import roster_key
from attune.gateway.xapi_store.ports import EngineRef, StoredStatement
from tests.support.audit_stack import ADMIN, ISSUER, Stack, T, gateway_over_engine
from tests.support.redis_server import RedisServer
from tests.support.store_scan import redis_mentions, sqlite_mentions

pytestmark = pytest.mark.integration
# The stack moved to tests/support/audit_stack.py and the scans to tests/support/store_scan.py;
# the old names stay for their importers.
_sqlite_mentions = sqlite_mentions
_redis_mentions = redis_mentions


@pytest.fixture(params=["sqlite", "redis"])
def stack(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Stack]:
    url = ""
    if request.param == "redis":
        server: RedisServer = request.getfixturevalue("redis_standalone")
        server.flush()
        url = server.url
    with gateway_over_engine(tmp_path, url, tenant_engine=False) as running:
        yield running


def _answer(stack: Stack, learner: str, n: int = 3) -> None:
    for k in range(n):
        stack.engine.record(
            T,
            learner_pb2.RecordResponseRequest(
                event_id=f"{learner}-{k}",
                learner_id=learner,
                course_id="chain",
                item_id="a1",
                correct=True,
                response_time_ms=20_000,
            ),
        )


def _staff(stack: Stack, roster: list[str], sub: str = "teacher-9") -> tuple[str, LaunchSession]:
    session = LaunchSession(
        tenant=T, issuer=ISSUER, client_id="c", deployment_id="d", sub=sub,
        learner_id=learner_pseudonym(ISSUER, sub), course_id="chain", skill_ids=(), staff=True,
        context_id="ctx-1",
    )  # fmt: skip
    members = [
        {"user_id": f"user-of-{lid}", "name": f"Name {lid}", "learner": True, "learner_id": lid}
        for lid in roster
    ]
    stack.gateway.store.put(T, roster_key(session), members, 3600)
    return stack.gateway.sessions.create(session), session


def _search(stack: Stack, query: str = "") -> list[dict[str, Any]]:
    reply = stack.http.get(f"/admin/tenants/{T}/audit?limit=1000&{query}", headers=ADMIN)
    assert reply.status_code == 200, reply.text
    records: list[dict[str, Any]] = reply.get_json()["records"]
    return records


def test_reads_changes_and_interventions_are_recorded_on_both_sides(stack: Stack) -> None:
    _answer(stack, "learner-1")
    token, staff = _staff(stack, ["learner-1"])
    registration = {
        "issuer": ISSUER, "client_id": "c", "auth_login_url": f"{ISSUER}/auth",
        "auth_token_url": f"{ISSUER}/token", "key_set_url": f"{ISSUER}/jwks",
    }  # fmt: skip
    put = stack.http.put(f"/admin/tenants/{T}/registrations", json=registration, headers=ADMIN)
    assert put.status_code == 200, put.text
    lrs = {"url": "https://lrs.example.edu/xapi", "auth": "none"}
    assert (
        stack.http.put(f"/admin/tenants/{T}/lrs/main", json=lrs, headers=ADMIN).status_code == 200
    )
    page = stack.http.get(f"/instructor/{token}/learners/learner-1")
    assert page.status_code == 200, page.text
    form = {"kind": "grant", "skill_id": "a", "reason": "passed the oral exam", "request_id": "r1"}
    posted = stack.http.post(f"/instructor/{token}/learners/learner-1/interventions", data=form)
    assert posted.status_code == 303, posted.text
    denied = stack.http.get(f"/instructor/{token}/learners/not-in-roster")
    assert denied.status_code == 403

    records = _search(stack)
    actions = [(r["source"], r["action"]) for r in records]
    assert ("engine", "course.put") in actions  # PutCourse over gRPC, by the partner token
    assert ("gateway", "registration.put") in actions and ("gateway", "lrs_target.put") in actions
    reg = next(r for r in records if r["action"] == "registration.put")
    assert reg["actor"] == "admin" and reg["target"] == f"{ISSUER}/c" and reg["peer"]
    reads = _search(stack, "learner_id=learner-1&action=learner.read")
    sides = {(r["source"], r["actor"]) for r in reads}
    assert ("gateway", f"lti:{staff.learner_id}") in sides  # the instructor, pseudonymous
    assert any(s == "engine" and a.startswith("partner:token-") for s, a in sides)
    values = {str(v) for r in records for v in r.values()}
    assert not any(v == "token-a" or "Bearer" in v for v in values)  # never the credential
    iv = [r for r in records if r["action"] == "intervention.learner"]
    assert iv[0]["reason"] == "passed the oral exam" and iv[0]["learner_id"] == "learner-1"
    assert any(r["action"] == "intervention.record" and r["source"] == "engine" for r in records)
    refused = [r for r in records if r["outcome"] == "denied"]
    assert [r["learner_id"] for r in refused] == ["not-in-roster"]
    seqs = [r["seq"] for r in records]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    verdict = stack.http.get(f"/admin/tenants/{T}/audit/verify", headers=ADMIN).get_json()
    assert verdict["ok"] and verdict["checked"] >= len(records)


def test_the_trail_is_exported_paged_and_cannot_be_changed_through_any_route(
    stack: Stack,
) -> None:
    _answer(stack, "learner-2")
    for _ in range(3):
        stack.http.get(f"/admin/tenants/{T}/courses/chain/class-report", headers=ADMIN)
    everything = _search(stack)
    first = stack.http.get(f"/admin/tenants/{T}/audit?limit=2", headers=ADMIN).get_json()
    assert len(first["records"]) == 2 and first["next_after"] == first["records"][-1]["seq"]
    rest = _search(stack, f"after={first['next_after']}")
    assert first["records"] == everything[:2] and rest[: len(everything) - 2] == everything[2:]
    lines = stack.http.get(f"/admin/tenants/{T}/audit.jsonl", headers=ADMIN)
    parsed = [json.loads(line) for line in lines.text.splitlines()]
    assert lines.mimetype == "application/x-ndjson" and len(parsed) >= len(everything)
    assert parsed[: len(everything)] == everything
    table = stack.http.get(f"/admin/tenants/{T}/audit.csv?action=class.read", headers=ADMIN)
    rows = list(csv.DictReader(io.StringIO(table.text)))
    assert rows and {r["action"] for r in rows} == {"class.read"}
    # No route writes to the trail: every other method is refused, and nothing changed.
    before = _search(stack)
    for method in ("PUT", "POST", "PATCH", "DELETE"):
        for path in ("audit", "audit.jsonl", "audit.csv", "audit/verify"):
            reply = stack.http.open(f"/admin/tenants/{T}/{path}", method=method, headers=ADMIN)
            assert reply.status_code == 405, (method, path)
    after = _search(stack)
    assert after[: len(before)] == before  # only records of the reads themselves were added
    assert {r["action"] for r in after[len(before) :]} <= {"audit.read"}
    # Bad filters are a 400 naming the field; no credential is a 401.
    bad = stack.http.get(f"/admin/tenants/{T}/audit?since=yesterday", headers=ADMIN)
    assert bad.status_code == 400 and "since" in bad.get_json()["reason"]
    odd = stack.http.get(f"/admin/tenants/{T}/audit?colour=red", headers=ADMIN)
    assert odd.status_code == 400 and "colour" in odd.get_json()["reason"]
    assert stack.http.get(f"/admin/tenants/{T}/audit").status_code == 401


def test_every_route_of_the_app_is_classified(stack: Stack) -> None:
    routes = {
        (method, rule.rule)
        for rule in stack.app.url_map.iter_rules()
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}
    }
    assert routes - set(ROUTES) - NOT_AUDITED == set()
    assert (set(ROUTES) | NOT_AUDITED) - routes == set()  # no stale entries


def test_an_erasure_leaves_no_trace_in_any_store(stack: Stack) -> None:
    sub = "user-4711"
    learner = learner_pseudonym(ISSUER, sub)
    _answer(stack, learner, 4)
    _answer(stack, "someone-else", 2)
    token, _ = _staff(stack, [learner, "someone-else"])
    own = LaunchSession(
        tenant=T, issuer=ISSUER, client_id="c", deployment_id="d", sub=sub, learner_id=learner,
        course_id="chain", skill_ids=(), staff=False, given_name="Ada",
    )  # fmt: skip
    stack.gateway.sessions.create(own)
    queue_score(stack.gateway.store, T, ISSUER, "c", f"{ISSUER}/lineitem/1",
                {"userId": sub, "scoreGiven": 1, "scoreMaximum": 1})  # fmt: skip
    target = LrsTarget(tenant=T, name="main", url="https://lrs.example.edu/xapi", auth="none",
                       home_page="http://gw.test", activity_base="http://gw.test/xapi")  # fmt: skip
    stack.gateway.statements.put_target(target)
    assert stack.gateway.relay.feed(target) > 0
    # Statements other tools sent, kept for GET /xapi/statements: two are the learner's
    # (an account on our home page; an answer applied to the learner), one someone else's.
    verb = {"id": "http://adlnet.gov/expapi/verbs/answered"}
    ours = {"account": {"homePage": "http://gw.test", "name": learner}}
    other = {"mbox": "mailto:someone@example.edu"}
    for n, (actor, engine) in enumerate(
        [(ours, None), (other, EngineRef(learner, "chain", "e1")), (other, None)]
    ):
        statement = {"id": f"00000000-0000-4000-8000-00000000000{n}", "actor": actor,
                     "verb": verb, "object": {"id": "http://gw.test/xapi/items/a1"}}  # fmt: skip
        record = StoredStatement(statement["id"], 1_800_000_000.0, statement, engine=engine)
        assert stack.gateway.store.add_statement(T, record)
    form = {"kind": "grant", "skill_id": "a", "reason": "oral exam", "request_id": "r2"}
    assert stack.http.post(f"/instructor/{token}/learners/{learner}/interventions", data=form)
    assert stack.http.get(f"/instructor/{token}/learners/{learner}").status_code == 200
    before = _search(stack, f"learner_id={learner}")
    assert len(before) >= 3, _search(stack)

    reply = stack.http.delete(f"/admin/tenants/{T}/learners/{learner}", headers=ADMIN)
    assert reply.status_code == 200, reply.text
    body = reply.get_json()
    counts = body["stores"]
    assert counts["engine_courses"] == 1 and counts["engine_events"] == 4
    assert counts["gateway_values"] >= 2  # the learner's session and the roster naming them
    assert counts["grade_items"] == 1 and counts["statement_items"] >= 4
    assert counts["audit_records_pseudonymised"] >= 3
    assert counts["xapi_statements"] == 2
    kept = stack.gateway.store.scan_statements(T, 0, True, 10)
    assert [r.statement_id for r in kept] == ["00000000-0000-4000-8000-000000000002"]
    assert body["lrs"]["voiding_statements"] is False

    for needle in (learner, sub):
        files = [stack.root / n for n in ("attune.db", "gateway.db", "audit.db")]
        leftovers = [hit for f in files if f.exists() for hit in sqlite_mentions(f, needle)]
        if stack.redis is not None:
            leftovers += redis_mentions(stack.redis, needle)
        assert leftovers == [], needle
    # The others are untouched, the trail still verifies, and still knows what happened.
    assert stack.engine.state(T, "someone-else", "chain").responses == 2
    after = _search(stack, f"learner_id={learner}")
    # The erasure itself on both sides, and the engine's record of the acknowledgement of
    # its pending erasure (the route acknowledges it once the gateway's stores are done).
    assert len(after) == len(before) + 3
    assert sum(r["action"] == "erasure.acknowledge" for r in after) == 1
    assert {r["learner_id"] for r in after} == {""}
    assert {r["learner_ref"] for r in after} == {before[0]["learner_ref"]}
    assert stack.http.get(f"/admin/tenants/{T}/audit/verify", headers=ADMIN).get_json()["ok"]
    again = stack.http.delete(f"/admin/tenants/{T}/learners/{learner}", headers=ADMIN)
    assert again.status_code == 200 and again.get_json()["stores"]["engine_events"] == 0
