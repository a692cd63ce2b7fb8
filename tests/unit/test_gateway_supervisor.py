"""The pure parts of ``attune gateway --workers N`` (gateway/supervisor.py): the shared-store
check, the flags and the environment passed on to the workers."""

from __future__ import annotations

from pathlib import Path

import pytest

from attune.cli import build_parser
from attune.gateway.settings import GatewaySettings
from attune.gateway.supervisor import check_shared_store, worker_command, worker_env
from attune.infra.supervisor import SupervisorStartupError
from attune.settings import gateway_flags


def test_more_than_one_gateway_worker_needs_redis() -> None:
    check_shared_store(GatewaySettings(), 1)
    check_shared_store(GatewaySettings(store_url="redis://r:6379/1"), 4)
    check_shared_store(GatewaySettings(store_url="rediss://r:6380/1"), 2)
    with pytest.raises(SupervisorStartupError, match=r"embedded gateway\.db under /srv/a"):
        check_shared_store(GatewaySettings(data_dir=Path("/srv/a")), 2)


def test_the_gateway_workers_get_the_flags_given_and_the_real_port() -> None:
    args = build_parser("gateway").parse_args(
        [
            "gateway",
            "--workers",
            "3",
            "--store",
            "redis://r/1",
            "--engine-address",
            "engine:50051",
            "--port",
            "0",
            "--log-level",
            "debug",
        ]
    )
    assert args.workers == 3
    flags = gateway_flags(args)
    assert flags == [
        "--engine-address",
        "engine:50051",
        "--store",
        "redis://r/1",
        "--log-level",
        "debug",
    ]
    command = worker_command(flags, 8123)
    assert command[-4:-2] == ["--log-level", "debug"] and command[-2:] == ["--port", "8123"]
    assert command[2:4] == ["attune", "gateway"]


def test_each_gateway_worker_shares_the_port_and_knows_its_index(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    env = worker_env(1)
    assert env["ATTUNE_GATEWAY__REUSE_PORT"] == "true"
    assert env["ATTUNE_GATEWAY__WORKER_INDEX"] == "1"
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    settings = GatewaySettings()
    assert settings.reuse_port and settings.worker == 1
    assert GatewaySettings(reuse_port=False).worker is None


@pytest.mark.parametrize("given", ["0", "65", "two"])
def test_gateway_workers_out_of_range_is_a_usage_error(given: str) -> None:
    with pytest.raises(SystemExit) as stopped:
        build_parser("gateway").parse_args(["gateway", "--workers", given])
    assert stopped.value.code == 2
