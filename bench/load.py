"""``python -m bench.load``: start the engine in a child process, load it, report.

Four phases run against the same server, one after another, each after a short warm-up:
the unary ceiling (health check), RecordResponse, the stream ceiling (messages rejected at
the first check) and StreamResponses. See bench/README.md for how to read the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import random
import sys
import uuid
from collections.abc import Sequence
from typing import Any

from grpc import aio

from bench import report
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
from bench.server_proc import ServerProcess, ServerStartError
from bench.stats import PhaseResult

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
    }
    results: list[PhaseResult] = []
    failure = None
    server = ServerProcess(log_level=params["server_log_level"])
    try:
        with server:
            try:
                asyncio.run(_run_phases(args, server, params, results))
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
    path = report.write_json(data)
    if args.json_only:
        print(json.dumps(data, indent=2))
    else:
        print(report.render_table(results, data))
        print(f"\nwritten to {path}")
    if failure:
        print(f"bench: {failure}", file=sys.stderr)
    return 1 if failure else 0


if __name__ == "__main__":
    sys.exit(main())
