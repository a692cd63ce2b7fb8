"""Partner apps' token endpoint, the review after issue 16's merge: reserved scopes are never
granted (not even to a client stored with one), an issued token's log line names its client
and tenant, and malformed Basic credentials are invalid_client (not a 500). Real gateway
HTTP server and a real engine checking its JWTs."""

from __future__ import annotations

import base64
import dataclasses
from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import jwt
import pytest
import requests
from structlog.testing import capture_logs

from attune.engine.v1 import erasures_pb2, erasures_pb2_grpc
from tests.support.oauth_stack import OAuthStack, bearer, oauth_stack

pytestmark = pytest.mark.integration


@pytest.fixture
async def stack(tmp_path: Path) -> AsyncIterator[OAuthStack]:
    async with oauth_stack(tmp_path) as s:
        yield s


async def _code(call: object) -> tuple[grpc.StatusCode, str]:
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await call  # type: ignore[misc]
    return err.value.code(), err.value.details() or ""


async def test_reserved_scopes_are_never_granted(stack: OAuthStack) -> None:
    # A partner holding erasures:sync could acknowledge erasures the gateway never applied.
    for reserved in ("erasures:sync", "tenants:admin"):
        made = stack.admin(
            "POST", "/admin/tenants/univ-a/oauth-clients", json={"scopes": [reserved]}
        )
        assert made.status_code == 400 and reserved in made.json()["reason"], made.text
    meta = stack.admin("GET", "/.well-known/oauth-authorization-server").json()
    assert "erasures:sync" not in meta["scopes_supported"]
    # A client stored while erasures:sync was grantable: asked for, it is invalid_scope;
    # not asked for, the token leaves it out and the engine refuses the RPC.
    client = stack.new_client("univ-a", ["responses:write"])
    stored = stack.gateway.store.get_oauth_client(client["client_id"])
    assert stored is not None
    stack.gateway.store.put_oauth_client(
        dataclasses.replace(stored, scopes=("responses:write", "erasures:sync"))
    )
    asked = stack.token(client, "erasures:sync")
    assert asked.status_code == 400 and asked.json()["error"] == "invalid_scope", asked.text
    token = stack.access_token(client)
    assert jwt.decode(token, options={"verify_signature": False})["scope"] == "responses:write"
    erasures = erasures_pb2_grpc.ErasureServiceStub(stack.channel)
    code, _ = await _code(
        erasures.ListPendingErasures(
            erasures_pb2.ListPendingErasuresRequest(), metadata=bearer(token)
        )
    )
    assert code == grpc.StatusCode.PERMISSION_DENIED


async def test_an_issued_token_is_logged_with_its_client_and_tenant(stack: OAuthStack) -> None:
    client = stack.new_client("univ-a", ["responses:write"])
    with capture_logs() as logs:
        stack.access_token(client)  # client_secret_basic: no client_id in the form
    issued = [e for e in logs if e["event"] == "oauth.token.issued"]
    assert issued and issued[0]["tenant"] == "univ-a"
    assert issued[0]["client_id"] == client["client_id"]
    assert client["client_secret"] not in repr(logs)


async def test_malformed_basic_credentials_are_invalid_client(stack: OAuthStack) -> None:
    # Basic credentials that are not base64 of UTF-8 text: invalid_client, not a 500.
    for token in ("////", base64.b64encode(b"\xff\xfe:x").decode()):
        malformed = requests.post(
            stack.token_url,
            data={"grant_type": "client_credentials"},
            headers={"Authorization": f"Basic {token}"},
            timeout=10,
        )
        assert malformed.status_code == 401, malformed.text
        assert malformed.json()["error"] == "invalid_client"
        assert "Basic" in malformed.headers["WWW-Authenticate"]
