"""The engine's use cases (:class:`Engine`), over the ports in engine/ports.py and the pure
domain. Its helpers (item statistics, per-learner locks) live beside it."""

from attune.engine.service.engine import Engine, SystemClock

__all__ = ["Engine", "SystemClock"]
