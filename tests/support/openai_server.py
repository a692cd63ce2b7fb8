"""A local OpenAI-compatible chat-completions server for the generation tests.

A real HTTP server (``http.server`` in a thread) on 127.0.0.1, port 0. It speaks the Chat
Completions wire format (OpenAI API reference, "Create chat completion"):
``POST /v1/chat/completions`` with ``Authorization: Bearer <key>`` (else 401 with an
``error`` object, as OpenAI answers), and a reply whose ``choices[0].message.content`` is a
JSON item built deterministically from the request: the user message's variation seed picks
the numbers and its ``Item type:`` line the type (numeric, choice or math).

``mode`` makes it misbehave: ``wrong_answer`` (a key that is not the computation),
``malformed`` (content that is not JSON), ``missing_field``, ``unknown_field``,
``error_500``, ``slow`` (the reply waits for :attr:`release`), ``redirect`` (307 elsewhere),
``huge`` (a reply past any sane size cap) and ``avoided_term`` (says "top number"). Every
request is recorded (path, headers, body) for the tests to assert on.
"""

from __future__ import annotations

import json
import re
import sys
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

MODES = (
    "ok",
    "wrong_answer",
    "malformed",
    "missing_field",
    "unknown_field",
    "error_500",
    "slow",
    "redirect",
    "huge",
    "avoided_term",
)
PATH = "/v1/chat/completions"
SLOW_LIMIT_S = 30.0  # a held reply is released by the test, or by stop(), or after this


@dataclass
class Recorded:
    """One request as the server received it."""

    path: str
    headers: dict[str, str]
    body: Any


def _user_line(body: Any, prefix: str) -> str:
    messages = body.get("messages", []) if isinstance(body, dict) else []
    text = "\n".join(m.get("content", "") for m in messages if m.get("role") == "user")
    found = re.search(rf"^{re.escape(prefix)}\s*(.*)$", text, re.MULTILINE)
    return found.group(1) if found else ""


def build_item(body: Any, mode: str) -> dict[str, Any]:
    """The item the server answers ``body`` with (deterministic in the request's seed)."""
    seed_text = _user_line(body, "Variation seed:").split(" ")[0]
    seed = int(seed_text) if seed_text.isdigit() else 0
    a, b = 2 + seed % 50, 3 + (seed // 50) % 40
    wrong = 1 if mode == "wrong_answer" else 0
    kind = _user_line(body, "Item type:").split(" ")[0]
    common: dict[str, Any] = {
        "hints": ["Add the tens, then the ones."],
        "solution": f"{a} + {b} = {a + b}.",
        "terminology_used": ["sum"],
    }
    item: dict[str, Any]
    if kind == "choice":
        options = [a + b, a + b + 1, a + b - 1, a + b + 10]
        item = {
            "type": "choice",
            "stem": f"Which number is the sum of {a} and {b}?",
            "choices": [
                {"text": str(v), "correct": i == wrong, "feedback": "Check the ones digit."}
                for i, v in enumerate(options)
            ],
            "answer": str(options[wrong]),
            "computation": f"{a} + {b}",
        }
    elif kind == "math":
        item = {
            "type": "math",
            "stem": f"Expand {a}(x + {b}).",
            "answer": f"{a}x + {a * b + wrong}",
            "check_expression": f"{a}(x + {b})",
        }
    else:
        item = {
            "type": "numeric",
            "stem": f"What is the sum of {a} and {b}?",
            "answer": a + b + wrong,
            "computation": f"{a} + {b}",
        }
    item.update(common)
    if mode == "missing_field":
        del item["solution"]
    if mode == "unknown_field":
        item["confidence"] = 0.9
    if mode == "avoided_term":
        item["stem"] = f"The top number of a fraction is {a}. {item['stem']}"
    return item


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet: the tests assert on what was recorded instead

    def _send(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:
        owner = self.server.owner
        length = int(self.headers.get("Content-Length", "0"))
        raw = self.rfile.read(length)
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        owner.requests.append(Recorded(self.path, dict(self.headers.items()), body))
        if self.path != PATH:
            self._send(404, {"error": {"message": "not found", "type": "invalid_request_error"}})
            return
        if self.headers.get("Authorization") != f"Bearer {owner.key}":
            error = {"message": "Incorrect API key provided.", "type": "invalid_request_error"}
            self._send(401, {"error": {**error, "code": "invalid_api_key"}})
            return
        mode = owner.mode
        if mode == "error_500":
            self._send(
                500, {"error": {"message": "The server had an error.", "type": "server_error"}}
            )
            return
        if mode == "redirect":
            self._send(307, {}, {"Location": "/v1/elsewhere/chat/completions"})
            return
        if mode == "slow":
            owner.release.wait(SLOW_LIMIT_S)
        self._send(200, owner.reply(body))


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    owner: OpenAIServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that gave up (the timeout test) has closed its socket before the held
        # reply is written: expected. Anything else is a bug in this server, reported.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


@dataclass
class OpenAIServer:
    """The server; use as a context manager (started on enter, stopped on exit)."""

    key: str
    model_version: str = "2026-01-01"
    mode: str = "ok"
    requests: list[Recorded] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        """The API root a client is configured with (``.../v1``)."""
        assert self._server is not None, "the server is not started"
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def reply(self, body: Any) -> bytes:
        """The chat-completion reply to ``body`` in the current mode."""
        model = body.get("model", "") if isinstance(body, dict) else ""
        if self.mode == "malformed":
            content = '{"type": "numeric", "stem": "What is'
        else:
            content = json.dumps(build_item(body, self.mode))
        reply: dict[str, Any] = {
            "id": f"chatcmpl-test-{len(self.requests)}",
            "object": "chat.completion",
            "created": 1_780_000_000,
            "model": f"{model}-{self.model_version}",
            "system_fingerprint": "fp_attune_test",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content},
                    "finish_reason": "stop",
                }
            ],
            "usage": {"prompt_tokens": 100, "completion_tokens": 50, "total_tokens": 150},
        }
        if self.mode == "huge":
            reply["padding"] = "x" * (1024 * 1024)
        return json.dumps(reply).encode()

    def start(self) -> OpenAIServer:
        """Listen on a free loopback port and serve in a daemon thread."""
        if self.mode not in MODES:
            raise ValueError(f"unknown mode {self.mode!r}")
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.owner = self
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="openai-test-server", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Release held replies, stop serving and close the socket."""
        self.release.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def __enter__(self) -> OpenAIServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
