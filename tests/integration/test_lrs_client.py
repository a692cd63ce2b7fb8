"""The LRS client's protocol details over real HTTP: the xAPI version header per target,
Basic and OAuth2 client-credentials auth (the token fetched once, renewed after a 401), and
what each answer means for the outbox. The endpoint here is a minimal recorder: Ralph, the
real LRS of the other tests, offers no client-credentials grant."""

from __future__ import annotations

import base64
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask, jsonify, request
from werkzeug.serving import make_server

from attune.gateway.lrs.targets import LrsTarget
from attune.integrations.lrs.http import HttpLrsClient

pytestmark = pytest.mark.integration


class Recorder:
    """/token (client_secret_basic) and /xapi/statements, recording what arrives."""

    def __init__(self) -> None:
        self.tokens_issued = 0
        self.valid: set[str] = set()
        self.posts: list[dict[str, Any]] = []
        self.answer = 200
        app = Flask("lrs-recorder")

        @app.post("/token")
        def token() -> Any:
            expected = "Basic " + base64.b64encode(b"client-1:s3cret").decode()
            if request.headers.get("Authorization") != expected:
                return jsonify(error="invalid_client"), 401
            if request.form.get("grant_type") != "client_credentials":
                return jsonify(error="unsupported_grant_type"), 400
            self.tokens_issued += 1
            value = f"tok-{self.tokens_issued}"
            self.valid = {value}
            return jsonify(access_token=value, token_type="Bearer", expires_in=3600)

        @app.post("/xapi/statements")
        def statements() -> Any:
            self.posts.append({"headers": dict(request.headers), "body": request.get_json()})
            auth = request.headers.get("Authorization", "")
            basic = "Basic " + base64.b64encode(b"u:p").decode()
            if auth != basic and auth.removeprefix("Bearer ") not in self.valid:
                return jsonify(error="unauthorized"), 401
            return jsonify([s["id"] for s in request.get_json()]), self.answer

        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.base = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def lrs() -> Iterator[Recorder]:
    recorder = Recorder()
    yield recorder
    recorder.server.shutdown()


def _target(lrs: Recorder, **kw: Any) -> LrsTarget:
    kw.setdefault("name", "n")
    return LrsTarget(
        tenant="t",
        url=f"{lrs.base}/xapi",
        home_page="https://lms.example",
        activity_base="https://attune.example/xapi",
        **kw,
    )


STATEMENT = {"id": "0b9c9bd2-8f0c-4a8e-9d7a-3f7b0c2d1e11", "timestamp": "2026-11-28T05:00:00Z"}


def test_basic_auth_and_the_version_header_per_target(lrs: Recorder) -> None:
    client = HttpLrsClient()
    old = client.send(_target(lrs, username="u", password="p"), [STATEMENT])
    new = client.send(
        _target(lrs, username="u", password="p", xapi_version="2.0.0", name="v2"), [STATEMENT]
    )
    assert old.ok and new.ok
    versions = [p["headers"]["X-Experience-Api-Version"] for p in lrs.posts]
    assert versions == ["1.0.3", "2.0.0"]
    assert lrs.posts[0]["body"] == [STATEMENT]  # an array: one POST per batch


def test_oauth2_client_credentials_fetch_once_and_renew_after_a_401(lrs: Recorder) -> None:
    target = _target(
        lrs,
        auth="oauth2",
        token_url=f"{lrs.base}/token",
        client_id="client-1",
        client_secret="s3cret",
    )
    client = HttpLrsClient()
    assert client.send(target, [STATEMENT]).ok
    assert client.send(target, [STATEMENT]).ok
    assert lrs.tokens_issued == 1
    lrs.valid = set()  # the LRS revokes the token
    refused = client.send(target, [STATEMENT])
    assert refused.status == 401 and refused.retryable
    assert client.send(target, [STATEMENT]).ok  # the next try fetched a new token
    assert lrs.tokens_issued == 2


def test_answers_map_to_retry_or_poison(lrs: Recorder) -> None:
    client = HttpLrsClient()
    target = _target(lrs, username="u", password="p")
    lrs.answer = 503
    assert client.send(target, [STATEMENT]).retryable
    lrs.answer = 400
    result = client.send(target, [STATEMENT])
    assert not result.ok and not result.retryable
    # The same target with changed credentials: a new session, not the old one's auth.
    wrong = client.send(_target(lrs, username="u", password="nope"), [STATEMENT])
    assert wrong.status == 401 and wrong.retryable
    lrs.server.shutdown()
    down = client.send(target, [STATEMENT])
    assert down.status == 0 and down.retryable
