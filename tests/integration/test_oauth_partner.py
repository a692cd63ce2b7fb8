"""Partner apps end to end (issue 16 part 1): tokens from the gateway's token endpoint (real
HTTP server) with client_secret_basic and private_key_jwt, used on a real engine that checks
them against the gateway's JWKS; forged, expired, wrong-audience, wrong-scope and cross-tenant
tokens refused; key rotation refetches the JWKS once; a revoked client gets no token."""

from __future__ import annotations

import asyncio
import base64
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import jwt
import pytest
import requests

from attune.engine.v1 import course_pb2, events_pb2, learner_pb2
from tests.support.courses import chain_course
from tests.support.oauth_stack import (
    AUDIENCE,
    OAuthStack,
    bearer,
    client_assertion,
    oauth_stack,
    public_jwk,
    rsa_key,
)

pytestmark = pytest.mark.integration
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


@pytest.fixture
async def stack(tmp_path: Path) -> AsyncIterator[OAuthStack]:
    async with oauth_stack(tmp_path) as s:
        yield s


async def _code(call: object) -> tuple[grpc.StatusCode, str]:
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await call  # type: ignore[misc]
    return err.value.code(), err.value.details() or ""


def _record(event_id: str, learner: str = "l1") -> learner_pb2.RecordResponseRequest:
    return learner_pb2.RecordResponseRequest(
        event_id=event_id, learner_id=learner, course_id="chain", item_id="a1", correct=True
    )


async def _course(stack: OAuthStack, tenant: str) -> None:
    admin = stack.new_client(tenant, ["courses:write"])
    await stack.courses.PutCourse(
        course_pb2.PutCourseRequest(course=chain_course()),
        metadata=bearer(stack.access_token(admin)),
    )


async def test_client_secret_basic_token_records_a_response(stack: OAuthStack) -> None:
    await _course(stack, "univ-a")
    client = stack.new_client("univ-a", ["responses:write", "learners:read"], name="Partner")
    reply = stack.token(client)
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 600
    assert body["scope"] == "responses:write learners:read"
    assert reply.headers["Cache-Control"] == "no-store"
    header = jwt.get_unverified_header(body["access_token"])
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert header["typ"] == "at+jwt" and header["alg"] == "RS256"
    assert header["kid"] in {k["kid"] for k in requests.get(f"{stack.url}/lti/jwks").json()["keys"]}
    assert claims["iss"] == stack.url and claims["aud"] == AUDIENCE
    assert claims["sub"] == client["client_id"] and claims["tenant"] == "univ-a"
    assert claims["exp"] - claims["iat"] == 600 and claims["jti"]

    done = await stack.learners.RecordResponse(_record("e1"), metadata=bearer(body["access_token"]))
    assert done.event_id == "e1"
    state = await stack.learners.GetLearnerState(
        learner_pb2.GetLearnerStateRequest(learner_id="l1", course_id="chain"),
        metadata=bearer(body["access_token"]),
    )
    assert state.learner_id == "l1" and state.skills
    assert stack.jwks.fetches == 1  # the second call used the cached keys


async def test_client_secret_post_and_a_narrower_scope(stack: OAuthStack) -> None:
    client = stack.new_client("univ-a", ["responses:write", "learners:read"])
    reply = requests.post(
        stack.token_url,
        data={
            "grant_type": "client_credentials",
            "client_id": client["client_id"],
            "client_secret": client["client_secret"],
            "scope": "learners:read",
        },
        timeout=10,
    )
    assert reply.status_code == 200, reply.text
    token = reply.json()["access_token"]
    assert jwt.decode(token, options={"verify_signature": False})["scope"] == "learners:read"
    code, details = await _code(
        stack.learners.RecordResponse(_record("e1"), metadata=bearer(token))
    )
    assert code == grpc.StatusCode.PERMISSION_DENIED and "responses:write" in details


async def test_private_key_jwt_token_records_a_response(stack: OAuthStack) -> None:
    await _course(stack, "univ-a")
    key = rsa_key()
    client = stack.new_client(
        "univ-a", ["responses:write"], jwks={"keys": [public_jwk(key, "k1")]}, secret=False
    )
    assert "client_secret" not in client and client["auth_methods"] == ["private_key_jwt"]
    assertion = client_assertion(key, "k1", client["client_id"], stack.token_url)
    form = {
        "grant_type": "client_credentials",
        "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": assertion,
    }
    reply = requests.post(stack.token_url, data=form, timeout=10)
    assert reply.status_code == 200, reply.text
    token = reply.json()["access_token"]
    done = await stack.learners.RecordResponse(_record("e1"), metadata=bearer(token))
    assert done.event_id == "e1"

    replayed = requests.post(stack.token_url, data=form, timeout=10)  # the same jti again
    assert replayed.status_code == 401 and replayed.json()["error"] == "invalid_client"
    other = rsa_key()  # signed by a key the client never registered
    forged = {**form, "client_assertion": client_assertion(other, "k1", client["client_id"],
                                                           stack.token_url)}  # fmt: skip
    refused = requests.post(stack.token_url, data=forged, timeout=10)
    assert refused.status_code == 401 and refused.json()["error"] == "invalid_client"
    wrong_aud = {**form, "client_assertion": client_assertion(key, "k1", client["client_id"],
                                                              "https://elsewhere")}  # fmt: skip
    assert requests.post(stack.token_url, data=wrong_aud, timeout=10).status_code == 401


async def test_forged_token_is_unauthenticated(stack: OAuthStack) -> None:
    client = stack.new_client("univ-a", ["responses:write"])
    real = stack.access_token(client)
    header = jwt.get_unverified_header(real)
    claims = jwt.decode(real, options={"verify_signature": False})
    # The same claims and kid, signed with a key that is not the gateway's.
    forged = jwt.encode(claims, rsa_key(), algorithm="RS256", headers=header)
    code, details = await _code(
        stack.learners.RecordResponse(_record("e1"), metadata=bearer(forged))
    )
    assert code == grpc.StatusCode.UNAUTHENTICATED and "signature" in details
    # Elevated claims on a real token's signature, and alg "none": refused as well.
    head, _, sig = real.split(".")
    payload = json.dumps({**claims, "tenant": "univ-b"}).encode()
    tampered = base64.urlsafe_b64encode(payload).rstrip(b"=").decode()
    code, _ = await _code(
        stack.learners.RecordResponse(_record("e1"), metadata=bearer(f"{head}.{tampered}.{sig}"))
    )
    assert code == grpc.StatusCode.UNAUTHENTICATED
    unsigned = jwt.encode(claims, None, algorithm="none", headers={**header, "alg": "none"})
    code, details = await _code(
        stack.learners.RecordResponse(_record("e1"), metadata=bearer(unsigned))
    )
    assert code == grpc.StatusCode.UNAUTHENTICATED and "RS256" in details
    code, _ = await _code(
        stack.learners.RecordResponse(_record("e1"), metadata=bearer("dev-token"))
    )
    assert code == grpc.StatusCode.UNAUTHENTICATED  # static tokens are off on this engine


async def test_expired_token_is_unauthenticated(stack: OAuthStack) -> None:
    await _course(stack, "univ-a")
    token = stack.access_token(stack.new_client("univ-a", ["responses:write"]))
    stack.clock.t += 600 + 20  # past exp, within the 30 s leeway: still good
    assert (await stack.learners.RecordResponse(_record("e1"), metadata=bearer(token))).event_id
    stack.clock.t += 20  # past the leeway
    code, details = await _code(
        stack.learners.RecordResponse(_record("e2"), metadata=bearer(token))
    )
    assert code == grpc.StatusCode.UNAUTHENTICATED and "expired" in details


async def test_wrong_audience_and_issuer_are_unauthenticated(stack: OAuthStack) -> None:
    key = stack.gateway.keys.current()  # the gateway's real signing key
    now = int(time.time())
    claims = {"iss": stack.url, "sub": "c", "aud": AUDIENCE, "tenant": "univ-a",
              "scope": "responses:write", "iat": now, "exp": now + 600}  # fmt: skip
    headers = {"kid": key.kid, "typ": "at+jwt"}

    def sign(**changes: object) -> str:
        return jwt.encode({**claims, **changes}, key.private_pem, "RS256", headers=headers)

    code, details = await _code(
        stack.learners.RecordResponse(_record("e1"), metadata=bearer(sign(aud="another-engine")))
    )
    assert code == grpc.StatusCode.UNAUTHENTICATED and "aud" in details
    code, details = await _code(
        stack.learners.RecordResponse(_record("e1"), metadata=bearer(sign(iss="https://evil")))
    )
    assert code == grpc.StatusCode.UNAUTHENTICATED and "iss" in details
    # A JWT the tool signs for platforms (no at+jwt type) is no access token.
    lti = jwt.encode(claims, key.private_pem, "RS256", headers={"kid": key.kid})
    code, details = await _code(stack.learners.RecordResponse(_record("e1"), metadata=bearer(lti)))
    assert code == grpc.StatusCode.UNAUTHENTICATED and "at+jwt" in details
    # The control: the same token with the right claims goes through to the servicer.
    code, details = await _code(
        stack.learners.RecordResponse(_record("e1"), metadata=bearer(sign()))
    )
    assert code == grpc.StatusCode.NOT_FOUND and "chain" in details


async def test_wrong_scope_is_permission_denied_naming_it(stack: OAuthStack) -> None:
    client = stack.new_client("univ-a", ["responses:write"])
    token = stack.access_token(client)
    code, details = await _code(
        stack.learners.DeleteLearner(
            learner_pb2.DeleteLearnerRequest(learner_id="l1"), metadata=bearer(token)
        )
    )
    assert code == grpc.StatusCode.PERMISSION_DENIED and "learners:delete" in details
    code, details = await _code(
        stack.events.ListEvents(events_pb2.ListEventsRequest(), metadata=bearer(token))
    )
    assert code == grpc.StatusCode.PERMISSION_DENIED and "events:read" in details
    asked = stack.token(client, scope="responses:write learners:delete")
    assert asked.status_code == 400 and asked.json()["error"] == "invalid_scope"
    unknown = stack.token(client, scope="admin:everything")
    assert unknown.status_code == 400 and unknown.json()["error"] == "invalid_scope"


async def test_cross_tenant_token_sees_nothing(stack: OAuthStack) -> None:
    await _course(stack, "univ-a")
    a = stack.access_token(stack.new_client("univ-a", ["responses:write", "events:read"]))
    await stack.learners.RecordResponse(_record("e1"), metadata=bearer(a))
    everything = ["learners:read", "events:read", "courses:read", "learners:delete"]
    b = stack.access_token(stack.new_client("univ-b", everything))
    code, _ = await _code(
        stack.learners.GetLearnerState(
            learner_pb2.GetLearnerStateRequest(learner_id="l1", course_id="chain"),
            metadata=bearer(b),
        )
    )
    assert code == grpc.StatusCode.NOT_FOUND
    seen_by_b = await stack.events.ListEvents(events_pb2.ListEventsRequest(), metadata=bearer(b))
    assert list(seen_by_b.events) == []
    seen_by_a = await stack.events.ListEvents(events_pb2.ListEventsRequest(), metadata=bearer(a))
    assert [e.response.event_id for e in seen_by_a.events] == ["e1"]
    courses = await stack.courses.ListCourses(course_pb2.ListCoursesRequest(), metadata=bearer(b))
    assert list(courses.courses) == []


async def test_rotation_refetches_the_jwks_once(stack: OAuthStack) -> None:
    await _course(stack, "univ-a")
    client = stack.new_client("univ-a", ["responses:write"])
    old = stack.access_token(client)
    await stack.learners.RecordResponse(_record("e1"), metadata=bearer(old))
    assert stack.jwks.fetches == 1
    rotated = stack.admin("POST", "/admin/keys/rotate")
    assert rotated.status_code == 200, rotated.text
    new = stack.access_token(client)
    assert jwt.get_unverified_header(new)["kid"] != jwt.get_unverified_header(old)["kid"]
    stack.clock.t += 11  # past the refetch floor
    # Many calls at once with the new, unknown kid: one fetch serves them all.
    calls = [
        stack.learners.RecordResponse(_record(f"n{i}"), metadata=bearer(new)) for i in range(8)
    ]
    replies = await asyncio.gather(*calls)
    assert {r.event_id for r in replies} == {f"n{i}" for i in range(8)}
    assert stack.jwks.fetches == 2
    # The old key stays published for its overlap: old tokens still verify, without a fetch.
    await stack.learners.RecordResponse(_record("e2"), metadata=bearer(old))
    assert stack.jwks.fetches == 2


async def test_unknown_kids_cause_no_fetch_storm(stack: OAuthStack) -> None:
    client = stack.new_client("univ-a", ["responses:write"])
    real = stack.access_token(client)
    await _code(stack.learners.RecordResponse(_record("x"), metadata=bearer(real)))
    assert stack.jwks.fetches == 1
    claims = jwt.decode(real, options={"verify_signature": False})
    for round_ in range(2):
        stack.clock.t += 11
        forged = [
            jwt.encode(
                claims, rsa_key(), "RS256", headers={"kid": f"k{round_}-{i}", "typ": "at+jwt"}
            )
            for i in range(3)
        ]
        results = await asyncio.gather(
            *(
                _code(stack.learners.RecordResponse(_record("x"), metadata=bearer(t)))
                for t in forged * 5
            )
        )
        assert {code for code, _ in results} == {grpc.StatusCode.UNAUTHENTICATED}
        assert all("kid" in details for _, details in results)
        assert stack.jwks.fetches == 2 + round_  # one refetch per round, not one per call
    # Within the refetch floor, more unknown kids fetch nothing.
    token = jwt.encode(claims, rsa_key(), "RS256", headers={"kid": "again", "typ": "at+jwt"})
    await _code(stack.learners.RecordResponse(_record("x"), metadata=bearer(token)))
    assert stack.jwks.fetches == 3


async def test_revoked_client_gets_no_token(stack: OAuthStack) -> None:
    client = stack.new_client("univ-a", ["responses:write"])
    assert stack.token(client).status_code == 200
    path = f"/admin/tenants/univ-a/oauth-clients/{client['client_id']}"
    assert (
        stack.admin(
            "DELETE", "/admin/tenants/univ-b/oauth-clients/" + client["client_id"]
        ).status_code
        == 404
    )
    assert stack.admin("DELETE", path).status_code == 200
    refused = stack.token(client)
    assert refused.status_code == 401 and refused.json()["error"] == "invalid_client"
    assert refused.headers["WWW-Authenticate"].startswith("Basic")
    assert stack.admin("DELETE", path).status_code == 404  # revoked already
    [listed] = stack.admin("GET", "/admin/tenants/univ-a/oauth-clients").json()["clients"]
    assert listed["revoked_at"] is not None and "secret_hash" not in listed


async def test_token_endpoint_errors_follow_rfc_6749(stack: OAuthStack) -> None:
    client = stack.new_client("univ-a", ["responses:write"])
    wrong = requests.post(stack.token_url, data={"grant_type": "client_credentials"},
                          auth=(client["client_id"], "not-the-secret"), timeout=10)  # fmt: skip
    assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_client"
    nobody = requests.post(stack.token_url, data={"grant_type": "client_credentials"},
                           auth=("atc_nobody", "x"), timeout=10)  # fmt: skip
    assert nobody.status_code == 401 and nobody.json()["error"] == "invalid_client"
    secret = (client["client_id"], client["client_secret"])
    grant = requests.post(stack.token_url, data={"grant_type": "password"}, auth=secret, timeout=10)
    assert grant.status_code == 400 and grant.json()["error"] == "unsupported_grant_type"
    bare = requests.post(stack.token_url, data={}, timeout=10)
    assert bare.status_code == 400 and bare.json()["error"] in (
        "invalid_request",
        "unsupported_grant_type",
    )
    unauthenticated = requests.post(
        stack.token_url, data={"grant_type": "client_credentials"}, timeout=10
    )
    assert unauthenticated.status_code == 401


async def test_admin_routes_and_metadata(stack: OAuthStack) -> None:
    base = "/admin/tenants/univ-a/oauth-clients"
    assert requests.get(stack.url + base, timeout=10).status_code == 401
    bad = stack.admin("POST", base, json={"scopes": ["responses:write", "root"]})
    assert bad.status_code == 400 and "scopes" in bad.json()["reason"]
    # A private JWK is refused: only public keys are kept.
    jwk = {**public_jwk(rsa_key(), "k"), "d": "AQAB"}
    bad_jwks = stack.admin(
        "POST", base, json={"scopes": ["responses:write"], "jwks": {"keys": [jwk]}}
    )
    assert bad_jwks.status_code == 400 and "jwks" in bad_jwks.json()["reason"]
    no_keys = stack.admin("POST", base, json={"scopes": ["responses:write"], "secret": False})
    assert no_keys.status_code == 400 and "jwks" in no_keys.json()["reason"]
    meta = requests.get(f"{stack.url}/.well-known/oauth-authorization-server", timeout=10).json()
    assert meta["issuer"] == stack.url and meta["token_endpoint"] == stack.token_url
    assert meta["jwks_uri"] == f"{stack.url}/lti/jwks"
    assert "private_key_jwt" in meta["token_endpoint_auth_methods_supported"]
    assert "responses:write" in meta["scopes_supported"]
