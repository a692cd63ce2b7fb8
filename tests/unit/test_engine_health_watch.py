"""The engine's health statuses follow its store and its pinned DKT models (issue 17)."""

from __future__ import annotations

from typing import Any

from grpc_health.v1 import health

from attune.engine.observability.health import MODELS_SERVICE, NOT_SERVING, SERVING, HealthWatch
from attune.engine.observability.metrics import EngineMetrics


class FlakyStore:
    """A store whose reads fail while ``down``."""

    def __init__(self) -> None:
        self.down = False

    async def get_course(self, tenant: str, course_id: str) -> Any:
        if self.down:
            raise ConnectionError("redis is gone")
        return None


async def status(servicer: health.aio.HealthServicer, name: str) -> int:
    return servicer._server_status[name]  # type: ignore[attr-defined, no-any-return]


async def test_a_failing_store_is_not_serving_and_back() -> None:
    servicer = health.aio.HealthServicer()
    store, pins, loaded = FlakyStore(), {"dkt@1"}, {"dkt@1"}
    metrics = EngineMetrics.build()
    watch = HealthWatch(servicer, ("svc.A",), store, lambda: pins,  # type: ignore[arg-type]
                        lambda p: p in loaded, metrics)  # fmt: skip
    await watch.check()
    assert await status(servicer, "") == SERVING
    assert await status(servicer, "svc.A") == SERVING
    assert await status(servicer, MODELS_SERVICE) == SERVING
    store.down = True
    await watch.check()
    assert await status(servicer, "") == NOT_SERVING
    assert await status(servicer, "svc.A") == NOT_SERVING
    assert metrics.registry.get_sample_value("attune_engine_store_up") == 0
    store.down = False
    pins.add("other@2")  # a course pins a model that is not loaded
    await watch.check()
    assert await status(servicer, "") == SERVING
    assert await status(servicer, MODELS_SERVICE) == NOT_SERVING
    assert watch.missing == ("other@2",)
    assert metrics.registry.get_sample_value("attune_engine_store_up") == 1
