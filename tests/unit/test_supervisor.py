"""The pure parts of ``attune engine --workers N`` (engine/supervisor.py): the restart
backoff, the shared-store check, the flags passed on to the workers."""

from __future__ import annotations

import pytest

from attune.cli import build_parser
from attune.engine.settings import EngineSettings
from attune.engine.supervisor import (
    Backoff,
    SupervisorStartupError,
    check_shared_store,
    worker_command,
    worker_env,
)
from attune.settings import engine_flags


def test_backoff_doubles_per_quick_failure_up_to_the_cap_and_resets_after_a_stable_run() -> None:
    backoff = Backoff(base=0.5, cap=4.0, stable_s=60.0)
    assert [backoff.delay(n, ran_s=1.0) for n in range(1, 7)] == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]
    assert backoff.delay(9, ran_s=60.0) == 0.5


def test_more_than_one_worker_needs_redis() -> None:
    check_shared_store(EngineSettings(), 1)
    check_shared_store(EngineSettings(store_url="redis://r:6379/0"), 4)
    check_shared_store(EngineSettings(store_url="redis+cluster://r:7000"), 2)
    with pytest.raises(SupervisorStartupError, match="needs the Redis store"):
        check_shared_store(EngineSettings(data_dir="/srv/attune"), 2)
    with pytest.raises(SupervisorStartupError, match=r"sqlite:///x\.db belongs to one"):
        check_shared_store(EngineSettings(store_url="sqlite:///x.db"), 2)


def test_the_workers_get_the_flags_given_and_the_real_port() -> None:
    args = build_parser("engine").parse_args(
        [
            "engine",
            "--workers",
            "3",
            "--store",
            "redis://r/0",
            "--port",
            "0",
            "--no-demo",
            "--log-level",
            "debug",
        ]
    )
    assert args.workers == 3
    flags = engine_flags(args)
    assert flags == ["--store", "redis://r/0", "--no-demo", "--log-level", "debug"]
    assert worker_command(flags, 50051)[-2:] == ["--port", "50051"]


def test_each_worker_shares_the_port_and_has_its_own_metrics_port() -> None:
    settings = EngineSettings(store_url="redis://r/0", metrics_port=9464)
    env = worker_env(settings, 2)
    assert env["ATTUNE_REUSE_PORT"] == "true" and env["ATTUNE_WORKER_INDEX"] == "2"
    assert env["ATTUNE_METRICS_PORT"] == "9466"


@pytest.mark.parametrize("given", ["0", "65", "two"])
def test_workers_out_of_range_is_a_usage_error(given: str) -> None:
    with pytest.raises(SystemExit) as stopped:
        build_parser("engine").parse_args(["engine", "--workers", given])
    assert stopped.value.code == 2
