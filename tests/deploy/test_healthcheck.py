"""The image's HEALTHCHECK script (deploy/docker/healthcheck.py) against a real
``attune serve``: the gateway's /livez and the engine's gRPC health answer; a port nothing
listens on is unhealthy."""

from __future__ import annotations

import importlib.util
import signal
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import grpc
import pytest

from tests.deploy.support import DEPLOY
from tests.support.redis_server import free_port
from tests.support.serve_proc import _GATEWAY_LISTENING, NO_DKT, await_line, spawn

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture(scope="module")
def healthcheck() -> ModuleType:
    path = DEPLOY / "docker" / "healthcheck.py"
    spec = importlib.util.spec_from_file_location("healthcheck", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def ports(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, int]]:
    """A running ``attune serve``: its gRPC and HTTP ports."""
    grpc_port, http_port = free_port(), free_port()
    data = tmp_path_factory.mktemp("hc")
    args = ["serve", "--port", str(grpc_port), "--gateway-port", str(http_port)]
    proc = spawn([*args, "--data-dir", str(Path(data))], NO_DKT)
    await_line(proc, _GATEWAY_LISTENING, 60)  # the engine is up before its gateway
    yield grpc_port, http_port
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(30) == 0


def test_the_role_is_the_command_pid_1_runs(healthcheck: ModuleType) -> None:
    script = b"/opt/attune/bin/python3.11\0/opt/attune/bin/attune\0"
    assert healthcheck.role(script + b"gateway\0--port\x008000\0") == "gateway"
    assert healthcheck.role(script + b"engine\0--engine-address\0") == "engine"
    assert healthcheck.role(b"attune\0engine\0--host\0gateway\0") == "engine"


def test_both_deployables_are_healthy_while_they_answer(
    healthcheck: ModuleType, ports: tuple[int, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    grpc_port, http_port = ports
    monkeypatch.setenv("ATTUNE_PORT", str(grpc_port))
    monkeypatch.setenv("ATTUNE_GATEWAY__PORT", str(http_port))
    assert healthcheck.gateway_alive() is True
    assert healthcheck.engine_alive() is True


def test_a_port_nothing_answers_on_is_unhealthy(
    healthcheck: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ATTUNE_GATEWAY__PORT", str(free_port()))
    with pytest.raises(OSError):
        healthcheck.gateway_alive()
    monkeypatch.setenv("ATTUNE_PORT", str(free_port()))
    with pytest.raises(grpc.RpcError):
        healthcheck.engine_alive()
    # PID 1 here runs neither command, so the script checks the engine's port: unhealthy.
    assert healthcheck.main() == 1
