"""DKT serving benchmark: O(1) per response, and whether micro-batching pays.

Run: ``python -m bench.dkt [--model DIR]``. Uses the shipped demo DKT when present (else a
seeded random model of the same shape, exported with torch). Reports:

1. one tracer step at learner history lengths 10 and 1000 (the ratio should be about 1);
2. one full ``Engine.record`` (BKT, IRT, DKT, selection, durable commit) at the same lengths;
3. steps/s with N concurrent learners, batched (one ``session.run`` per batch) vs unbatched.

A benchmark, not a test: it prints numbers and ratios and asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from attune.engine.adapters.sqlite_store import SqliteStore
from attune.engine.demo.course import DEMO_DKT, demo_course
from attune.engine.dkt.registry import LoadedModel, ModelRegistry
from attune.engine.dkt.stepper import DktStepper
from attune.engine.dkt.tracer import OnnxTracer
from attune.engine.domain.learner import Response
from attune.engine.logs import configure_logging
from attune.engine.service import Engine

REPO = Path(__file__).resolve().parents[1]


def _registry(models: Path | None) -> tuple[ModelRegistry, LoadedModel]:
    root = models or REPO / "models" / "artifacts"
    registry = ModelRegistry(root)
    registry.reload()
    model = registry.resolve(DEMO_DKT)
    if model is None:  # no shipped model yet: a random one of the demo's shape
        from tests.support.dkt_artifact import write_artifact

        tmp = Path(tempfile.mkdtemp(prefix="attune-bench-dkt-"))
        write_artifact(tmp, DEMO_DKT, "0.0.1", list(demo_course().order), hidden=64)
        registry = ModelRegistry(tmp)
        registry.reload()
        model = registry.resolve(DEMO_DKT)
    assert model is not None
    return registry, model


async def _step_latency(tracer: OnnxTracer, model: LoadedModel, history: int, n: int) -> float:
    h = c = None
    k = model.manifest.num_skills
    for t in range(history):
        _p, h, c = await tracer.step(model, t % (2 * k), h, c)
    start = time.perf_counter()
    for t in range(n):
        await tracer.step(model, t % (2 * k), h, c)  # same state each time: one more step
    return (time.perf_counter() - start) / n * 1e6


async def _record_latency(models: Path, history: int, n: int) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        store = SqliteStore.open(Path(tmp) / "b.db")
        registry = ModelRegistry(models)
        registry.reload()
        engine = Engine(store, tracer=DktStepper(OnnxTracer(registry, batching=False)))
        course = replace(demo_course(), dkt_model=DEMO_DKT)
        await engine.put_course("t", course)
        items = list(course.items)
        for t in range(history + n):
            if t == history:
                start = time.perf_counter()
            r = Response(f"e{t}", "l", "demo", items[t % len(items)], float(t % 3 != 0), 9000,
                         1.8e9 + t)  # fmt: skip
            await engine.record("t", r, 3)
        took = (time.perf_counter() - start) / n * 1e6
        await store.close()
        return took


async def _throughput(model: LoadedModel, registry: ModelRegistry, batching: bool,
                      learners: int, steps: int) -> tuple[float, float]:  # fmt: skip
    tracer = OnnxTracer(registry, batching=batching)
    k = model.manifest.num_skills

    async def learner(i: int) -> None:
        h = c = None
        for t in range(steps):
            _p, h, c = await tracer.step(model, (i + t) % (2 * k), h, c)

    start = time.perf_counter()
    await asyncio.gather(*[learner(i) for i in range(learners)])
    rate = learners * steps / (time.perf_counter() - start)
    per_batch = tracer.steps / max(tracer.batches, 1)
    tracer.close()
    return rate, per_batch


async def run(models: Path | None, n: int) -> dict[str, object]:
    """Measure everything; returns the results as a dict."""
    registry, model = _registry(models)
    plain = OnnxTracer(registry, batching=False)
    step = {h: statistics.median([await _step_latency(plain, model, h, n) for _ in range(3)])
            for h in (10, 1000)}  # fmt: skip
    plain.close()
    record = {h: await _record_latency(model.path.parents[1], h, min(n, 300)) for h in (10, 1000)}
    tput = {}
    for learners in (1, 16, 64):
        for batching in (False, True):
            rate, per_batch = await _throughput(model, registry, batching, learners, 100)
            tput[f"{learners} learners, {'batched' if batching else 'unbatched'}"] = {
                "steps_per_s": round(rate),
                "steps_per_run": round(per_batch, 1),
            }
    return {
        "model": model.manifest.key,
        "hidden_size": model.manifest.hidden_size,
        "num_skills": model.manifest.num_skills,
        "step_us": {str(k): round(v, 1) for k, v in step.items()},
        "step_ratio_1000_vs_10": round(step[1000] / step[10], 3),
        "record_us": {str(k): round(v, 1) for k, v in record.items()},
        "record_ratio_1000_vs_10": round(record[1000] / record[10], 3),
        "throughput": tput,
    }


def main() -> None:
    """Entry point of ``python -m bench.dkt``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, help="models folder (default: models/artifacts)")
    parser.add_argument("--steps", type=int, default=2000, help="timed steps per measurement")
    args = parser.parse_args()
    configure_logging("warning", "console")
    results = asyncio.run(run(args.model, args.steps))
    out = REPO / "bench" / "results" / "dkt.json"
    out.write_text(json.dumps(results, indent=2))
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
