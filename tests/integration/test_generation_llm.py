"""The OpenAI-compatible generator against a real local chat-completions server (127.0.0.1,
port 0): the wire format, the evaluator refusing a wrong key, malformed and failed replies,
a timeout, no redirects, the size cap, and the key never in logs, errors or reprs."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, MutableMapping
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import SecretStr
from structlog.testing import capture_logs

from attune.content.checking import MathPool
from attune.content.generation import (
    Evaluator,
    GeneratedItem,
    GenerationError,
    GenerationRequest,
    GeneratorSettings,
    InMemoryGeneratedBank,
    InMemoryTerminologyRegistry,
    OpenAICompatibleGenerator,
    RefusedItemError,
    Terminology,
    admit,
    review,
)
from attune.content.model import ContentSkill
from tests.support.openai_server import PATH, OpenAIServer

pytestmark = pytest.mark.integration

KEY = "sk-test-7f3a9c1e5b2d4f60a8e1c3b5d7f9a2c4"
NOW = datetime(2026, 11, 1, 9, 30, tzinfo=UTC)
SKILL = ContentSkill("whole-add", "Adding whole numbers")
TERMS = Terminology(
    "arithmetic",
    {"sum": "the result of adding", "numerator": "the top of a fraction"},
    {"top number": "numerator"},
)


@pytest.fixture(scope="module")
def maths() -> Iterator[MathPool]:
    pool = MathPool(size=1, timeout_s=20.0)
    yield pool
    pool.close()


@pytest.fixture
def server() -> Iterator[OpenAIServer]:
    with OpenAIServer(key=KEY) as running:
        yield running


def _generator(
    server: OpenAIServer, *, key: str = KEY, timeout_s: float = 10.0, **kw: bool
) -> OpenAICompatibleGenerator:
    settings = GeneratorSettings(
        enabled=kw.get("enabled", True),
        base_url=server.base_url,
        model="test-model",
        api_key=SecretStr(key),
        timeout_s=timeout_s,
    )
    return OpenAICompatibleGenerator(settings, clock=lambda: NOW)


def _request(seed: int = 7, item_type: str | None = None) -> GenerationRequest:
    return GenerationRequest(
        tenant="school-1",
        course_id="maths-7",
        skill=SKILL,
        subject="arithmetic",
        seed=seed,
        level=1,
        item_type=item_type,  # type: ignore[arg-type]
        terminology=TERMS,
    )


def test_happy_path_speaks_chat_completions_and_passes_the_evaluator(
    server: OpenAIServer, maths: MathPool
) -> None:
    generated = _generator(server).generate(_request(seed=7))

    (sent,) = server.requests
    assert sent.path == PATH
    assert sent.headers["Authorization"] == f"Bearer {KEY}"
    assert sent.headers["Content-Type"] == "application/json"
    body = sent.body
    assert body["model"] == "test-model" and body["seed"] == 7
    assert body["response_format"] == {"type": "json_object"}
    assert 0 <= body["temperature"] <= 2
    assert [m["role"] for m in body["messages"]] == ["system", "user"]
    user = body["messages"][1]["content"]
    assert "Use these terms:" in user and "- sum: the result of adding" in user
    assert 'never say "top number"; say "numerator"' in user
    assert KEY not in json.dumps(body)

    assert generated.item.type == "numeric"
    assert generated.item.stem_html == "<p>What is the sum of 9 and 3?</p>"
    assert generated.item.numeric_answers[0].value == 12
    assert generated.provenance.generator == "openai-compatible"
    assert generated.provenance.model == "test-model-2026-01-01"  # as the server reported it
    assert generated.provenance.seed == 7 and generated.provenance.created_at == NOW
    digest = hashlib.sha256(
        json.dumps(body["messages"], sort_keys=True, ensure_ascii=False).encode()
    ).hexdigest()
    assert generated.provenance.prompt_digest == digest
    assert generated.terminology_used == ("sum",)

    reviewed = review(generated, Evaluator(maths))
    verdict = reviewed.provenance.verdict
    assert verdict is not None and verdict.accepted, verdict
    assert verdict.verified_by == ("sympy: the key equals 9 + 3",)
    bank = InMemoryGeneratedBank()
    bank.put(admit(reviewed, at=NOW))
    assert [e.item_id for e in bank.list("school-1", "maths-7", status="active")] == [
        reviewed.item_id
    ]


@pytest.mark.parametrize("item_type", ["numeric", "choice", "math"])
def test_each_type_the_server_makes_is_accepted(
    server: OpenAIServer, maths: MathPool, item_type: str
) -> None:
    generated = _generator(server).generate(_request(seed=123, item_type=item_type))
    assert generated.item.type == item_type
    verdict = Evaluator(maths).evaluate(generated)
    assert verdict.accepted, verdict.reasons


@pytest.mark.parametrize(
    ("item_type", "reason"),
    [
        ("numeric", "the key 13.0 is not 9 + 3"),
        ("choice", "choices[0]: a distractor that is also right (9 + 3)"),
        ("math", "the key 9x + 28 is not equal to 9(x + 3)"),
    ],
)
def test_a_wrong_answer_is_refused_by_the_evaluator_and_kept_out_of_the_bank(
    server: OpenAIServer, maths: MathPool, item_type: str, reason: str
) -> None:
    server.mode = "wrong_answer"
    generated = review(_generator(server).generate(_request(7, item_type)), Evaluator(maths))
    verdict = generated.provenance.verdict
    assert verdict is not None and not verdict.accepted
    assert reason in verdict.reasons
    with pytest.raises(RefusedItemError, match="was refused"):
        admit(generated, at=NOW)


def test_an_avoided_term_is_flagged(server: OpenAIServer, maths: MathPool) -> None:
    server.mode = "avoided_term"
    generated = _generator(server).generate(_request())
    registry = InMemoryTerminologyRegistry()
    registry.put("school-1", TERMS)
    verdict = Evaluator(maths, terminology=registry).evaluate(generated)
    assert verdict.accepted
    assert verdict.warnings == ("terminology: says 'top number'; the course says 'numerator'",)


@pytest.mark.parametrize(
    ("mode", "message"),
    [
        ("malformed", "the reply is not JSON"),
        ("missing_field", "field 'solution': missing"),
        ("unknown_field", "field 'confidence': unknown field"),
        ("error_500", "the server answered HTTP 500"),
        ("redirect", "the server answered HTTP 307"),
        ("huge", "larger than 262144 bytes"),
    ],
)
def test_bad_replies_are_generation_errors(server: OpenAIServer, mode: str, message: str) -> None:
    server.mode = mode
    with pytest.raises(GenerationError, match=message):
        _generator(server).generate(_request())
    assert [r.path for r in server.requests] == [PATH]  # a redirect is never followed


def test_a_reply_slower_than_the_timeout_is_a_generation_error(server: OpenAIServer) -> None:
    server.mode = "slow"
    try:
        with pytest.raises(GenerationError, match=r"timed out"):
            _generator(server, timeout_s=0.3).generate(_request())
    finally:
        server.release.set()  # the held reply goes to a client that has left
    assert len(server.requests) == 1


def test_a_wrong_key_is_refused_by_the_server(server: OpenAIServer) -> None:
    with pytest.raises(GenerationError, match="HTTP 401"):
        _generator(server, key="sk-wrong").generate(_request())


def test_disabled_generation_sends_nothing(server: OpenAIServer) -> None:
    with pytest.raises(GenerationError, match="not enabled"):
        _generator(server, enabled=False).generate(_request())
    assert server.requests == []


def _every_log_and_error(server: OpenAIServer) -> tuple[list[MutableMapping[str, Any]], list[str]]:
    errors: list[str] = []
    with capture_logs() as logs:
        generator = _generator(server)
        generator.generate(_request())
        for mode in ("malformed", "error_500", "unknown_field"):
            server.mode = mode
            with pytest.raises(GenerationError) as caught:
                generator.generate(_request())
            errors += [str(caught.value), repr(caught.value), str(caught.value.__cause__)]
        errors += [repr(generator), repr(generator._settings), str(generator._settings)]
    return logs, errors


def test_the_key_is_never_in_logs_errors_or_reprs(server: OpenAIServer) -> None:
    logs, errors = _every_log_and_error(server)
    events = [entry["event"] for entry in logs]
    assert events.count("item_generated") == 1
    assert events.count("item_generation_failed") == 3
    assert all(entry.get("host") == "127.0.0.1" for entry in logs)
    rendered = repr(logs) + "\n".join(errors)
    assert KEY not in rendered and KEY[3:15] not in rendered
    assert "**********" in repr(_generator(server)._settings)  # the SecretStr mask


def test_the_same_reply_gives_the_same_item_id(server: OpenAIServer) -> None:
    first: GeneratedItem = _generator(server).generate(_request(seed=11))
    again = _generator(server).generate(_request(seed=11))
    other = _generator(server).generate(_request(seed=12))
    assert first.item_id == again.item_id != other.item_id
