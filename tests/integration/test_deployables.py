"""The two deployables apart (issue 12): ``attune engine`` and ``attune gateway`` as separate
processes, the gateway dialling the engine's address, serve the practice page end to end with
a store each; a gateway given an engine address it cannot dial, or a port in use, refuses to
start, naming it. And what each command imports: building the parser imports none of the
project's packages, and starting the engine (alone or under ``attune serve``) imports no
training code."""

from __future__ import annotations

import json
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path

import grpc
import pytest
import requests

from attune.engine.v1 import events_pb2, events_pb2_grpc
from tests.support.gateway_stack import FAST, answer, data, right_answer, token_of
from tests.support.serve_proc import (
    GatewayProcess,
    attune_env,
    await_line,
    start_engine,
    start_gateway,
)

pytestmark = [pytest.mark.integration, pytest.mark.slow]

READER = "test-reader-token"
TRAINING = {"models", "pyBKT", "torch", "sklearn", "pandas"}


def _events(target: str) -> list[events_pb2.LoggedResponse]:
    with grpc.insecure_channel(target) as channel:
        reply = events_pb2_grpc.EventServiceStub(channel).ListEvents(
            events_pb2.ListEventsRequest(),
            metadata=(("authorization", f"Bearer {READER}"),),
            timeout=10,
        )
    return list(reply.events)


def _free_port() -> int:
    with socket.create_server(("127.0.0.1", 0)) as sock:
        return int(sock.getsockname()[1])


def test_engine_and_gateway_apart_serve_the_practice_page(tmp_path: Path) -> None:
    # The production wiring: the gateway mints its engine tokens (the default), and the engine
    # trusts the gateway's JWKS (README, Partner apps). The engine does not take the gateway's
    # static dev-token: its one static token is this test's, to read the event log.
    port = _free_port()
    trust = {
        "ATTUNE_AUTH__JWKS_URL": f"http://127.0.0.1:{port}/lti/jwks",
        "ATTUNE_AUTH__ISSUER": f"http://127.0.0.1:{port}",
        "ATTUNE_AUTH__TOKENS": json.dumps({READER: "default"}),
    }
    engine = start_engine(tmp_path / "engine", command="engine", env={**FAST, **trust})
    gateway: GatewayProcess | None = None
    try:
        gateway = start_gateway(engine.target, tmp_path / "gateway", "--port", str(port), env=FAST)
        http = requests.Session()
        page = http.get(gateway.url + "/demo", timeout=10)
        assert page.status_code == 200 and "/practice/" in page.url, page.text
        reply = answer(http, gateway.url, token_of(page), page.text, right_answer(page.text))
        assert reply.status_code == 200 and 'data-result="right"' in reply.text
        # The engine recorded the answer, from the gateway in another process.
        [event] = _events(engine.target)
        assert event.response.item_id == data(page.text, "item")
        assert event.response.course_id == "demo"
        assert event.response.score == 1.0
        # A store each: the engine's log under its data dir, the gateway's state under its own.
        assert (tmp_path / "engine" / "attune.db").exists()
        assert not (tmp_path / "engine" / "gateway.db").exists()
        assert (tmp_path / "gateway" / "gateway.db").exists()
        assert not (tmp_path / "gateway" / "attune.db").exists()
        assert gateway.terminate() == 0, "\n".join(gateway.log_tail)
        assert engine.terminate() == 0, "\n".join(engine.log_tail)
    finally:
        for process in (gateway, engine):
            if process is not None and process.proc.poll() is None:
                process.kill()


def _gateway(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``attune gateway`` expected to stop on its own."""
    return subprocess.run(
        [sys.executable, "-m", "attune", "gateway", *args],
        capture_output=True,
        text=True,
        env=attune_env(env),
        timeout=60,
    )


def _refused(result: subprocess.CompletedProcess[str], *messages: str) -> None:
    assert result.returncode == 2, result.stderr
    for message in messages:
        assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert "listening" not in result.stdout


@pytest.mark.parametrize(
    "address", ["not-an-address", "127.0.0.1", "127.0.0.1:0", "127.0.0.1:99999", "::1:50051"]
)
def test_a_malformed_engine_address_stops_the_gateway_naming_it(
    tmp_path: Path, address: str
) -> None:
    result = _gateway("--engine-address", address, "--port", "0", "--data-dir", str(tmp_path))
    _refused(
        result,
        "attune: bad settings",
        "engine_address",
        f"{address!r} is not an engine address: expected host:port (e.g. 127.0.0.1:50051)",
    )
    assert not (tmp_path / "gateway.db").exists()  # nothing was opened


def test_the_engine_address_comes_from_the_environment_too(tmp_path: Path) -> None:
    env = {"ATTUNE_GATEWAY__ENGINE_ADDRESS": "engine.internal:port"}
    result = _gateway("--port", "0", "--data-dir", str(tmp_path), env=env)
    _refused(result, "'engine.internal:port' is not an engine address")


def test_a_gateway_port_in_use_stops_the_gateway_naming_it(tmp_path: Path) -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        result = _gateway(
            "--engine-address", "127.0.0.1:1", "--port", str(port), "--data-dir", str(tmp_path)
        )
    _refused(result, f"attune: cannot listen on 127.0.0.1:{port} (gateway): Address already in use")


def test_an_unusable_gateway_store_stops_the_gateway_naming_it(tmp_path: Path) -> None:
    url = "redis://:hunter2@127.0.0.1:1/0"  # nothing listens on port 1
    result = _gateway("--engine-address", "127.0.0.1:50051", "--port", "0", "--store", url)
    _refused(result, "attune: gateway store", "127.0.0.1:1")
    assert "hunter2" not in result.stderr  # the password is masked


# -- what each command imports ------------------------------------------------------------

_PROJECT = {"models", "gateway", "engine", "integrations", "content", *TRAINING}


def test_building_the_parser_imports_none_of_the_project() -> None:
    probe = (
        "import sys\n"
        "from attune.cli import build_parser\n"
        "build_parser().parse_args(['serve', '--port', '0'])\n"
        "print(sorted(m for m in sys.modules\n"
        f"    if m.removeprefix('attune.').split('.')[0] in {sorted(_PROJECT)!r}))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


_IMPORTED = re.compile(r"^import time:\s+\d+ \|\s+\d+ \|\s+(\S+)\s*$", re.MULTILINE)


def _imported_while_serving(command: str, tmp_path: Path) -> set[str]:
    """The modules ``attune <command>`` imported from its start until it stopped
    (``python -X importtime`` lists each one on stderr)."""
    gateway = ["--gateway-port", "0"] if command == "serve" else []
    args = [command, "--port", "0", "--data-dir", str(tmp_path / "data"), *gateway]
    stderr = tmp_path / "stderr.txt"
    with stderr.open("w") as sink:
        proc = subprocess.Popen(
            [sys.executable, "-X", "importtime", "-m", "attune", *args],
            stdout=subprocess.PIPE,
            stderr=sink,
            text=True,
            env=attune_env(FAST),
        )
        try:
            # serve's last line is the gateway's: then it is ready for SIGTERM
            last = "gateway" if command == "serve" else "engine"
            await_line(proc, re.compile(rf"{last} listening on"), 60)
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(20) == 0, stderr.read_text()[-2000:]
        finally:
            if proc.poll() is None:
                proc.kill()
    modules = set(_IMPORTED.findall(stderr.read_text()))
    assert "attune.engine.main" in modules  # the probe sees the run path
    return modules


@pytest.mark.parametrize("command", ["engine", "serve"])
def test_serving_imports_no_training_code(tmp_path: Path, command: str) -> None:
    modules = _imported_while_serving(command, tmp_path)
    assert not {m for m in modules if _top(m) in TRAINING}
    if command == "engine":
        assert not {m for m in modules if _top(m) in {"gateway", "integrations"}}


def _top(module: str) -> str:
    """The card's folder (or a third-party package) a module belongs to."""
    return module.removeprefix("attune.").split(".")[0]
