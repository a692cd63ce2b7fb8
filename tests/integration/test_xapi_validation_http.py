"""Statement validation and attachments over real HTTP against a real ``attune serve``
(issue 19): a sample of the specification's cases decided by the endpoint as by the
validator, never a 5xx; 2.0.0 replies (errors included) carry the 2.0.0 version header;
multipart/mixed statements with attachments and signatures taken and their attachments
stored under the tenant."""

from __future__ import annotations

import http.client
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests

from tests.support.gateway_stack import Stack, running_stack
from tests.support.xapi_cases import CASES, base
from tests.support.xapi_signed import (
    attachment_of,
    key_and_certificate,
    multipart,
    sha256,
    signed,
)

pytestmark = [pytest.mark.integration, pytest.mark.slow]

AUTH = {"Authorization": "Bearer dev-ingest-token"}
SAMPLE = CASES[::4]  # every fourth case: valid and invalid, every part of a statement


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("xapi-validation")


@pytest.fixture(scope="module")
def stack(data_dir: Path) -> Iterator[Stack]:
    with running_stack(data_dir) as s:
        yield s


def fresh(body: dict[str, Any]) -> dict[str, Any]:
    """Without the table's fixed id (each POST would otherwise meet it again) and with a
    timestamp inside the engine's window."""
    body = {k: v for k, v in body.items() if k != "id"}
    if isinstance(body.get("timestamp"), str) and body["timestamp"].startswith("2013"):
        body["timestamp"] = "2024" + body["timestamp"][4:]  # the same form, a later year
    return body


def post(stack: Stack, body: Any, version: str = "1.0.3", **kw: Any) -> requests.Response:
    headers = {**AUTH, "X-Experience-API-Version": version, **kw.pop("headers", {})}
    if "data" in kw:
        return requests.post(f"{stack.url}/xapi/statements", headers=headers, timeout=20, **kw)
    return requests.post(
        f"{stack.url}/xapi/statements", json=body, headers=headers, timeout=20, **kw
    )


@pytest.mark.parametrize("case", SAMPLE, ids=[c.name for c in SAMPLE])
def test_the_endpoint_decides_the_sample_as_the_specification_says(stack: Stack, case: Any) -> None:
    version = case.versions[-1]
    reply = post(stack, fresh(case.statement()), version)
    assert reply.headers["X-Experience-API-Version"] == version
    if case.expected is None:
        assert reply.status_code == 200, reply.text
    else:
        assert reply.status_code == 400, reply.text
        assert reply.json()["reason"].startswith(f"statement.{case.expected[0]}:")


def test_an_interaction_type_that_is_an_object_is_a_400_naming_it(stack: Stack) -> None:
    body = fresh(base())
    body["object"]["definition"] = {"interactionType": {"choice": True}}
    reply = post(stack, body)
    assert reply.status_code == 400
    assert reply.json()["reason"].startswith("statement.object.definition.interactionType:")


def test_2_0_0_errors_carry_the_2_0_0_header(stack: Stack) -> None:
    bad = post(stack, {"actor": {}}, "2.0.0")
    assert bad.status_code == 400
    unsupported = post(stack, None, "2.0.0", data=b"x", headers={"Content-Type": "text/plain"})
    assert unsupported.status_code == 415
    wrong_method = requests.delete(
        f"{stack.url}/xapi/statements",
        headers={**AUTH, "X-Experience-API-Version": "2.0.0"},
        timeout=10,
    )
    assert wrong_method.status_code == 405
    # Refused by the HTTP server before the body is read (no credential; too large).
    no_credential = post(stack, {}, "2.0.0", headers={"Authorization": "Bearer wrong"})
    assert no_credential.status_code == 401
    too_large = _declared_only(stack, 64 * 1024 * 1024)
    assert too_large.status == 413
    assert no_credential.headers["X-Experience-API-Version"] == "2.0.0"
    assert (
        post(stack, {}, "1.0.3", headers={"Authorization": "x"}).headers["X-Experience-API-Version"]
        == "1.0.3"
    )
    assert too_large.getheader("X-Experience-API-Version") == "2.0.0"
    for reply in (bad, unsupported, wrong_method):
        assert reply.headers["X-Experience-API-Version"] == "2.0.0"


def _declared_only(stack: Stack, length: int) -> http.client.HTTPResponse:
    """A POST that declares ``length`` bytes and sends none: the server answers first."""
    url = urlsplit(stack.url)
    conn = http.client.HTTPConnection(url.hostname or "", url.port, timeout=10)
    conn.putrequest("POST", "/xapi/statements")
    for name, value in {**AUTH, "X-Experience-API-Version": "2.0.0"}.items():
        conn.putheader(name, value)
    conn.putheader("Content-Type", "application/json")
    conn.putheader("Content-Length", str(length))
    conn.endheaders()
    return conn.getresponse()


def test_a_multipart_statement_is_taken_and_its_attachment_stored(
    stack: Stack, data_dir: Path
) -> None:
    essay = b"My essay on ratios.\x00\x01"
    statement = {**fresh(base()), "attachments": [attachment_of(essay)]}
    content_type, body = multipart([statement], [("text/plain", essay)])
    reply = post(stack, None, "2.0.0", data=body, headers={"Content-Type": content_type})
    assert reply.status_code == 200, reply.text
    rows = []
    for db in data_dir.rglob("gateway.db"):
        with sqlite3.connect(db) as conn:
            rows += conn.execute(
                "SELECT tenant, data FROM content_media WHERE sha256 = ?",
                ("xapi-attachment:" + sha256(essay),),
            ).fetchall()
    assert rows == [("default", essay)]


@pytest.mark.parametrize("alg", ["RS256", "RS384", "RS512"])
def test_signed_statements_are_taken_and_a_tampered_one_refused(stack: Stack, alg: str) -> None:
    key, certificate = key_and_certificate()
    statement, token = signed(fresh(base()), key, alg, certificate)
    content_type, body = multipart([statement], [("application/octet-stream", token)])
    reply = post(stack, None, data=body, headers={"Content-Type": content_type})
    assert reply.status_code == 200, reply.text
    statement["result"] = {"success": False}
    content_type, body = multipart([statement], [("application/octet-stream", token)])
    reply = post(stack, None, data=body, headers={"Content-Type": content_type})
    assert reply.status_code == 400
    assert "differs from the statement it signs" in reply.json()["reason"]


def test_a_bad_sha2_over_http_is_a_400(stack: Stack) -> None:
    essay = b"short"
    statement = {**fresh(base()), "attachments": [attachment_of(essay, sha2=sha256(b"x"))]}
    content_type, body = multipart([statement], [("text/plain", essay)])
    reply = post(stack, None, data=body, headers={"Content-Type": content_type})
    assert reply.status_code == 400
    assert reply.json()["reason"].startswith("statements[0].attachments[0].sha2: names no part")
