"""The engine's gRPC health statuses follow its store and its DKT models, checked on an
interval (never per request): a store that does not answer makes every service
NOT_SERVING until it answers again; ``attune.engine.Models`` is NOT_SERVING while a DKT
model that a course pins is not loaded."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable

import structlog
from grpc_health.v1 import health, health_pb2

from attune.engine.observability.metrics import EngineMetrics
from attune.engine.ports import EngineStore

log = structlog.get_logger("attune.health")

MODELS_SERVICE = "attune.engine.Models"
PROBE_TENANT = "__attune_health__"  # a tenant no credential maps to: the probe reads nothing
SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING


class HealthWatch:
    """Sets the health servicer's statuses from periodic checks (see the module docstring)."""

    def __init__(
        self,
        servicer: health.aio.HealthServicer,
        services: Iterable[str],
        store: EngineStore,
        pins: Callable[[], Iterable[str]],
        resolves: Callable[[str], bool],
        metrics: EngineMetrics | None = None,
        timeout: float = 2.0,
    ) -> None:
        self._servicer = servicer
        self._services = ("", *services)
        self._store = store
        self._pins = pins
        self._resolves = resolves
        self._metrics = metrics
        self._timeout = timeout
        self.store_ok: bool | None = None
        self.missing: tuple[str, ...] = ()

    async def check(self) -> None:
        """One round: probe the store, resolve the pinned models, set the statuses."""
        try:
            await asyncio.wait_for(self._store.get_course(PROBE_TENANT, "probe"), self._timeout)
            ok = True
        except Exception as exc:  # any failure means: not ready to serve
            ok = False
            if self.store_ok is not False:
                log.warning("health.store_down", error=type(exc).__name__)
        if ok and self.store_ok is False:
            log.info("health.store_up")
        self.store_ok = ok
        if self._metrics is not None:
            self._metrics.store_up.set(1 if ok else 0)
        for name in self._services:
            await self._servicer.set(name, SERVING if ok else NOT_SERVING)
        self.missing = tuple(sorted(p for p in set(self._pins()) if not self._resolves(p)))
        await self._servicer.set(MODELS_SERVICE, NOT_SERVING if self.missing else SERVING)

    async def run(self, interval: float) -> None:
        """Check every ``interval`` seconds until cancelled."""
        while True:
            await asyncio.sleep(interval)
            await self.check()
