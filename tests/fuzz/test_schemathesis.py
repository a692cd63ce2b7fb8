"""schemathesis against the gateway's own ``/openapi.json``, served by a running stack: every
documented operation with generated parameters and bodies. Checks: never a 5xx, and every
status is one the document names for the operation."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import given
from schemathesis.checks import not_a_server_error, status_code_conformance

from attune.gateway.settings import DEV_ADMIN_TOKEN
from attune.gateway.web.openapi import openapi_document
from tests.fuzz.http_stack import INGEST_TOKEN, FuzzStack
from tests.fuzz.profiles import fuzz_settings
from tests.fuzz.tally import TALLY
from tests.support.gateway_stack import token_of

pytestmark = [pytest.mark.fuzz, pytest.mark.integration]


@pytest.fixture(scope="module")
def session_token(stack: FuzzStack) -> str:
    """A learner's session (from /demo), for the operations that take a session token."""
    reply = stack.http.get(stack.url + "/demo", timeout=20)
    assert reply.status_code == 200, reply.text
    return token_of(reply)


@pytest.fixture(scope="module")
def openapi(stack: FuzzStack) -> Any:
    """The document the running gateway serves, loaded by schemathesis. (Not through
    ``schemathesis.pytest.from_fixture``: its lazy loader sets ``Node._nodeid``, which
    pytest 9.2 no longer has.)"""
    return schemathesis.openapi.from_url(stack.url + "/openapi.json")


# One test per documented operation; the document is built in code, so the list is known
# before the gateway runs.
OPERATIONS = [
    (path, method)
    for path, operations in openapi_document()["paths"].items()
    for method in operations
]


def _credential(security: list[dict[str, Any]], session_token: str) -> dict[str, str]:
    """A valid credential for the operation: the interesting code is behind the check (bad
    credentials are fuzzed in the other tests)."""
    names = {name for requirement in security for name in requirement}
    if "adminToken" in names:
        return {"Authorization": f"Bearer {DEV_ADMIN_TOKEN}"}
    if "ingestToken" in names:
        return {"Authorization": f"Bearer {INGEST_TOKEN}"}
    if "sessionToken" in names:
        return {"Authorization": f"Bearer {session_token}"}
    return {}


@pytest.mark.parametrize(
    ("path", "method"), OPERATIONS, ids=[f"{m.upper()} {p}" for p, m in OPERATIONS]
)
def test_openapi_operation(
    openapi: Any, stack: FuzzStack, session_token: str, path: str, method: str
) -> None:
    operation = openapi[path][method]
    security = operation.definition.raw.get("security", [])
    surface = f"schemathesis:{method.upper()} {path}"

    @fuzz_settings(12)
    @given(case=operation.as_strategy())
    def check(case: Any) -> None:
        headers = {**(case.headers or {}), **_credential(security, session_token)}
        TALLY.tried(surface)
        response = case.call(base_url=stack.url, headers=headers, allow_redirects=False, timeout=30)
        if response.status_code >= 500:
            TALLY.server_error(
                surface, str(response.status_code), f"{case.as_curl_command()}"[:300]
            )
        case.validate_response(response, checks=[not_a_server_error, status_code_conformance])

    check()
