"""The engine's :class:`~engine.ports.Tracer` for a models folder: ONNX DKT when the folder
exists, BKT only when it does not. Called where the engine is composed, never at import."""

from __future__ import annotations

from pathlib import Path

import structlog

from attune.engine.dkt.registry import ModelRegistry
from attune.engine.dkt.stepper import DktStepper
from attune.engine.dkt.tracer import OnnxTracer
from attune.engine.dkt.watch import reload_now
from attune.engine.ports import BktOnlyTracer, Tracer


def open_tracer(
    models_dir: Path | None, batching: bool = True
) -> tuple[ModelRegistry | None, Tracer]:
    """The model registry (loaded once; None without a folder) and the tracer over it."""
    if models_dir is None or not models_dir.is_dir():
        return None, BktOnlyTracer()
    registry = ModelRegistry(models_dir)
    reload_now(registry)
    structlog.get_logger("attune.dkt").info("dkt.models", loaded=registry.keys())
    return registry, DktStepper(OnnxTracer(registry, batching=batching))
