"""Fuzzing the admin API and the token-addressed pages over real HTTP. Properties: never a
5xx; a refusal (and every read) changes nothing an operator sees."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from attune.gateway.settings import DEV_ADMIN_TOKEN
from tests.fuzz import strategies as s
from tests.fuzz.http_stack import FuzzStack, exercise
from tests.fuzz.json_strategies import dumps, json_values, perturbed
from tests.fuzz.profiles import fuzz_settings
from tests.support.gateway_stack import field, token_of

pytestmark = [pytest.mark.fuzz, pytest.mark.integration]

_segment = s.mostly(st.sampled_from(["default", "other", "nobody"]), s.text).map(
    lambda v: quote(v, safe="") or "x"
)
_number = st.one_of(st.integers(0, 10), st.integers(0, 2**80), st.sampled_from([2**63, 2**64]))
_READS = {"GET"}
_ROUTES = [
    ("GET", "/admin/tenants/{t}/registrations"),
    ("PUT", "/admin/tenants/{t}/registrations"),
    ("DELETE", "/admin/tenants/{t}/registrations"),
    ("POST", "/admin/tenants/{t}/registration-urls"),
    ("GET", "/admin/tenants/{t}/outbox"),
    ("POST", "/admin/tenants/{t}/outbox/{n}/replay"),
    ("GET", "/admin/tenants/{t}/lrs"),
    ("PUT", "/admin/tenants/{t}/lrs/{name}"),
    ("DELETE", "/admin/tenants/{t}/lrs/{name}"),
    ("GET", "/admin/tenants/{t}/statements"),
    ("POST", "/admin/tenants/{t}/statements/{n}/replay"),
    ("GET", "/admin/tenants/{t}/activity-map"),
    ("PUT", "/admin/tenants/{t}/activity-map"),
]
_REGISTRATION = {
    "issuer": "https://lms.fuzz.example",
    "client_id": "fuzz-client",
    "auth_login_url": "https://lms.fuzz.example/auth",
    "auth_token_url": "https://lms.fuzz.example/token",
    "key_set_url": "https://lms.fuzz.example/jwks",
    "deployment_ids": ["d1"],
}
_LRS = {"url": "https://lrs.fuzz.example/xapi", "username": "u", "password": "p"}
_MAP = {"https://quiz.fuzz.example/items/1": {"course_id": "demo", "item_id": "nope"}}
_bodies = st.one_of(
    perturbed(_REGISTRATION), perturbed(_LRS), perturbed(_MAP), json_values, st.none()
)
_admin_auth = s.mostly(
    st.just(f"Bearer {DEV_ADMIN_TOKEN}"),
    st.sampled_from(["", "Bearer", "Bearer x", f"Basic {DEV_ADMIN_TOKEN}", DEV_ADMIN_TOKEN]),
)
_query = st.dictionaries(
    st.sampled_from(["status", "issuer", "client_id"]),
    st.one_of(st.sampled_from(["dead", "pending", "delivered", "superseded"]), s.text),
    max_size=3,
)


@pytest.mark.parametrize("route", _ROUTES, ids=[f"{m} {t}" for m, t in _ROUTES])
@fuzz_settings(15)
@given(
    tenant=_segment,
    name=_segment,
    number=_number,
    body=_bodies,
    auth=_admin_auth,
    query=_query,
)
def test_admin(
    stack: FuzzStack,
    route: tuple[str, str],
    tenant: str,
    name: str,
    number: int,
    body: Any,
    auth: str,
    query: dict[str, str],
) -> None:
    method, template = route
    if tenant == "default" and method in ("PUT", "DELETE") and "registrations" in template:
        tenant = "other"  # keep the emulator's registration in place for the LTI tests
    path = template.format(t=tenant, name=name, n=number)
    exercise(
        stack,
        f"{method} {template}",
        method,
        path,
        (path, body, auth, query),
        read_only=method in _READS,
        params=query,
        data=None if body is None else dumps(body).encode(),
        headers={"Authorization": auth, "Content-Type": "application/json"},
    )


def _demo_token(stack: FuzzStack) -> str:
    reply = stack.http.get(stack.url + "/demo", timeout=20)
    assert reply.status_code == 200, reply.text
    return token_of(reply)


_tokens = st.one_of(st.just("<demo>"), s.text.map(lambda v: quote(v, safe="") or "x"))
_PAGES = [
    ("GET", "/practice/{token}"),
    ("POST", "/practice/{token}/answer"),
    ("GET", "/instructor/{token}"),
    ("POST", "/instructor/{token}/sync"),
    ("GET", "/lti/deep-link/{token}"),
    ("POST", "/lti/deep-link/{token}"),
    ("GET", "/api/learners/{learner}/progress"),
    ("GET", "/demo"),
]


@pytest.mark.parametrize("route", _PAGES, ids=[f"{m} {t}" for m, t in _PAGES])
@fuzz_settings(20)
@given(
    token=_tokens,
    learner=s.text.map(lambda v: quote(v, safe="") or "x"),
    event_id=st.one_of(st.just("<shown>"), s.text),
    answer=s.text,
    course=s.mostly(st.just("demo"), s.text),
)
def test_pages(
    stack: FuzzStack,
    route: tuple[str, str],
    token: str,
    learner: str,
    event_id: str,
    answer: str,
    course: str,
) -> None:
    """Session tokens that exist (a fresh demo session) or not, answers of any kind, event
    ids that were shown or invented."""
    method, template = route
    if token == "<demo>":
        token = _demo_token(stack)
    if event_id == "<shown>":
        page = stack.http.get(f"{stack.url}/practice/{token}", timeout=20)
        event_id = field(page.text, "event_id")
    path = template.format(token=token, learner=learner)
    exercise(
        stack,
        f"{method} {template}",
        method,
        path,
        (path, event_id, answer, course),
        read_only=method == "GET" and template != "/demo",
        params={"course": course} if template == "/demo" else None,
        data={"event_id": event_id, "answer": answer, "course_id": course, "skill_ids": [answer]},
        headers={"Authorization": f"Bearer {token}"},
    )
