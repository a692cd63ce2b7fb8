"""How the engine's composition root (engine/main.py) takes on metrics, traces and health:

- :meth:`EngineObservability.from_settings` (metrics only when ``metrics_port`` is set;
  the tracer from the ``OTEL_*`` variables),
- :meth:`measure` wraps the store before the engine is built, :meth:`attach` hooks the
  engine's committed path and the batchers, :meth:`interceptor` goes first in the server's
  interceptors, :meth:`start` (once listening) starts the /metrics listener and the health
  watch, :meth:`stop` ends both.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import structlog
from opentelemetry import trace

from attune.engine.observability.health import HealthWatch
from attune.engine.observability.interceptor import ObservabilityInterceptor
from attune.engine.observability.measured_store import MeasuredStore, measured
from attune.engine.observability.metrics import EngineMetrics
from attune.engine.ports import EngineStore
from attune.infra.metrics import MetricsListener, listen
from attune.infra.tracing import tracer_from_env

log = structlog.get_logger("attune.observability")


@dataclass
class EngineObservability:
    """The engine's metrics (None: off), tracer and health watch."""

    metrics: EngineMetrics | None
    tracer: trace.Tracer
    metrics_host: str = "127.0.0.1"
    metrics_port: int = 0
    health_interval: float = 5.0
    store: MeasuredStore | None = None
    registry: Any = None  # the DKT model registry (resolve(pin)), when DKT serves
    listener: MetricsListener | None = None
    watch: HealthWatch | None = None
    _task: asyncio.Task[None] | None = field(default=None, repr=False)

    @classmethod
    def from_settings(cls, settings: Any) -> EngineObservability:
        """From :class:`~engine.settings.EngineSettings` and the environment (OTEL_*)."""
        return cls(
            metrics=EngineMetrics.build() if settings.metrics_port else None,
            tracer=tracer_from_env("attune-engine"),
            metrics_host=settings.metrics_host,
            metrics_port=settings.metrics_port,
            health_interval=settings.health_interval_seconds,
        )

    def measure(self, store: EngineStore) -> EngineStore:
        """The store behind the timing decorator (pins are noted with metrics off too)."""
        typed, self.store = measured(store, self.metrics)
        return typed

    def attach(self, engine: Any, dkt: Any = None, registry: Any = None) -> None:
        """Hook the engine's committed path, the group committer and the DKT batcher."""
        self.registry = registry
        metrics = self.metrics
        if metrics is None:
            return
        engine.on_committed = metrics.committed
        erasures = engine.erasures  # pending erasures for the gateway (service/erasures.py)
        erasures.on_recorded = metrics.erasures_recorded.inc
        erasures.on_acknowledged = metrics.erasures_acknowledged.inc
        metrics.erasure_oldest_age.set_function(erasures.oldest_age)
        inner: Any = self.store.inner if self.store is not None else engine.store
        with contextlib.suppress(Exception):  # a closed or a Redis store has no committer
            committer = inner.committer  # the embedded store's GroupCommitter (a property)
            committer.on_batch = metrics.group_commit_batch.observe
        onnx = getattr(dkt, "tracer", None)
        if onnx is not None and hasattr(onnx, "on_batch"):
            onnx.on_batch = metrics.dkt_batch.observe

    def watch_admission(self, gate: Any) -> None:
        """Count the load shedding's refusals and read its in-flight counts at scrape time
        (nothing per admitted call)."""
        metrics = self.metrics
        if metrics is None:
            return
        shed = metrics.shed
        gate.on_shed = lambda cls, reason: shed.labels(cls, reason).inc()
        for cls in ("tutoring", "analytics"):
            metrics.in_flight.labels(cls).set_function(_reader(gate, cls))
        metrics.queued.set_function(lambda: float(gate.queued))

    def interceptor(self) -> ObservabilityInterceptor:
        """The outermost server interceptor (spans, RPC latency)."""
        return ObservabilityInterceptor(self.metrics, self.tracer)

    async def start(self, health_servicer: Any, services: tuple[str, ...]) -> None:
        """Listen for scrapes (when metrics are on) and start the periodic health checks."""
        if self.metrics is not None and self.listener is None:
            self.listener = listen(self.metrics.registry, self.metrics_host, self.metrics_port)
            log.info("metrics.listening", host=self.metrics_host, port=self.listener.port)
        if self.store is None:
            return
        registry = self.registry
        self.watch = HealthWatch(
            health_servicer,
            services,
            self.store.inner,
            lambda: self.store.pins if self.store is not None else (),
            lambda pin: registry is not None and registry.resolve(pin) is not None,
            self.metrics,
        )
        await self.watch.check()  # the statuses are true from the first call on
        self._task = asyncio.create_task(self.watch.run(self.health_interval))

    async def stop(self) -> None:
        """Stop the health checks and the metrics listener."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self.listener is not None:
            self.listener.close()
            self.listener = None


def _reader(gate: Any, cls: str) -> Callable[[], float]:
    """The gate's in-flight count of ``cls``, read when scraped."""
    return lambda: float(gate.in_flight(cls))
