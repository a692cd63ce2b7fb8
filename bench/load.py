"""``python -m bench.load``: start the engine in a child process, load it, report.

Four phases run against the same server, one after another, each after a short warm-up:
the unary ceiling (health check), RecordResponse, the stream ceiling (messages rejected at
the first check) and StreamResponses. See bench/README.md for how to read the figures.

``--redis always|everysec`` runs the same phases with the engine on a private redis-server
(AOF with that fsync policy) instead of the embedded store; ``--profile NAME`` samples the
server with py-spy during each measured phase and writes bench/results/profile_NAME.json.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import random
import sys
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from grpc import aio

from bench import profiler, report
from bench.phases import (
    ServerDiedError,
    Workload,
    demo_items,
    measure,
    record_response,
    stream_ceiling,
    stream_responses,
    unary_ceiling,
)
from bench.redis_proc import RedisProcess
from bench.server_proc import ServerProcess, ServerStartError
from bench.stats import PhaseResult, Sample

# The tenant's default responses budget (5,000/s after a burst of 20,000) is below what the
# stream ceiling sends on a fast machine: the server then ends the streams RESOURCE_EXHAUSTED
# (and grpc-python's aio client reports INTERNAL for a stream whose write came after the end,
# grpc/grpc#36066). The benchmark measures the server, not the budget.
UNMETERED = {
    "ATTUNE_LIMITS__RESPONSES_PER_SECOND": "1000000",
    "ATTUNE_LIMITS__RESPONSES_BURST": "1000000",
    "ATTUNE_LIMITS__REQUESTS_PER_SECOND": "1000000",
    "ATTUNE_LIMITS__REQUESTS_BURST": "1000000",
}
STREAM_CEILING_NOTE = (
    "no empty streaming RPC exists, so the stream ceiling sends StreamResponses messages "
    "with an EMPTY event_id; each gets an INVALID_ARGUMENT error reply (counted as ok) "
    "and the engine does no work"
)


def _positive(kind: type[int] | type[float]) -> Any:
    def parse(text: str) -> int | float:
        value = kind(text)
        if value <= 0:
            raise argparse.ArgumentTypeError(f"must be > 0, got {text}")
        return value

    return parse


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__.splitlines()[0])
    p.add_argument(
        "--seconds",
        type=_positive(float),
        default=5.0,
        help="measured duration of each phase (default 5)",
    )
    p.add_argument(
        "--warmup", type=float, default=1.0, help="unmeasured warm-up before each phase (default 1)"
    )
    p.add_argument(
        "--concurrency", type=_positive(int), default=32, help="unary calls in flight (default 32)"
    )
    p.add_argument(
        "--streams", type=_positive(int), default=8, help="concurrent bidi streams (default 8)"
    )
    p.add_argument(
        "--window",
        type=_positive(int),
        default=64,
        help="unanswered messages in flight per stream (default 64)",
    )
    p.add_argument(
        "--learners", type=_positive(int), default=200, help="distinct learner ids (default 200)"
    )
    p.add_argument("--seed", type=int, default=1, help="seed of the request generator")
    p.add_argument(
        "--json-only", action="store_true", help="print the JSON report instead of the table"
    )
    p.add_argument(
        "--redis",
        choices=("always", "everysec"),
        default=None,
        help="run the engine on a private redis-server with this appendfsync (default: the "
        "embedded store, fsync on)",
    )
    p.add_argument(
        "--profile",
        metavar="NAME",
        default="",
        help="sample the server with py-spy in each measured phase; the summary goes to "
        "bench/results/profile_NAME.json (the figures of a profiled run are a little lower)",
    )
    p.add_argument(
        "--out",
        default="",
        help="where to write the JSON report (default bench/results/latest.json)",
    )
    return p


PHASES = (
    ("unary_ceiling", "calls/s", unary_ceiling, "grpc.health.v1.Health/Check"),
    ("record_response", "calls/s", record_response, ""),
    ("stream_ceiling", "msgs/s", stream_ceiling, STREAM_CEILING_NOTE),
    ("stream_responses", "msgs/s", stream_responses, ""),
)


async def _run_phases(
    args: argparse.Namespace,
    server: ServerProcess,
    params: dict[str, Any],
    results: list[PhaseResult],
    profiles: dict[str, Any] | None = None,
) -> None:
    """Run the phases in order; stops early (raising) when the server dies.

    ``params`` receives the item count, and ``results`` is filled as phases finish, so
    that a failure still reports what was measured before it.
    """
    async with aio.insecure_channel(server.target) as channel:
        await asyncio.wait_for(channel.channel_ready(), timeout=30.0)
        items = await demo_items(channel)
        params["items"] = len(items)
        workload = Workload(
            channel=channel,
            items=items,
            learners=[f"bench-learner-{i:04d}" for i in range(args.learners)],
            rng=random.Random(args.seed),
            run_tag=uuid.uuid4().hex[:8],
            concurrency=args.concurrency,
            streams=args.streams,
            window=args.window,
        )
        for name, unit, build, note in PHASES:
            if not args.json_only:
                print(f"running {name} ...", file=sys.stderr, flush=True)
            runner = build(workload)
            if profiles is not None and server.pid is not None:
                runner = _profiled(runner, server.pid, name, profiles)
            results.append(
                await measure(
                    name,
                    unit,
                    runner,
                    args.warmup,
                    args.seconds,
                    server.cpu_seconds,
                    server.alive,
                    note,
                )
            )
            if (results[-1].error_count and server.exited_within(1.0)) or not server.alive():
                raise ServerDiedError(f"the server exited during {name}")


def _profiled(runner: Any, pid: int, name: str, profiles: dict[str, Any]) -> Any:
    """``runner``, with py-spy recording the server during its measured run (not the warm-up)."""

    async def run(label: str, seconds: float) -> Sample:
        if label != "run":
            sample: Sample = await runner(label, seconds)
            return sample
        with profiler.Recorder(pid) as recorder:
            sample = await runner(label, seconds)
        profiles[name] = profiler.summarise(recorder.stacks)
        return sample

    return run


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; 0 when it completed, 1 when the server failed under it."""
    args = _parser().parse_args(argv)
    started = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    machine = report.machine_info()
    params: dict[str, Any] = {
        "seconds": args.seconds,
        "warmup": args.warmup,
        "concurrency": args.concurrency,
        "streams": args.streams,
        "window": args.window,
        "learners": args.learners,
        "items": None,
        "seed": args.seed,
        "target": "127.0.0.1 (loopback)",
        "server_log_level": "warning",
        "store": f"redis (appendfsync {args.redis})" if args.redis else "embedded (fsync on)",
    }
    if args.profile and profiler.py_spy() is None:
        print("bench: --profile needs py-spy (pip install py-spy)", file=sys.stderr)
        return 2
    results: list[PhaseResult] = []
    profiles: dict[str, Any] | None = {} if args.profile else None
    failure = None
    redis_cm: Any = RedisProcess(args.redis) if args.redis else contextlib.nullcontext()
    try:
        with redis_cm as redis:
            server = ServerProcess(
                log_level=params["server_log_level"],
                store_url=redis.url if redis else "",
                settings=UNMETERED,
            )
            with server:
                try:
                    asyncio.run(_run_phases(args, server, params, results, profiles))
                except (ServerDiedError, TimeoutError, aio.AioRpcError) as exc:
                    failure = f"{type(exc).__name__}: {exc}"
    except ServerStartError as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 1
    if failure is None and server.exit_code not in (0, None):
        failure = f"the server exited with {server.exit_code} on SIGTERM"
    data: dict[str, Any] = {
        "started_at": started,
        "machine": machine,
        "params": params,
        "phases": [r.to_dict() for r in results],
        "ratios": report.ratios(results),
        "server": {
            "exit_code": server.exit_code,
            "killed_after_timeout": server.killed,
            **server.log.snapshot(),
        },
        "failure": failure,
    }
    path = report.write_json(data, Path(args.out) if args.out else None)
    if profiles is not None:
        profile_path = report.RESULTS_DIR / f"profile_{args.profile}.json"
        summary = {"started_at": started, "params": params, "ratios": data["ratios"]}
        report.write_json({**summary, "phases": profiles}, profile_path)
    if args.json_only:
        print(json.dumps(data, indent=2))
    else:
        print(report.render_table(results, data))
        for name, profile in (profiles or {}).items():
            print("\n" + profiler.render(name, profile))
        print(f"\nwritten to {path}")
    if failure:
        print(f"bench: {failure}", file=sys.stderr)
    return 1 if failure else 0


if __name__ == "__main__":
    sys.exit(main())
