"""The ONNX DKT tracer: one LSTM step per answer, micro-batched across concurrent requests.

With batching on, steps for the same model that arrive while a ``session.run`` is in flight
are queued and run together as one batch in a worker thread (ONNX Runtime releases the GIL).
With it off, each step runs inline. ``bench/dkt.py`` measures which pays.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from engine.dkt.registry import LoadedModel, ModelRegistry

Vector = tuple[float, ...]
Array = npt.NDArray[Any]


@dataclass
class _Pending:
    interaction: int
    h: Array
    c: Array
    future: asyncio.Future[tuple[Vector, Vector, Vector]] = field(repr=False)


class OnnxTracer:
    """Steps learners through the registry's models."""

    def __init__(self, registry: ModelRegistry, batching: bool = True, max_batch: int = 64):
        self.registry = registry
        self.batching = batching
        self.max_batch = max_batch
        self._queues: dict[str, list[_Pending]] = {}
        self._running: set[str] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="attune-dkt")
        self.batches = 0  # for the benchmark: steps / batches is the batching gain
        self.steps = 0

    def model(self, pin: str) -> LoadedModel | None:
        """The loaded model a course pin names, or None."""
        return self.registry.resolve(pin)

    async def step(
        self,
        model: LoadedModel,
        interaction: int,
        h: Sequence[float] | None,
        c: Sequence[float] | None,
    ) -> tuple[Vector, Vector, Vector]:
        """One LSTM step: (P(correct) per skill index, h', c'). None state means a new learner."""
        size = model.manifest.hidden_size
        hv = np.zeros(size, np.float32) if h is None else np.asarray(h, np.float32)
        cv = np.zeros(size, np.float32) if c is None else np.asarray(c, np.float32)
        if not self.batching:
            p, h2, c2 = _run(model, np.array([interaction], np.int64), hv[None], cv[None])
            self.batches += 1
            self.steps += 1
            return _row(p, h2, c2, 0)
        loop = asyncio.get_running_loop()
        pending = _Pending(interaction, hv, cv, loop.create_future())
        self._queues.setdefault(model.manifest.key, []).append(pending)
        if model.manifest.key not in self._running:
            self._running.add(model.manifest.key)
            task = loop.create_task(self._drain(model))
            self._tasks.add(task)  # keep a reference until it finishes
            task.add_done_callback(self._tasks.discard)
        return await pending.future

    async def _drain(self, model: LoadedModel) -> None:
        key = model.manifest.key
        loop = asyncio.get_running_loop()
        try:
            while self._queues.get(key):
                batch = self._queues[key][: self.max_batch]
                del self._queues[key][: len(batch)]
                x = np.array([b.interaction for b in batch], np.int64)
                hs = np.stack([b.h for b in batch])
                cs = np.stack([b.c for b in batch])
                try:
                    p, h2, c2 = await loop.run_in_executor(self._pool, _run, model, x, hs, cs)
                except Exception as exc:  # every waiter learns of the failure
                    for b in batch:
                        if not b.future.done():
                            b.future.set_exception(exc)
                    continue
                self.batches += 1
                self.steps += len(batch)
                for i, b in enumerate(batch):
                    if not b.future.done():
                        b.future.set_result(_row(p, h2, c2, i))
        finally:
            self._running.discard(key)

    def close(self) -> None:
        """Stop the worker thread."""
        self._pool.shutdown(wait=True)


def _run(model: LoadedModel, x: Array, h: Array, c: Array) -> list[Any]:
    names_in, names_out = model.manifest.inputs, model.manifest.outputs
    outputs: list[Any] = model.session.run(
        [names_out["p_correct"], names_out["h"], names_out["c"]],
        {names_in["interaction"]: x, names_in["h"]: h, names_in["c"]: c},
    )
    return outputs


def _row(p: Array, h: Array, c: Array, i: int) -> tuple[Vector, Vector, Vector]:
    return tuple(p[i].tolist()), tuple(h[i].tolist()), tuple(c[i].tolist())
