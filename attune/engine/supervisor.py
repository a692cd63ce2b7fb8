"""``attune engine --workers N``: one supervisor, N engine processes on one port (issue 17).

The supervision itself (the shared port, restarts with backoff, SIGTERM drain) is
:mod:`attune.infra.supervisor`, shared with ``attune gateway --workers N``. Here, what is the
engine's:

- The workers are ``attune engine`` processes with the same flags. They must share the Redis
  store; the embedded store belongs to one process (its lock says so), so N > 1 without Redis
  is refused before anything starts.
- SIGHUP (reload the DKT models) is passed on to every worker.
- Metrics: with ``ATTUNE_METRICS_PORT=P``, worker ``i`` (from 0) serves ``/metrics`` on
  ``P + i``. Each worker logs with ``worker=<i>``.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Sequence

from attune.engine.settings import EngineSettings
from attune.infra import supervisor as generic
from attune.infra.supervisor import Backoff, SupervisorStartupError

__all__ = [
    "LISTENING",
    "Backoff",
    "Supervisor",
    "SupervisorStartupError",
    "check_shared_store",
    "worker_command",
    "worker_env",
]

LISTENING = "attune engine listening on"


def check_shared_store(settings: EngineSettings, workers: int) -> None:
    """N > 1 workers need one shared store: Redis. Anything else is refused, naming why."""
    if workers > 1 and not settings.store_url.startswith("redis"):
        where = settings.store_url or f"the embedded store under {settings.data_dir}"
        raise SupervisorStartupError(
            f"--workers {workers} needs the Redis store (--store redis://host:port/db): "
            f"{where} belongs to one engine process"
        )


def worker_command(flags: Sequence[str], port: int) -> list[str]:
    """``attune engine`` with the supervisor's flags (``--port`` replaced by the real one)."""
    return [sys.executable, "-m", "attune", "engine", *flags, "--port", str(port)]


def worker_env(settings: EngineSettings, index: int) -> dict[str, str]:
    """The worker's environment: the supervisor's, sharing the port, its own metrics port."""
    env = dict(os.environ)
    env["ATTUNE_REUSE_PORT"] = "true"
    env["ATTUNE_WORKER_INDEX"] = str(index)
    if settings.metrics_port:
        env["ATTUNE_METRICS_PORT"] = str(settings.metrics_port + index)
    return env


class Supervisor(generic.Supervisor):
    """N ``attune engine`` workers; :meth:`run` refuses N > 1 without Redis first."""

    def __init__(
        self,
        settings: EngineSettings,
        flags: Sequence[str],
        workers: int,
        backoff: Backoff | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        given = list(flags)
        plan = generic.WorkerPlan(
            name="engine",
            host=settings.host,
            port=settings.port,
            command=lambda port: worker_command(given, port),
            env=lambda index: worker_env(settings, index),
            listening=LISTENING,
            announce=lambda port: f"{LISTENING} {settings.host}:{port}",
            grace_seconds=settings.grace_seconds,
            pass_hangup=True,
            port_label="gRPC",
        )
        super().__init__(plan, workers, backoff, clock)

    def run(self) -> None:
        check_shared_store(self.settings, len(self.workers))
        super().run()
