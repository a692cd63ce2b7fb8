"""Guards of the live whole-tenant routes (issue 16, the review after the merge): the tenants
a jwt-mode gateway serves, no credential in an export, no export while the tenant is deleted.
Real engine (gRPC on port 0) and the gateway's app, on the embedded stores and a real Redis
(the fixture of test_tenant_live.py)."""

from __future__ import annotations

import sqlite3

import pytest

from tests.integration import test_tenant_live as base
from tests.integration.test_audit_gateway import ADMIN, T
from tests.integration.test_tenant_export_delete import _populate
from tests.support.tenant_stack import Live

pytestmark = pytest.mark.integration
live = base.live  # the fixture: the live stack on SQLite and on Redis
_members = base._members


def test_the_routes_serve_the_tenants_of_a_jwt_gateway(live: Live) -> None:
    # engine_auth=jwt with ENGINE_TENANTS: the tenants served are those, not the keys of the
    # (default, unused) static engine_tokens.
    live.gateway.settings = live.gateway.settings.model_copy(
        update={"engine_auth": "jwt", "engine_tenants": [T], "engine_tokens": {"default": "x"}}
    )
    exported = live.http.get(f"/admin/tenants/{T}/export", headers=ADMIN)
    assert exported.status_code == 200, exported.text
    assert any(name.startswith("engine/") for name in _members(exported.data))
    other = live.http.get("/admin/tenants/default/export", headers=ADMIN)
    assert other.status_code == 404, other.text
    deleted = live.http.post(
        f"/admin/tenants/{T}/delete", json={"confirm_tenant": T}, headers=ADMIN
    )
    assert deleted.status_code == 200, deleted.text
    refused = live.http.post(
        "/admin/tenants/default/delete", json={"confirm_tenant": "default"}, headers=ADMIN
    )
    assert refused.status_code == 404, refused.text


def test_an_export_carries_no_credentials(live: Live) -> None:
    # A tenant administrator may export: the export must not hand over the LRS password or
    # the learners' live session tokens (the admin API masks the one, never shows the other).
    _populate(live)
    lrs = {"url": "https://lrs.example/xapi", "username": "u", "password": "LRS-PASSWORD-XYZ"}
    assert live.http.put(f"/admin/tenants/{T}/lrs/main", json=lrs,
                         headers=ADMIN).status_code == 200  # fmt: skip
    tokens = [k.removeprefix("session:") for k in _session_keys(live)]
    assert tokens, "the populated tenant has page sessions"
    exported = live.http.get(f"/admin/tenants/{T}/export", headers=ADMIN)
    assert exported.status_code == 200, exported.text
    members = _members(exported.data)
    everything = b"".join(members.values())
    assert b"LRS-PASSWORD-XYZ" not in everything
    for token in tokens:
        assert token.encode() not in everything
    assert b"https://lrs.example/xapi" in everything  # the target itself is exported
    assert b"session:sha256-" in everything  # the sessions too, by their token's hash


def _session_keys(live: Live) -> list[str]:
    if live.redis is not None:
        return [k.split(":kv:", 1)[1] for k in live.redis.scan_iter(f"*{T}*:kv:session:*")]
    db = sqlite3.connect(live.root / "gateway.db")
    try:
        rows = db.execute("SELECT key FROM kv WHERE tenant = ? AND key LIKE 'session:%'", (T,))
        return [str(r[0]) for r in rows]
    finally:
        db.close()


def test_an_export_is_refused_while_the_tenant_is_deleted(live: Live) -> None:
    # Otherwise it could read the engine emptied and the gateway half swept.
    with live.gateway.tenant_gate.closed(T, "deleted"):
        busy = live.http.get(f"/admin/tenants/{T}/export", headers=ADMIN)
        assert busy.status_code == 409 and "being deleted" in busy.get_json()["reason"]
    assert live.http.get(f"/admin/tenants/{T}/export", headers=ADMIN).status_code == 200
