"""``attune serve`` started as a new user would: a port or a data dir that another process
holds stops the start with exit status 2 and a message naming it, never a traceback; the
development credentials are warned about (issue 11 items 19, 20 and 21)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from structlog.testing import capture_logs

from attune.gateway.server import DEV_INGEST_TOKEN, start_gateway
from attune.gateway.settings import GatewaySettings
from attune.integrations.edges import gateway_edges
from tests.support.serve_proc import NO_DKT, EngineProcess, start_engine

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture(scope="module")
def running_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("running")


@pytest.fixture(scope="module")
def running(running_dir: Path) -> Iterator[EngineProcess]:
    """One ``attune serve`` (engine and gateway) holding its ports and its data dir."""
    engine = start_engine(running_dir, env=NO_DKT)
    yield engine
    assert engine.terminate() == 0, "\n".join(engine.log_tail)


def _serve(*args: str) -> subprocess.CompletedProcess[str]:
    """A second ``attune serve`` that is expected to stop on its own."""
    env = {**os.environ, **NO_DKT, "ATTUNE_LOG_FORMAT": "json", "ATTUNE_LOG_LEVEL": "warning"}
    return subprocess.run(
        [sys.executable, "-m", "attune", "serve", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


def _still_serving(engine: EngineProcess) -> bool:
    with grpc.insecure_channel(engine.target) as channel:
        reply = health_pb2_grpc.HealthStub(channel).Check(
            health_pb2.HealthCheckRequest(), timeout=10
        )
    return reply.status == health_pb2.HealthCheckResponse.SERVING


def _starts_again(data_dir: Path) -> None:
    """A new ``attune serve`` on ``data_dir`` starts and serves (its lock was released)."""
    again = start_engine(data_dir, env=NO_DKT)
    try:
        assert _still_serving(again)
    finally:
        again.kill()


def _refused(result: subprocess.CompletedProcess[str], message: str) -> None:
    assert result.returncode == 2, result.stderr
    assert f"attune: {message}" in result.stderr
    assert "Traceback" not in result.stderr
    assert "gateway listening" not in result.stdout


def test_a_data_dir_in_use_stops_the_start_naming_it(
    running: EngineProcess, running_dir: Path
) -> None:
    result = _serve("--port", "0", "--gateway-port", "0", "--data-dir", str(running_dir))
    _refused(
        result,
        f"another engine process holds the embedded store at {running_dir / 'attune.db'}; "
        "stop it or choose another --data-dir",
    )
    assert _still_serving(running)


def test_a_grpc_port_in_use_stops_the_start_naming_it(
    running: EngineProcess, tmp_path: Path
) -> None:
    result = _serve("--port", str(running.port), "--gateway-port", "0", "--data-dir", str(tmp_path))
    _refused(
        result,
        f"cannot listen on 127.0.0.1:{running.port} (gRPC): the address is in use or not available",
    )
    assert _still_serving(running)
    # The refused engine let go of its own data dir: a next start there works.
    _starts_again(tmp_path)


def test_a_gateway_port_in_use_stops_the_start_naming_it(tmp_path: Path) -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        result = _serve("--port", "0", "--gateway-port", str(port), "--data-dir", str(tmp_path))
    _refused(result, f"cannot listen on 127.0.0.1:{port} (gateway): Address already in use")
    # The engine that had started was stopped and its data dir released.
    _starts_again(tmp_path)


@pytest.mark.parametrize(
    ("tokens", "warned"),
    [(None, True), ({"a-long-random-production-token": "default"}, False)],
)
def test_the_default_ingest_token_is_warned_about(
    tmp_path: Path, tokens: dict[str, str] | None, warned: bool
) -> None:
    settings = GatewaySettings(
        port=0,
        data_dir=tmp_path,
        engine_address="127.0.0.1:1",
        **({"ingest_tokens": tokens} if tokens else {}),
    )
    assert (DEV_INGEST_TOKEN in settings.ingest_tokens) == warned  # the default carries it
    with capture_logs() as logs:
        gateway = start_gateway(settings, gateway_edges())
        gateway.stop()
    events = [e for e in logs if e["log_level"] == "warning"]
    assert "gateway.dev_admin_token" in {e["event"] for e in events}
    assert ("gateway.dev_ingest_token" in {e["event"] for e in events}) == warned
    assert all(DEV_INGEST_TOKEN not in repr(e) for e in logs)  # the token itself is not logged
