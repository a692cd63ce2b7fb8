"""The ONNX DKT tracer: one LSTM step per answer, micro-batched across concurrent requests.

With batching on, the first step for a model schedules a flush for the next turn of the
event loop; every step for that model requested before the flush runs joins it, and the
flush does one ``session.run`` for the whole batch, inline. There is no worker thread: a
hand-off to a thread costs far more than one step (about 40 us here), so a lone request
pays only one extra turn of the loop. ``bench/dkt.py`` measures batched against unbatched.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from attune.engine.dkt.registry import LoadedModel, ModelRegistry

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

    def __init__(self, registry: ModelRegistry, batching: bool = True, max_batch: int = 256):
        self.registry = registry
        self.batching = batching
        self.max_batch = max_batch
        self._queues: dict[str, tuple[LoadedModel, list[_Pending]]] = {}
        self.batches = 0  # for the benchmark: steps / batches is the batching gain
        self.steps = 0
        self.on_batch: Callable[[int], None] | None = None  # metrics: steps per session.run

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
            if self.on_batch is not None:
                self.on_batch(1)
            return _row(p, h2, c2, 0)
        loop = asyncio.get_running_loop()
        pending = _Pending(interaction, hv, cv, loop.create_future())
        key = model.manifest.key
        queued = self._queues.get(key)
        if queued is None:
            self._queues[key] = (model, [pending])
            loop.call_soon(self._flush, key)
        else:
            queued[1].append(pending)
        return await pending.future

    def _flush(self, key: str) -> None:
        model, batch = self._queues.pop(key)
        for start in range(0, len(batch), self.max_batch):
            part = batch[start : start + self.max_batch]
            x = np.array([b.interaction for b in part], np.int64)
            try:
                p, h2, c2 = _run(model, x, np.stack([b.h for b in part]),
                                 np.stack([b.c for b in part]))  # fmt: skip
            except Exception as exc:  # every waiter learns of the failure
                for b in part:
                    if not b.future.done():
                        b.future.set_exception(exc)
                continue
            self.batches += 1
            self.steps += len(part)
            if self.on_batch is not None:
                self.on_batch(len(part))
            for i, b in enumerate(part):
                if not b.future.done():
                    b.future.set_result(_row(p, h2, c2, i))

    def close(self) -> None:
        """Nothing to release (kept for symmetry with other tracers)."""


def _run(model: LoadedModel, x: Array, h: Array, c: Array) -> list[Any]:
    names_in, names_out = model.manifest.inputs, model.manifest.outputs
    outputs: list[Any] = model.session.run(
        [names_out["p_correct"], names_out["h"], names_out["c"]],
        {names_in["interaction"]: x, names_in["h"]: h, names_in["c"]: c},
    )
    return outputs


def _row(p: Array, h: Array, c: Array, i: int) -> tuple[Vector, Vector, Vector]:
    return tuple(p[i].tolist()), tuple(h[i].tolist()), tuple(c[i].tolist())
