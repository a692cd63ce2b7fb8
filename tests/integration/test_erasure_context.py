"""A partner's DeleteLearner reaches the gateway's stores (gateway/audit/propagation.py): the
learner is matched by what names a person, never by a record's context. A partner chooses
its learner ids, so one may equal the tenant's id or a course id; erasing it must leave the
other learners' sessions and the staff sessions alone. Real engine and gateway, SQLite and
Redis (the fixture of test_tenant_live.py)."""

from __future__ import annotations

import pytest

from attune.engine.v1 import learner_pb2
from attune.gateway.audit.erasure import mentions
from attune.gateway.audit.propagation import ErasurePropagation
from tests.integration import test_tenant_live as base
from tests.integration.test_audit_gateway import T
from tests.integration.test_tenant_export_delete import _populate
from tests.support.tenant_stack import Live

pytestmark = pytest.mark.integration
live = base.live  # the fixture: the live stack on SQLite and on Redis


def _kv_keys(live: Live) -> set[str]:
    """The tenant's key/value keys, less the poller's own claims on erasures (``erasure-claim:
    <erasure id>``, which name no learner and expire)."""
    if live.redis is not None:
        keys = {k for k in live.redis.scan_iter("*:kv:*") if T in k}
    else:
        import sqlite3

        db = sqlite3.connect(live.root / "gateway.db")
        try:
            keys = {str(r[0]) for r in db.execute("SELECT key FROM kv WHERE tenant = ?", (T,))}
        finally:
            db.close()
    return {k for k in keys if "erasure-claim:" not in k}


def test_a_learner_named_like_the_tenant_or_a_course_erases_no_one_else(live: Live) -> None:
    learner = _populate(live)[0]
    before = _kv_keys(live)
    assert any("session:" in k for k in before)
    for n, name in enumerate((T, "chain")):
        live.engine.record(T, learner_pb2.RecordResponseRequest(
            event_id=f"named-{n}", learner_id=name, course_id="chain", item_id="a1",
            correct=True, response_time_ms=20_000))  # fmt: skip
        live.engine.delete_learner(T, name)
    worker = ErasurePropagation(live.gateway, lambda: None, [T], 60.0)
    assert worker.run_once() == 2
    assert _kv_keys(live) == before  # every session and staff session is still there
    # The real learner is still erased everywhere it is named.
    live.engine.delete_learner(T, learner)
    assert worker.run_once() == 1
    gone = before - _kv_keys(live)
    assert gone and all("sso-session" not in k for k in gone)


def test_context_fields_never_name_a_learner() -> None:
    record = {"tenant": "t", "course_id": "c", "item_id": "i", "learner_id": "ada"}
    assert mentions(record, "ada")
    for context in ("t", "c", "i"):
        assert not mentions(record, context)
    assert mentions({"note": "about t"}, "t")  # elsewhere a whole word still matches
