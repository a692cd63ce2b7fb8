"""The guards behind the RBAC hook decide no roles of their own: they take the caller the
hook resolved (``g.rbac_actor``), keep the checks that need the request (the same-origin
check of a change made with the staff cookie) and refuse a request the hook never saw."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from flask import Blueprint, Flask, g, jsonify

from attune.gateway.errors import GatewayError
from attune.gateway.rbac.core import Actor, Role
from attune.gateway.sso.wiring import _KEY
from attune.gateway.web.credentials import ingest_actor_tenant, require_admin

BASE = "https://attune.example"


def _app(actor: Actor | None) -> Flask:
    app = Flask(__name__)
    app.extensions[_KEY] = SimpleNamespace(base_url=BASE)

    @app.before_request
    def _hook() -> None:  # stands in for gateway.rbac.hook.enforce, which sets the actor
        if actor is not None:
            g.rbac_actor = actor

    admin = Blueprint("admin", __name__)
    admin.before_request(require_admin)

    @admin.route("/admin/tenants/<tenant>/thing", methods=["GET", "POST"])
    def thing(tenant: str) -> Any:
        return jsonify(tenant=tenant)

    @app.post("/xapi/statements")
    def ingest() -> Any:
        return jsonify(tenant=ingest_actor_tenant())

    app.register_blueprint(admin)

    @app.errorhandler(GatewayError)
    def _refuse(exc: GatewayError) -> Any:
        return jsonify(reason=exc.reason), exc.status

    return app


ADMIN = Actor(frozenset({Role.ADMIN}), None, "admin-token")
STAFF = Actor(frozenset({Role.TENANT_ADMIN}), "uni", "sso")
INGEST = Actor(frozenset({Role.INGEST}), "uni", "ingest-token")


def test_admin_guard_refuses_a_request_the_hook_never_saw() -> None:
    client = _app(None).test_client()
    assert client.get("/admin/tenants/uni/thing").status_code == 401
    assert client.post("/xapi/statements").status_code == 401


@pytest.mark.parametrize("actor", [ADMIN, STAFF])
def test_admin_guard_lets_through_whom_the_hook_let_through(actor: Actor) -> None:
    # No credential header at all: the guard does not look for one again.
    reply = _app(actor).test_client().get("/admin/tenants/uni/thing")
    assert reply.status_code == 200 and reply.json == {"tenant": "uni"}


def test_a_cookie_change_must_come_from_the_gateway_s_pages() -> None:
    client = _app(STAFF).test_client()
    evil = client.post("/admin/tenants/uni/thing", headers={"Origin": "https://evil.example"})
    assert evil.status_code == 403 and "own pages" in evil.get_data(as_text=True)
    assert client.post("/admin/tenants/uni/thing").status_code == 403  # no Origin/Referer
    mine = client.post("/admin/tenants/uni/thing", headers={"Origin": BASE})
    assert mine.status_code == 200


def test_the_admin_token_carries_no_ambient_credential_and_needs_no_origin() -> None:
    client = _app(ADMIN).test_client()
    reply = client.post("/admin/tenants/uni/thing", headers={"Origin": "https://evil.example"})
    assert reply.status_code == 200


def test_the_ingest_tenant_is_the_hook_s_actor_s() -> None:
    reply = _app(INGEST).test_client().post("/xapi/statements")
    assert reply.status_code == 200 and reply.json == {"tenant": "uni"}
