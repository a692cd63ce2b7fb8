"""A decorator over the engine store's port, applied at composition (never inside an
adapter): times every port call into ``attune_engine_store_operation_duration_seconds`` and
notes the DKT models the courses it reads and writes pin (for the models' health status).

It forwards every other attribute unchanged, so adapter extras (the embedded store's
``committer``, say) stay reachable.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Callable
from typing import Any, cast

from attune.engine.domain.course import Course
from attune.engine.observability.metrics import EngineMetrics
from attune.engine.ports import EngineStore

# The port's coroutine methods (engine/ports.py): the only operation label values.
_PORT_OPERATIONS = frozenset(
    name
    for name, member in inspect.getmembers(EngineStore)
    if not name.startswith("_") and inspect.iscoroutinefunction(member)
)


class MeasuredStore:
    """Wraps an :class:`~engine.ports.EngineStore`; see the module docstring."""

    def __init__(self, inner: EngineStore, metrics: EngineMetrics | None) -> None:
        self.inner = inner
        self._metrics = metrics
        self.pins: set[str] = set()  # DKT model pins of the courses seen since start

    def __getattr__(self, name: str) -> Any:
        value = getattr(self.inner, name)
        if name not in _PORT_OPERATIONS or not callable(value):
            return value
        wrapped = self._wrap(name, value)
        setattr(self, name, wrapped)  # built once per operation
        return wrapped

    def _wrap(self, name: str, call: Callable[..., Any]) -> Callable[..., Any]:
        metrics = self._metrics
        hist = metrics.store_duration if metrics is not None else None
        ok = hist.labels(name, "ok") if hist is not None else None
        failed = hist.labels(name, "error") if hist is not None else None
        note = self._note_pins if name in ("get_course", "put_course", "list_courses") else None

        async def measured(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                value = await call(*args, **kwargs)
            except BaseException:
                if failed is not None:
                    failed.observe(time.perf_counter() - started)
                raise
            if ok is not None:
                ok.observe(time.perf_counter() - started)
            if note is not None:
                note(args, value)
            return value

        return measured

    def _note_pins(self, args: tuple[Any, ...], value: Any) -> None:
        for candidate in (*args, *(value if isinstance(value, list | tuple) else (value,))):
            if isinstance(candidate, Course) and candidate.dkt_model:
                self.pins.add(candidate.dkt_model)


def measured(
    inner: EngineStore, metrics: EngineMetrics | None
) -> tuple[EngineStore, MeasuredStore]:
    """``inner`` wrapped, typed as the port, and the wrapper itself (for its pins)."""
    wrapper = MeasuredStore(inner, metrics)
    return cast(EngineStore, wrapper), wrapper
