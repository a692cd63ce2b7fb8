"""``attune gateway --workers N``: one supervisor, N gateway processes on one HTTP port
(issue 17). The supervision (the shared port, restarts with backoff, SIGTERM drain) is
:mod:`attune.infra.supervisor`, shared with ``attune engine --workers N``.

- The workers are ``attune gateway`` processes with the same flags, binding the port with
  ``SO_REUSEPORT`` (``http_server.HardenedServer``). They must share the Redis store: the
  embedded gateway.db belongs to one process, so N > 1 without Redis is refused first.
- Each worker runs the background loops too (grade and statement outboxes on leased queues,
  erasure propagation, the drift watch, housekeeping); README "Scaling out" says why that is
  safe.
- ``/metrics`` is served on the gateway's own port, so a scrape reaches one worker: each
  worker counts its own requests. Each worker logs with ``worker=<i>``.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Sequence

from attune.gateway.settings import GatewaySettings
from attune.infra import supervisor as generic
from attune.infra.supervisor import Backoff

LISTENING = "attune gateway listening on"
GRACE_S = 10.0  # a worker's stop: the HTTP thread (5 s), then the loops and the stores


def check_shared_store(settings: GatewaySettings, workers: int) -> None:
    """N > 1 workers need one shared store: Redis. Anything else is refused, naming why."""
    if workers > 1 and not settings.store_url.startswith("redis"):
        where = settings.store_url or f"the embedded gateway.db under {settings.data_dir}"
        raise generic.SupervisorStartupError(
            f"--workers {workers} needs the Redis store (--store redis://host:port/db): "
            f"{where} belongs to one gateway process"
        )


def worker_command(flags: Sequence[str], port: int) -> list[str]:
    """``attune gateway`` with the supervisor's flags (``--port`` replaced by the real one)."""
    return [sys.executable, "-m", "attune", "gateway", *flags, "--port", str(port)]


def worker_env(index: int) -> dict[str, str]:
    """The worker's environment: the supervisor's, sharing the port, knowing its index."""
    env = dict(os.environ)
    env["ATTUNE_GATEWAY__REUSE_PORT"] = "true"
    env["ATTUNE_GATEWAY__WORKER_INDEX"] = str(index)
    return env


class GatewaySupervisor(generic.Supervisor):
    """N ``attune gateway`` workers; :meth:`run` refuses N > 1 without Redis first."""

    def __init__(
        self,
        settings: GatewaySettings,
        flags: Sequence[str],
        workers: int,
        backoff: Backoff | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        given = list(flags)
        plan = generic.WorkerPlan(
            name="gateway",
            host=settings.host,
            port=settings.port,
            command=lambda port: worker_command(given, port),
            env=worker_env,
            listening=LISTENING,
            announce=lambda port: f"{LISTENING} {settings.base_url(port)}",
            grace_seconds=GRACE_S,
        )
        super().__init__(plan, workers, backoff, clock)

    def run(self) -> None:
        check_shared_store(self.settings, len(self.workers))
        super().run()
