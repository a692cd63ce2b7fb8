"""Readiness of the gateway: its store answers, the engine answers its gRPC health check,
and the engine has loaded the DKT models its courses pin (the engine's
``attune.engine.Models`` health status, see engine/observability/health.py).

The engine is asked over a channel of its own (same address and TLS as the engine client),
so a probe never queues behind learners' calls.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from attune.gateway.engine_tls import open_channel
from attune.gateway.settings import GatewaySettings

MODELS_SERVICE = "attune.engine.Models"  # engine.observability.health.MODELS_SERVICE
PROBE_TENANT = "__attune_health__"
SERVING = health_pb2.HealthCheckResponse.SERVING


@dataclass
class Readiness:
    """The checks behind ``GET /readyz``; each gives "ok" or why not."""

    settings: GatewaySettings
    store: Any  # the gateway store (KeyValueStore.get)
    timeout: float = 2.0
    _channel: grpc.Channel | None = field(default=None, repr=False)

    def check(self) -> dict[str, str]:
        """Run every check (none is skipped when an earlier one fails)."""
        checks = {"store": self._store()}
        checks.update(self._engine())
        return checks

    def _store(self) -> str:
        try:
            self.store.get(PROBE_TENANT, "readyz")
        except Exception as exc:  # any failure: not ready
            return f"the store does not answer ({type(exc).__name__})"
        return "ok"

    def _engine(self) -> dict[str, str]:
        if self._channel is None:  # lazily: nothing is opened before the first probe
            self._channel = open_channel(self.settings.engine_address, self.settings.engine_tls)
        stub: Any = health_pb2_grpc.HealthStub(self._channel)  # the stubs type Check per variant
        try:
            overall = stub.Check(health_pb2.HealthCheckRequest(service=""), timeout=self.timeout)
        except grpc.RpcError as exc:
            reason = f"the engine does not answer ({exc.code().name})"
            return {"engine": reason, "models": "unknown: the engine does not answer"}
        engine = "ok" if overall.status == SERVING else "the engine is not serving (its store)"
        try:
            models = stub.Check(
                health_pb2.HealthCheckRequest(service=MODELS_SERVICE), timeout=self.timeout
            )
        except grpc.RpcError as exc:
            if exc.code() == grpc.StatusCode.NOT_FOUND:  # an engine without the models status
                return {"engine": engine, "models": "ok"}
            return {"engine": engine, "models": f"unknown ({exc.code().name})"}
        loaded = "ok" if models.status == SERVING else "a DKT model a course pins is not loaded"
        return {"engine": engine, "models": loaded}

    def close(self) -> None:
        """Close the probe channel."""
        if self._channel is not None:
            self._channel.close()
            self._channel = None
