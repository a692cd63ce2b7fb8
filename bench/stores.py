"""``python -m bench.stores``: the embedded store against Redis, in the same run.

For each store the engine runs as a child process (or N of them behind gRPC's client-side
round-robin balancer, for Redis) and the RecordResponse and StreamResponses phases of
``bench.load`` run against it. For Redis the report adds, per applied response, what the
server counted during the measured run: round trips (socket reads: a pipeline or a script
is one), commands (including those run inside scripts) and EVALSHA calls. See
bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import random
import sys
import uuid
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from grpc import aio

from bench import report
from bench.phases import Workload, demo_items, measure, record_response, stream_responses
from bench.redis_proc import RedisProcess
from bench.server_proc import ServerProcess
from bench.stats import PhaseResult

STORES = {"embedded": None, "redis-always": "always", "redis-everysec": "everysec"}
PHASES = {"record_response": record_response, "stream_responses": stream_responses}
UNITS = {"record_response": "calls/s", "stream_responses": "msgs/s"}


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bench.stores", description=__doc__.splitlines()[0])
    p.add_argument("--stores", default=",".join(STORES), help=f"any of {', '.join(STORES)}")
    p.add_argument("--engines", type=int, default=1, help="engine processes on Redis (default 1)")
    p.add_argument("--phases", default=",".join(PHASES), help=f"any of {', '.join(PHASES)}")
    p.add_argument("--seconds", type=float, default=5.0, help="measured seconds per phase")
    p.add_argument("--warmup", type=float, default=1.0, help="warm-up seconds per phase")
    p.add_argument("--concurrency", type=int, default=32, help="unary calls in flight")
    p.add_argument("--streams", type=int, default=8, help="concurrent bidi streams")
    p.add_argument("--window", type=int, default=64, help="messages in flight per stream")
    p.add_argument("--learners", type=int, default=200, help="distinct learner ids")
    p.add_argument("--seed", type=int, default=1)
    return p


@contextlib.contextmanager
def _engines(store: str, engines: int) -> Iterator[tuple[list[ServerProcess], RedisProcess | None]]:
    fsync = STORES[store]
    redis_cm: Any = RedisProcess(fsync) if fsync else contextlib.nullcontext()
    with redis_cm as redis:
        url = redis.url if redis else ""
        servers = [ServerProcess(store_url=url) for _ in range(engines if redis else 1)]
        try:
            for server in servers:
                server.start()
            yield servers, redis
        finally:
            for server in servers:
                server.stop()


def _target(servers: Sequence[ServerProcess]) -> str:
    if len(servers) == 1:
        return servers[0].target
    return "ipv4:" + ",".join(s.target for s in servers)


async def _run_store(
    args: argparse.Namespace, store: str, phases: list[str]
) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    with _engines(store, args.engines) as (servers, redis):
        options = [("grpc.lb_policy_name", "round_robin")]
        async with aio.insecure_channel(_target(servers), options=options) as channel:
            await asyncio.wait_for(channel.channel_ready(), timeout=30.0)
            workload = Workload(
                channel=channel,
                items=await demo_items(channel),
                learners=[f"bench-learner-{i:04d}" for i in range(args.learners)],
                rng=random.Random(args.seed),
                run_tag=uuid.uuid4().hex[:8],
                concurrency=args.concurrency,
                streams=args.streams,
                window=args.window,
            )
            for name in phases:
                print(f"{store}: running {name} ...", file=sys.stderr, flush=True)
                snapshots: list[dict[str, float]] = []
                result = await measure(
                    name,
                    UNITS[name],
                    PHASES[name](workload),
                    args.warmup,
                    args.seconds,
                    _cpu_and_counters(servers, redis, snapshots),
                    lambda: all(s.alive() for s in servers),
                )
                rows.append(_row(store, len(servers), result, snapshots))
    return rows


def _cpu_and_counters(
    servers: Sequence[ServerProcess], redis: RedisProcess | None, snapshots: list[dict[str, float]]
) -> Callable[[], float | None]:
    """The engines' CPU seconds; measure() calls it right before and after the measured
    run, which is when the Redis counters are taken too."""

    def read() -> float | None:
        if redis is not None:
            snapshots.append(redis.counters())
        cpus = [s.cpu_seconds() for s in servers]
        return None if any(c is None for c in cpus) else sum(c or 0.0 for c in cpus)

    return read


def _row(
    store: str, engines: int, r: PhaseResult, snapshots: list[dict[str, float]]
) -> dict[str, Any]:
    row: dict[str, Any] = {"store": store, "engines": engines, **r.to_dict()}
    if len(snapshots) == 2 and r.ok:
        before, after = snapshots
        for key in ("reads", "commands", "evalsha"):
            row[f"redis_{key}_per_response"] = round((after[key] - before[key]) / r.ok, 3)
        row["redis_cpu_s"] = round(after["cpu_s"] - before["cpu_s"], 3)
    return row


def _pct(cpu_s: float | None, elapsed_s: float) -> str:
    return "-" if cpu_s is None or elapsed_s <= 0 else f"{100 * cpu_s / elapsed_s:.0f}%"


def render(rows: Sequence[dict[str, Any]]) -> str:
    """One line per store and phase."""
    head = (
        f"{'store':<15} {'eng':>3} {'phase':<17} {'throughput':>15} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'rt/resp':>7} {'cmd/resp':>8} {'engine cpu':>10} {'redis cpu':>9} {'errors':>6}"
    )
    lines = [head, "-" * len(head)]
    for r in rows:
        rate = f"{r['throughput']:,.0f} {r['unit']}"
        rt = r.get("redis_reads_per_response")
        cmds = r.get("redis_commands_per_response")
        lines.append(
            f"{r['store']:<15} {r['engines']:>3} {r['name']:<17} {rate:>15} "
            f"{r['p50_ms'] or float('nan'):>8.2f} {r['p99_ms'] or float('nan'):>8.2f} "
            f"{'-' if rt is None else f'{rt:.2f}':>7} {'-' if cmds is None else f'{cmds:.1f}':>8} "
            f"{_pct(r['server_cpu_s'], r['elapsed_s']):>10} "
            f"{_pct(r.get('redis_cpu_s'), r['elapsed_s']):>9} {sum(r['errors'].values()):>6}"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Run every store in turn; 0 when all completed."""
    args = _parser().parse_args(argv)
    stores = [s for s in args.stores.split(",") if s]
    phases = [p for p in args.phases.split(",") if p]
    unknown = [s for s in stores if s not in STORES] + [p for p in phases if p not in PHASES]
    if unknown:
        print(f"bench.stores: unknown {unknown}", file=sys.stderr)
        return 2
    started = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    machine = report.machine_info()
    rows: list[dict[str, Any]] = []
    for store in stores:
        rows += asyncio.run(_run_store(args, store, phases))
    data = {"started_at": started, "machine": machine, "params": vars(args), "rows": rows}
    path = report.write_json(data, report.RESULTS_DIR / "stores.json")
    print(render(rows))
    print("\nrt/resp: Redis round trips (socket reads) per applied response; cmd/resp counts")
    print("the commands run inside scripts too. Written to", path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
