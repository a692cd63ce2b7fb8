"""Token pages leak their token nowhere (issue 11, item 15): not into any log line of a real
``attune serve`` (structlog's, waitress's or Flask's), not as a Referer, not into a cache; and
each page's CSP allows exactly what the page needs, framed by the LMS."""

from __future__ import annotations

import base64
import hashlib
import logging
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
import structlog
from flask import render_template
from structlog.testing import capture_logs

from attune.gateway.app import build_gateway, create_app
from attune.gateway.engine_client import GrpcEngineClient
from attune.gateway.ports import Registration
from attune.gateway.settings import GatewaySettings
from attune.gateway.stores import open_stores
from attune.gateway.web.redact import REDACTED, RedactingFilter, redact, redact_event
from attune.integrations.edges import gateway_edges
from tests.support.gateway_stack import (
    Stack,
    answer,
    field,
    right_answer,
    running_stack,
    token_of,
    wait_for,
)
from tests.support.lti_platform import PlatformEmulator
from tests.support.lti_platform_spec import MESSAGE_DEEP_LINKING, ROLE_INSTRUCTOR

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    # Info level: the request log lines are the ones that carry paths.
    with running_stack(tmp_path_factory.mktemp("stack"), {"ATTUNE_LOG_LEVEL": "info"}) as s:
        yield s


def _csp(reply: requests.Response) -> dict[str, str]:
    policy = reply.headers["Content-Security-Policy"]
    return {d.split(" ", 1)[0]: d.split(" ", 1)[1] for d in policy.split("; ")}


def _assert_private(reply: requests.Response) -> None:
    assert reply.headers["Referrer-Policy"] == "no-referrer"
    assert reply.headers["Cache-Control"] == "no-store"
    assert reply.headers["X-Content-Type-Options"] == "nosniff"


def _sha256(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def _assert_page_policy(reply: requests.Response) -> None:
    """A page of ours: exactly its own inline style by hash, no script, forms to itself."""
    _assert_private(reply)
    csp = _csp(reply)
    [style] = re.findall(r"<style>(.*?)</style>", reply.text, re.S)
    assert csp["default-src"] == "'none'"
    assert csp["style-src"] == f"'self' {_sha256(style)}"
    assert csp["script-src"] == "'none'" and "<script" not in reply.text
    assert csp["form-action"] == "'self'"
    assert csp["frame-ancestors"] == "*"  # the LMS frames it
    assert csp["base-uri"] == "'none'"
    assert "unsafe" not in reply.headers["Content-Security-Policy"]
    assert ' style="' not in reply.text  # no inline style attributes the CSP would block


@pytest.mark.slow
def test_a_practice_session_keeps_its_token_out_of_every_log_line(stack: Stack) -> None:
    http = requests.Session()
    page = http.get(f"{stack.url}/demo", timeout=20)
    assert page.status_code == 200 and page.history, page.text
    token = token_of(page)
    assert len(token) >= 20
    _assert_private(page.history[0])  # the redirect's Location carries the token
    _assert_page_policy(page)

    reply = answer(http, stack.url, token, page.text, right_answer(page.text))
    assert reply.status_code == 200 and "data-result" in reply.text
    _assert_page_policy(reply)
    refused = http.post(
        f"{stack.url}/practice/{token}/answer", data={"event_id": "nope", "answer": "1"}, timeout=20
    )
    assert 400 <= refused.status_code < 500
    _assert_private(refused)
    assert "Content-Security-Policy" in refused.headers
    lost = http.get(f"{stack.url}/practice/{token}/nowhere?token={token}", timeout=20)
    assert lost.status_code in (404, 405)

    lines = stack.engine.log_tail
    wait_for(lambda: any("/practice/[redacted]/answer" in line for line in lines))
    assert not [line for line in list(lines) if token in line]


@pytest.mark.slow
def test_the_deep_linking_pages_allow_exactly_their_form_and_script(stack: Stack) -> None:
    with PlatformEmulator() as lms:
        stack.connect(lms)
        http = requests.Session()
        picker = lms.launch(
            http, message_type=MESSAGE_DEEP_LINKING, roles=[ROLE_INSTRUCTOR], sub="teacher-9"
        )
        assert picker.status_code == 200, picker.text
        _assert_page_policy(picker)
        form = http.post(
            f"{stack.url}/lti/deep-link/{token_of(picker)}",
            data={"course_id": "demo", "title": "CSP"},
            timeout=10,
        )
        assert form.status_code == 200 and field(form.text, "JWT")
        _assert_private(form)
        csp = _csp(form)
        [script] = re.findall(r"<script>(.*?)</script>", form.text, re.S)
        assert csp["script-src"] == _sha256(script)
        action = urlsplit(re.search(r'action="([^"]+)"', form.text).group(1))  # type: ignore[union-attr]
        assert csp["form-action"] == f"{action.scheme}://{action.netloc}"
        assert csp["frame-ancestors"] == "*"


# -- the redaction itself -----------------------------------------------------------------------

TOKEN = "Zx9_secret-Token.42"


@pytest.mark.parametrize(
    "text",
    [
        f"/practice/{TOKEN}/answer",
        f"POST /instructor/{TOKEN}/sync",
        f"http://gw/lti/deep-link/{TOKEN}",
        f"/lti/register/{TOKEN}?openid_configuration=x&registration_token={TOKEN}",
        f"Authorization: Bearer {TOKEN}",
        f"id_token={TOKEN}&state=1",
    ],
)
def test_token_bearing_text_is_redacted(text: str) -> None:
    redacted = redact(text)
    assert TOKEN not in redacted and REDACTED in redacted


def test_structlog_lines_and_stdlib_records_are_redacted(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with capture_logs(processors=[redact_event]) as logs:
        structlog.get_logger("t").info(
            "http.request", path=f"/practice/{TOKEN}/answer", urls=[f"/instructor/{TOKEN}"]
        )
    assert TOKEN not in repr(logs) and logs[0]["path"] == "/practice/[redacted]/answer"

    logger = logging.getLogger("waitress.test-redaction")
    logger.addFilter(RedactingFilter())
    try:
        raise RuntimeError(f"failed on /practice/{TOKEN}")
    except RuntimeError:
        with caplog.at_level(logging.ERROR, logger="waitress.test-redaction"):
            logger.exception("Exception while serving %s", f"/practice/{TOKEN}/answer")
    [record] = caplog.records
    assert TOKEN not in record.getMessage() and TOKEN not in (record.exc_text or "")
    assert "/practice/[redacted]" in caplog.text
    assert TOKEN not in caplog.text


def test_unrelated_text_is_left_alone() -> None:
    assert redact("course.put course_id=demo /healthz") == "course.put course_id=demo /healthz"


def test_the_registration_pages_script_is_allowed_by_its_hash(tmp_path: Path) -> None:
    settings = GatewaySettings()
    store, statements = open_stores("", tmp_path)
    engine = GrpcEngineClient("127.0.0.1:1", settings.engine_tokens)
    app = create_app(
        build_gateway(settings, store, engine, "http://gw", statements, gateway_edges())
    )
    registration = Registration("t", "https://lms", "c", "https://lms/a", "https://lms/t", "k")
    with app.test_request_context():
        page = render_template("registered.html", registration=registration)
    [script] = re.findall(r"<script>(.*?)</script>", page, re.S)
    assert app.extensions["attune.csp"].scripts["lti.dynamic_registration"] == _sha256(script)
    store.close()
    statements.close()
    engine.close()
