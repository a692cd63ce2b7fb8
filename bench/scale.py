"""``python -m bench.scale``: does the engine scale out on Redis? One engine process against
two (``attune engine --workers 2``), in the same run, on the same Redis.

- The engine runs as child processes; the load comes from ``--generators`` separate load
  generator processes (``python -m bench.scale generate ...``), each with ``--channels``
  connections (so that the kernel spreads them over the workers) and ``--concurrency``
  RecordResponse calls in flight. They warm up, then all start the measured run together.
- Over the measured run it reads the CPU time of the engine processes, of each generator,
  of Redis and of the whole machine (/proc/stat), so it can say whether the load generator
  (or the machine) was the limit rather than the engine.
- Rounds alternate 1 and 2 processes; the ratio is 2 processes' calls/s over 1's.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import random
import subprocess
import sys
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from grpc import aio

from bench import report
from bench.drivers import CALL_TIMEOUT_S, run_unary
from bench.phases import METADATA, Workload, demo_items
from bench.redis_proc import RedisProcess
from bench.server_proc import ServerProcess, ServerStartError, process_cpu_seconds
from bench.stats import Sample, percentile

GENERATOR_TIMEOUT_S = 120.0
_BUSY_LIMIT = 0.9  # a process using this share of a core (or the machine of its cores) is the limit


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bench.scale", description=__doc__.splitlines()[0])
    p.add_argument("--seconds", type=float, default=8.0, help="measured run per phase (8)")
    p.add_argument("--warmup", type=float, default=2.0, help="warm-up per phase (2)")
    p.add_argument("--generators", type=int, default=2, help="load generator processes (2)")
    p.add_argument("--channels", type=int, default=4, help="connections per generator (4)")
    p.add_argument("--concurrency", type=int, default=32, help="calls in flight per generator")
    p.add_argument("--rounds", type=int, default=1, help="rounds of (1 process, 2 processes)")
    p.add_argument("--learners", type=int, default=400, help="distinct learners (400)")
    p.add_argument("--fsync", default="always", choices=["always", "everysec"])
    p.add_argument("--json-only", action="store_true")
    return p


def _generate_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bench.scale generate")
    p.add_argument("--target", required=True)
    p.add_argument("--seconds", type=float, required=True)
    p.add_argument("--warmup", type=float, required=True)
    p.add_argument("--channels", type=int, required=True)
    p.add_argument("--concurrency", type=int, required=True)
    p.add_argument("--learners", type=int, required=True)
    p.add_argument("--seed", type=int, required=True)
    return p


async def _generate(args: argparse.Namespace) -> dict[str, Any]:
    """One generator: warm up, say "ready", wait for "go" on stdin, run, report as JSON."""
    options = [("grpc.use_local_subchannel_pool", 1)]  # one TCP connection per channel
    channels = [aio.insecure_channel(args.target, options=options) for _ in range(args.channels)]
    try:
        items = await demo_items(channels[0])
        tag = uuid.uuid4().hex[:8]
        learners = [f"scale-{args.seed}-{i:04d}" for i in range(args.learners)]
        loads = [
            Workload(ch, items, learners, random.Random(args.seed * 100 + k), tag, 0, 0, 0)
            for k, ch in enumerate(channels)
        ]
        per_channel = max(1, args.concurrency // len(channels))

        async def run(label: str, seconds: float) -> Sample:
            from attune.engine.v1 import learner_pb2_grpc

            async def one(w: Workload, k: int) -> Sample:
                stub = learner_pb2_grpc.LearnerServiceStub(w.channel)

                async def call(i: int) -> object:
                    request = w.record(f"{w.run_tag}-{label}-{k}-{i}")
                    return await stub.RecordResponse(
                        request, metadata=METADATA, timeout=CALL_TIMEOUT_S
                    )

                return await run_unary(call, per_channel, seconds, 10**9)

            total = Sample()
            started = time.perf_counter()
            for part in await asyncio.gather(*(one(w, k) for k, w in enumerate(loads))):
                total.merge(part)
            total.elapsed_s = time.perf_counter() - started
            return total

        await run("warm", args.warmup)
        print("ready", flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
        cpu0 = time.process_time()
        sample = await run("run", args.seconds)
        cpu = time.process_time() - cpu0
    finally:
        for ch in channels:
            await ch.close()
    ordered = sorted(sample.latencies)
    return {
        "ok": sample.ok,
        "errors": dict(sample.errors),
        "elapsed_s": sample.elapsed_s,
        "cpu_s": cpu,
        "in_flight": per_channel * len(channels),
        "mean_ms": sum(ordered) / len(ordered) * 1000 if ordered else None,
        "p50_ms": percentile(ordered, 50) * 1000 if ordered else None,
        "p99_ms": percentile(ordered, 99) * 1000 if ordered else None,
    }


def _machine_busy() -> tuple[float, float]:
    """(busy, total) jiffies of all cores so far, from /proc/stat."""
    fields = [float(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0.0)  # idle + iowait
    return sum(fields) - idle, sum(fields)


def _phase(args: argparse.Namespace, server: ServerProcess, redis: RedisProcess) -> dict[str, Any]:
    """Drive ``server`` from the generator processes; what each part spent."""
    gens = []
    for g in range(args.generators):
        cmd = [sys.executable, "-m", "bench.scale", "generate", "--target", server.target]
        cmd += ["--seconds", str(args.seconds), "--warmup", str(args.warmup)]
        cmd += ["--channels", str(args.channels), "--concurrency", str(args.concurrency)]
        cmd += ["--learners", str(args.learners), "--seed", str(g + 1)]
        gens.append(subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True))
    try:
        for gen in gens:
            assert gen.stdout is not None
            if gen.stdout.readline().strip() != "ready":
                raise RuntimeError("a load generator failed to warm up")
        pids = server.worker_pids()
        each0 = [process_cpu_seconds(pid) or 0.0 for pid in pids]
        srv0, redis0, machine0 = server.cpu_seconds(), redis.counters()["cpu_s"], _machine_busy()
        t0 = time.perf_counter()
        for gen in gens:
            assert gen.stdin is not None
            gen.stdin.write("go\n")
            gen.stdin.flush()
        outs = [json.loads(gen.communicate(timeout=GENERATOR_TIMEOUT_S)[0]) for gen in gens]
        wall = time.perf_counter() - t0
        srv1, redis1, machine1 = server.cpu_seconds(), redis.counters()["cpu_s"], _machine_busy()
        each1 = [process_cpu_seconds(pid) or 0.0 for pid in pids]
    finally:
        for gen in gens:
            if gen.poll() is None:
                gen.kill()
                gen.wait()
    ok = sum(o["ok"] for o in outs)
    elapsed = max(o["elapsed_s"] for o in outs)
    busy = (machine1[0] - machine0[0]) / max(1.0, machine1[1] - machine0[1])
    # Little's law: with N calls always in flight, one call's cycle is N / throughput. The
    # part of it not spent inside a call is the generator's own delay (it was not scheduled).
    cycle_ms = sum(o["in_flight"] for o in outs) / max(1e-9, ok / elapsed) * 1000
    mean_ms = sum((o["mean_ms"] or 0) * o["ok"] for o in outs) / max(1, ok)
    result: dict[str, Any] = {
        "calls_per_s": ok / elapsed,
        "ok": ok,
        "errors": {k: sum(o["errors"].get(k, 0) for o in outs) for o in outs for k in o["errors"]},
        "p50_ms": max(o["p50_ms"] or 0 for o in outs),
        "p99_ms": max(o["p99_ms"] or 0 for o in outs),
        "engine_cores": _per_s(srv0, srv1, wall),
        "engine_cpu_ms_per_call": None
        if srv0 is None or srv1 is None
        else (srv1 - srv0) * 1000 / max(1, ok),
        "engine_cores_each": [(b - a) / wall for a, b in zip(each0, each1, strict=True)],
        "generator_cores": [o["cpu_s"] / o["elapsed_s"] for o in outs],
        "redis_cores": (redis1 - redis0) / wall,
        "machine_busy": busy,
        "cycle_ms": cycle_ms,
        "mean_ms": mean_ms,
        "generator_delay_share": max(0.0, 1 - mean_ms / cycle_ms),
        "cores": os.cpu_count(),
    }
    ours = (result["engine_cores"] or 0.0) + sum(result["generator_cores"]) + result["redis_cores"]
    result["other_cores"] = max(0.0, busy * (os.cpu_count() or 1) - ours)  # other jobs' CPU
    return result


def _per_s(a: float | None, b: float | None, wall: float) -> float | None:
    return None if a is None or b is None else (b - a) / wall


def _limits(phase: dict[str, Any]) -> list[str]:
    """What limited a phase other than the engine, if anything."""
    found = []
    if max(phase["generator_cores"]) >= _BUSY_LIMIT:
        found.append("a load generator used a whole core")
    if phase["generator_delay_share"] >= 0.2:
        found.append(
            f"the load generators were late: {phase['generator_delay_share']:.0%} of each call's "
            "cycle passed outside the call (not scheduled: the generator was the limit)"
        )
    if phase["machine_busy"] >= _BUSY_LIMIT:
        found.append(f"the machine was {phase['machine_busy']:.0%} busy (all processes)")
    return found


def _run(args: argparse.Namespace) -> dict[str, Any]:
    phases: list[dict[str, Any]] = []
    with RedisProcess(args.fsync) as redis:
        for r in range(args.rounds):
            for workers in (1, 2):
                if not args.json_only:
                    print(f"round {r + 1}: {workers} engine process(es) ...", file=sys.stderr)
                with ServerProcess(store_url=redis.url, workers=workers) as server:
                    phase = _phase(args, server, redis)
                phase["workers"] = workers
                phase["round"] = r + 1
                phase["limits"] = _limits(phase)
                phases.append(phase)
    one = [p["calls_per_s"] for p in phases if p["workers"] == 1]
    two = [p["calls_per_s"] for p in phases if p["workers"] == 2]
    ratio = (sum(two) / len(two)) / (sum(one) / len(one))
    per_core = {
        w: [p["calls_per_s"] / p["engine_cores"] for p in phases if p["workers"] == w]
        for w in (1, 2)
    }
    efficiency = (sum(per_core[2]) / len(per_core[2])) / (sum(per_core[1]) / len(per_core[1]))
    return {
        "phases": phases,
        "ratio_2_over_1": ratio,
        # calls/s per engine core, 2 processes over 1: 1.0 means a second process costs no
        # extra CPU per call, so with a free core each it would double the throughput
        "per_core_efficiency_2_over_1": efficiency,
    }


def _table(data: dict[str, Any]) -> str:
    head = (
        "| round | engine processes | RecordResponse calls/s | p50 / p99 ms | engine cores (each) "
        "| engine CPU ms/call | generator cores (each) | generator delay | Redis cores "
        "| other jobs' cores | machine busy |"
    )
    rows = [head, "|" + "---|" * 11]
    for p in data["phases"]:
        gens = ", ".join(f"{c:.2f}" for c in p["generator_cores"])
        rows.append(
            f"| {p['round']} | {p['workers']} | {p['calls_per_s']:,.0f} | "
            f"{p['p50_ms']:.1f} / {p['p99_ms']:.1f} | {p['engine_cores']:.2f} "
            f"({', '.join(f'{c:.2f}' for c in p['engine_cores_each'])}) | "
            f"{p['engine_cpu_ms_per_call']:.2f} | {gens} | {p['generator_delay_share']:.0%} | "
            f"{p['redis_cores']:.2f} | {p['other_cores']:.2f} | "
            f"{p['machine_busy']:.0%} |"
        )
    rows.append(f"\nratio, 2 processes over 1: {data['ratio_2_over_1']:.2f}x")
    rows.append(
        f"calls/s per engine core, 2 processes over 1: {data['per_core_efficiency_2_over_1']:.2f}"
    )
    for p in data["phases"]:
        if p["limits"] or p["errors"]:
            rows.append(f"round {p['round']}, {p['workers']}: {p['limits']} errors={p['errors']}")
    return "\n".join(rows)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the comparison (or, with ``generate``, be one load generator)."""
    given = list(sys.argv[1:] if argv is None else argv)
    if given[:1] == ["generate"]:
        print(json.dumps(asyncio.run(_generate(_generate_parser().parse_args(given[1:])))))
        return 0
    args = _parser().parse_args(given)
    started = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    try:
        data = _run(args)
    except ServerStartError as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 1
    data.update(started_at=started, machine=report.machine_info(), params=vars(args))
    path = report.write_json(data, report.RESULTS_DIR / "scale.json")
    print(json.dumps(data, indent=2) if args.json_only else _table(data))
    if not args.json_only:
        print(f"\nwritten to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
