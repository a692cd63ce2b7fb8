"""The RBAC matrix over the real thing (issue 16 part 3): every route of the gateway's app
(``app.url_map``), each of its methods, for every role, over real HTTP (waitress on port 0)
in front of a real engine (gRPC on port 0); and every RPC the engine serves (listed by its
own reflection service) for anonymous callers, partners with and without the scope, and the
gateway's service credential (the access token it mints for itself), over real gRPC.

Requests carry no body: a refusal must come before any body is parsed. An allowed request
may still be refused by the view for its missing input (400) or a missing resource (404);
what is asserted is that the role's check let it through (neither 401 nor 403)."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
import pytest
import requests
from flask import Flask
from google.protobuf import descriptor_pb2
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc
from werkzeug.routing import IntegerConverter

from attune.engine.adapters.sqlite_store import SqliteStore
from attune.engine.grpc.auth import ChainAuthenticator
from attune.engine.grpc.jwt_auth import HttpJwksFetcher, JwksCache, JwtAuthenticator, JwtPolicy
from attune.engine.grpc.scopes import METHOD_SCOPES, RESERVED_SCOPES, SCOPES
from attune.engine.grpc.server import RunningServer, build_engine, start_server
from attune.engine.tenant_setup import enable_tenant_admin
from attune.gateway.app import Gateway, build_gateway, create_app
from attune.gateway.engine_auth import GATEWAY_SCOPES, EngineCredentials
from attune.gateway.engine_client import GrpcEngineClient
from attune.gateway.http_server import create_hardened_server
from attune.gateway.http_settings import HttpSettings, RateLimits
from attune.gateway.keys import ToolKeys
from attune.gateway.rbac.core import Need
from attune.gateway.rbac.engine_roles import methods_for
from attune.gateway.rbac.routes import ROUTE_NEEDS, need_of
from attune.gateway.server import engine_credentials
from attune.gateway.sessions import LaunchSession, learner_pseudonym
from attune.gateway.settings import DEV_ADMIN_TOKEN, GatewaySettings
from attune.gateway.sso.principal import Principal
from attune.gateway.sso.settings import SsoSettings
from attune.gateway.sso.wiring import current_sso
from attune.gateway.stores import open_stores
from attune.gateway.web.page_sessions import roster_key
from attune.integrations.edges import gateway_edges
from tests.support.courses import chain_course
from tests.support.oauth_stack import AUDIENCE, bearer

pytestmark = pytest.mark.integration
T, OTHER = "default", "other"
ISSUER = "https://lms.example.edu"
OPERATOR = "operator-secret"
INGEST = "dev-ingest-token"  # the development ingest token of tenant "default"
LEARNER = learner_pseudonym(ISSUER, "ada")
ROLES = (
    "anonymous",
    "learner",
    "instructor",
    "instructor_other_context",
    "tenant_admin",
    "tenant_admin_other_tenant",
    "sso_instructor",
    "admin_token",
    "operator",
    "ingest",
)


@dataclass
class Caller:
    headers: dict[str, str] = field(default_factory=dict)
    page_token: str = "no-such-session"


@dataclass
class Gw:
    url: str
    app: Flask
    gateway: Gateway
    callers: dict[str, Caller]
    engine_address: str
    service: EngineCredentials  # the gateway's own engine credential (minted tokens)


def _start_engine(root: Path, jwks_url: str) -> tuple[asyncio.AbstractEventLoop, RunningServer]:
    loop = asyncio.new_event_loop()
    threading.Thread(target=loop.run_forever, daemon=True).start()

    async def start() -> RunningServer:
        # No refetch cool-down: the route walk calls the admin key rotation, and a token signed
        # by the new key a few seconds after a fetch would otherwise wait out the 10 s
        # (the cache's own behaviour has tests of its own; this test is about roles).
        cache = JwksCache(jwks_url, HttpJwksFetcher(5.0), time.time, 300.0, 0.0)
        policy = JwtPolicy(jwks_url.rsplit("/lti", 1)[0], AUDIENCE)
        jwt_auth = JwtAuthenticator(cache, policy, time.time)
        auth = ChainAuthenticator(None, [jwt_auth])  # no static tokens: JWTs only
        store = SqliteStore.open(root / "attune.db")
        engine = build_engine(store)
        enable_tenant_admin(engine, store)  # TenantService, as `attune engine` has it
        return await start_server(engine, auth)

    return loop, asyncio.run_coroutine_threadsafe(start(), loop).result(timeout=30)


def _session(gw: Gateway, sub: str, staff: bool, context: str) -> str:
    session = LaunchSession(
        tenant=T, issuer=ISSUER, client_id="c", deployment_id="d", sub=sub,
        learner_id=learner_pseudonym(ISSUER, sub), course_id="chain", skill_ids=(), staff=staff,
        context_id=context, deep_link={"deep_link_return_url": "https://lms.example.edu/dl"},
    )  # fmt: skip
    if staff:
        members = [{"user_id": "ada", "name": "Ada", "learner": True, "learner_id": LEARNER}]
        gw.store.put(T, roster_key(session), members if context == "ctx-1" else [], 3600)
    return gw.sessions.create(session)


def _staff_cookie(app: Flask, tenant: str, role: str) -> dict[str, str]:
    with app.app_context():
        sso = current_sso()
        token, _ = sso.sessions.create(
            Principal(tenant, f"{role}-{tenant}", "N", "n@x.test", (role,), "oidc:campus")
        )
        return {"Cookie": f"{sso.session_cookie}={token}"}


@pytest.fixture(scope="module")
def gw(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gw]:
    root = tmp_path_factory.mktemp("rbac")
    settings = GatewaySettings(
        port=0,
        data_dir=root,
        operator_token=OPERATOR,
        engine_tenants=[T],
        http=HttpSettings(rate_limits=RateLimits(enabled=False)),
        sso=SsoSettings(cookie_secure=False),
    )
    holder: dict[str, Any] = {}
    server = create_hardened_server(lambda env, start: holder["app"](env, start), settings)
    url = f"http://127.0.0.1:{int(server.effective_port)}"
    loop, running = _start_engine(root, f"{url}/lti/jwks")
    store, statements = open_stores("", root)
    keys = ToolKeys(store, settings.key_rotate_days, settings.key_overlap_days)
    service = engine_credentials(settings, keys, url)  # the production wiring (jwt)
    assert not isinstance(service, dict)
    engine = GrpcEngineClient(f"127.0.0.1:{running.port}", service)
    gateway = build_gateway(settings, store, engine, url, statements, gateway_edges())
    app = holder["app"] = create_app(gateway)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    engine.put_course(T, chain_course("chain"))  # the engine fetches the JWKS from the gateway
    origin = {"Origin": url}  # a signed-in change must come from the gateway's pages
    learner = _session(gateway, "ada", False, "ctx-1")
    teacher = _session(gateway, "teacher-1", True, "ctx-1")
    elsewhere = _session(gateway, "teacher-2", True, "ctx-2")
    callers = {
        "anonymous": Caller(),
        "learner": Caller({"Authorization": f"Bearer {learner}"}, learner),
        "instructor": Caller({"Authorization": f"Bearer {teacher}"}, teacher),
        "instructor_other_context": Caller({"Authorization": f"Bearer {elsewhere}"}, elsewhere),
        "tenant_admin": Caller({**origin, **_staff_cookie(app, T, "tenant_admin")}),
        "tenant_admin_other_tenant": Caller(
            {**origin, **_staff_cookie(app, OTHER, "tenant_admin")}
        ),
        "sso_instructor": Caller({**origin, **_staff_cookie(app, T, "instructor")}),
        "admin_token": Caller({"Authorization": f"Bearer {DEV_ADMIN_TOKEN}"}),
        "operator": Caller({"Authorization": f"Bearer {OPERATOR}"}),
        "ingest": Caller({"Authorization": f"Bearer {INGEST}"}),
    }
    try:
        yield Gw(url, app, gateway, callers, f"127.0.0.1:{running.port}", service)
    finally:
        server.close()
        server.task_dispatcher.shutdown()
        thread.join(5)
        engine.close()
        store.close()
        statements.close()
        asyncio.run_coroutine_threadsafe(running.stop(0.5), loop).result(30)
        loop.call_soon_threadsafe(loop.stop)


# -- what each need lets in ------------------------------------------------------------------

OPEN = set(ROLES)
ALLOWED: dict[Need, set[str]] = {
    Need.PUBLIC: OPEN,
    Need.LTI_PLATFORM: OPEN,  # the view checks the platform's signature
    Need.OAUTH_CLIENT: OPEN,  # the token endpoint checks the client
    Need.LEARNER_SELF: {"learner", "instructor", "instructor_other_context"},
    Need.INSTRUCTOR_OF_CONTEXT: {"instructor", "instructor_other_context"},
    Need.STAFF: {"tenant_admin", "tenant_admin_other_tenant", "sso_instructor"},
    Need.TENANT_ADMIN: {"admin_token", "tenant_admin"},
    Need.PLATFORM_ADMIN: {"admin_token"},
    Need.OPERATOR: {"operator"},
    Need.INGEST_CREDENTIAL: {"ingest"},
}
# Routes naming a learner outside the caller's context: the instructor of another context is
# let past the role check and refused by the view's roster check (the learner is not theirs).
ROSTER_CHECKED = {
    "pages.progress_api",
    "learner_pages.learner_page",
    "learner_pages.learner_csv",
    "interventions.intervene",
}
# Routes that change the callers themselves (sign-out, erasure): walked last.
LAST = ("audit_admin.erase", "sso.logout")


def expected_allowed(endpoint: str, need: Need, role: str) -> bool:
    if role == "instructor_other_context" and endpoint in ROSTER_CHECKED:
        return False
    return role in ALLOWED[need]


def _path(rule: Any, caller: Caller) -> str:
    values: dict[str, Any] = {}
    for name in rule.arguments:
        if name == "tenant":
            values[name] = T
        elif name == "token":
            values[name] = caller.page_token
        elif name == "learner_id":
            values[name] = "erasable-learner" if rule.endpoint in LAST else LEARNER
        elif name == "digest":
            values[name] = "0" * 64
        elif isinstance(rule._converters[name], IntegerConverter):
            values[name] = 1
        else:
            values[name] = "x1"
    built: str = rule.build(values, append_unknown=False)[1]
    return built


# The refusals of the role checks (gateway.rbac, and the body gate before it); a view's own
# refusal of an allowed caller (a missing CSRF token, an unsigned launch) is not one of them.
ROLE_REFUSALS = (
    "this route needs",
    "can only read its own learner",
    "admin calls need",
    "ingestion needs",
    "session is unknown or has expired",
)


def _refused_by_role(text: str) -> bool:
    return any(marker in text for marker in ROLE_REFUSALS)


def _walk(gw: Gw) -> list[tuple[str, str, Any]]:
    rules = sorted(
        gw.app.url_map.iter_rules(), key=lambda r: (r.endpoint in LAST, r.endpoint, r.rule)
    )
    return [
        (rule.endpoint, method, rule)
        for rule in rules
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})
    ]


def test_every_route_declares_what_it_needs(gw: Gw) -> None:
    missing = [
        rule.endpoint
        for rule in gw.app.url_map.iter_rules()
        if need_of(rule.endpoint, rule.endpoint.partition(".")[0] or None) is None
    ]
    assert missing == [], "place these endpoints in gateway/rbac/routes.py"
    endpoints = {rule.endpoint for rule in gw.app.url_map.iter_rules()}
    # (The observability routes of issue 17 are placed ahead of their blueprint's landing.)
    pending = {e for e in ROUTE_NEEDS if e.startswith("observability.")}
    assert set(ROUTE_NEEDS) - endpoints - pending == set(), "stale entries in ROUTE_NEEDS"


def test_learner_data_is_never_public(gw: Gw) -> None:
    """Independent of the table: the URL families that hold learner data need a role."""
    for rule in gw.app.url_map.iter_rules():
        need = need_of(rule.endpoint, rule.endpoint.partition(".")[0] or None)
        if rule.rule == "/admin/tenants/<tenant>/delete":  # a whole tenant: the admin only
            assert need is Need.PLATFORM_ADMIN, rule.rule
        elif rule.rule.startswith("/admin/tenants/"):
            assert need is Need.TENANT_ADMIN, rule.rule
        elif rule.rule.startswith("/admin/"):
            assert need is Need.PLATFORM_ADMIN, rule.rule
        elif rule.rule.startswith(("/instructor/", "/lti/deep-link/")):
            assert need is Need.INSTRUCTOR_OF_CONTEXT, rule.rule
        elif rule.rule.startswith(("/practice/", "/api/")):
            assert need is Need.LEARNER_SELF, rule.rule
        elif rule.endpoint.startswith(("ingest.post", "ingest.put", "statement_reads.")):
            assert need is Need.INGEST_CREDENTIAL, rule.rule


def test_a_refusal_names_the_role_needed(gw: Gw) -> None:
    listing = f"{gw.url}/admin/tenants/{T}/registrations"
    for role in ("sso_instructor", "tenant_admin_other_tenant"):
        reply = requests.get(listing, headers=gw.callers[role].headers, timeout=10)
        assert reply.status_code == 403 and "tenant_admin" in reply.json()["reason"], role
    # Another tenant's administrator is told whose role it holds.
    other = requests.get(listing, headers=gw.callers["tenant_admin_other_tenant"].headers)
    assert f"of tenant {OTHER!r}" in other.json()["reason"]
    # The operator token is no admin credential: the body gate refuses it before Flask.
    operator = requests.get(listing, headers=gw.callers["operator"].headers, timeout=10)
    assert operator.status_code == 401 and "admin token" in operator.json()["reason"]
    anonymous = requests.get(listing, timeout=10)
    assert anonymous.status_code == 401 and "admin token" in anonymous.json()["reason"]
    learner = gw.callers["learner"].page_token
    staff_page = requests.get(f"{gw.url}/instructor/{learner}/class", timeout=10)
    assert staff_page.status_code == 403 and "role instructor" in staff_page.text
    assert requests.get(f"{gw.url}/healthz", headers=gw.callers["operator"].headers).ok


def test_every_route_for_every_role(gw: Gw) -> None:
    wrong = []
    walked = 0
    for endpoint, method, rule in _walk(gw):
        need = need_of(endpoint, endpoint.partition(".")[0] or None)
        assert need is not None
        for role in ROLES:
            caller = gw.callers[role]
            reply = requests.request(
                method, gw.url + _path(rule, caller), headers=caller.headers, timeout=10
            )
            walked += 1
            allow = expected_allowed(endpoint, need, role)
            status = reply.status_code
            if allow and status in (401, 403) and _refused_by_role(reply.text):
                wrong.append(f"{role} {method} {rule.rule}: {status} {reply.text[:160]}")
            elif not allow and status not in (401, 403):
                wrong.append(f"{role} {method} {rule.rule}: {status}, should be refused")
            elif not allow and role == "anonymous" and status != 401:
                wrong.append(f"anonymous {method} {rule.rule}: {status}, should be 401")
            elif status >= 500 and endpoint != "observability.readyz":  # 503: not ready
                wrong.append(f"{role} {method} {rule.rule}: {status} {reply.text[:160]}")
    assert wrong == [], "\n".join(w[:150] for w in wrong)
    assert walked >= 80 * len(ROLES)


# -- the engine's RPCs ----------------------------------------------------------------------


@pytest.fixture
async def engine_channel(gw: Gw) -> AsyncIterator[tuple[grpc.aio.Channel, Gw]]:
    channel = grpc.aio.insecure_channel(gw.engine_address)
    try:
        yield channel, gw
    finally:
        await channel.close()


async def _registered_methods(channel: grpc.aio.Channel) -> dict[str, bool]:
    """Every RPC the server serves (full name -> client-streaming), from its reflection."""
    stub: Any = reflection_pb2_grpc.ServerReflectionStub(channel)  # type: ignore[arg-type]

    async def ask(request: reflection_pb2.ServerReflectionRequest) -> Any:
        async for reply in stub.ServerReflectionInfo(iter([request])):
            return reply

    listed = await ask(reflection_pb2.ServerReflectionRequest(list_services=""))
    methods: dict[str, bool] = {}
    for service in listed.list_services_response.service:
        if not service.name.startswith("attune."):
            continue  # health checking and reflection are public
        found = await ask(
            reflection_pb2.ServerReflectionRequest(file_containing_symbol=service.name)
        )
        for raw in found.file_descriptor_response.file_descriptor_proto:
            proto = descriptor_pb2.FileDescriptorProto.FromString(raw)
            for svc in proto.service:
                if f"{proto.package}.{svc.name}" == service.name:
                    for m in svc.method:
                        methods[f"/{service.name}/{m.name}"] = m.client_streaming
    return methods


async def _call(channel: grpc.aio.Channel, method: str, streaming: bool, token: str) -> Any:
    metadata = bearer(token) if token else None
    ident = lambda b: b  # noqa: E731 (raw bytes in and out)
    try:
        if streaming:
            # No message: the refusal comes on the headers (sending one races the server's
            # close of the call, which the client reports as INTERNAL).
            async def none() -> AsyncIterator[bytes]:
                return
                yield b""

            call = channel.stream_stream(method, ident, ident)(none(), metadata=metadata)
            async for _ in call:
                pass
        else:
            await channel.unary_unary(method, ident, ident)(b"", metadata=metadata, timeout=10)
    except grpc.aio.AioRpcError as exc:
        return exc.code()
    return grpc.StatusCode.OK


def _partner_token(gw: Gw, scopes: list[str]) -> str:
    admin = {"Authorization": f"Bearer {DEV_ADMIN_TOKEN}"}
    client = requests.post(
        f"{gw.url}/admin/tenants/{T}/oauth-clients", json={"scopes": scopes}, headers=admin
    ).json()
    reply = requests.post(
        f"{gw.url}/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(client["client_id"], client["client_secret"]),
        timeout=10,
    )
    assert reply.status_code == 200, reply.text
    return str(reply.json()["access_token"])


async def test_every_rpc_for_every_caller(engine_channel: tuple[grpc.aio.Channel, Gw]) -> None:
    channel, gw = engine_channel
    methods = await _registered_methods(channel)
    assert set(methods) == set(METHOD_SCOPES), "every RPC declares its scope"
    assert methods_for(None, METHOD_SCOPES) == frozenset(methods)
    denied = {grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.PERMISSION_DENIED}
    tokens = {scope: _partner_token(gw, [scope]) for scope in SCOPES}
    tokens["all"] = _partner_token(gw, list(SCOPES))
    wrong = []
    for method, streaming in sorted(methods.items()):
        scope = METHOD_SCOPES[method]
        other = next(s for s in SCOPES if s != scope)
        cases = {
            "anonymous": ("", grpc.StatusCode.UNAUTHENTICATED),
            "forged": ("not-a-token", grpc.StatusCode.UNAUTHENTICATED),
            "partner without the scope": (tokens[other], grpc.StatusCode.PERMISSION_DENIED),
            "gateway service credential": (gw.service.bearer(T), None),
        }
        if scope in RESERVED_SCOPES:  # never granted to a partner: every partner is refused
            cases["partner with every grantable scope"] = (
                tokens["all"],
                grpc.StatusCode.PERMISSION_DENIED,
            )
        else:
            cases["partner with the scope"] = (tokens[scope], None)
        for who, (token, expected) in cases.items():
            code = await _call(channel, method, streaming, token)
            granted = frozenset({scope}) if "partner" in who else frozenset(GATEWAY_SCOPES)
            allowed = method in methods_for(granted, METHOD_SCOPES)
            if expected is None and (code in denied or not allowed):
                wrong.append(f"{who} {method}: {code}")
            elif expected is not None and code != expected:
                wrong.append(f"{who} {method}: {code}, expected {expected}")
    assert wrong == [], "\n".join(w[:150] for w in wrong)
