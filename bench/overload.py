"""``python -m bench.overload``: the engine past saturation, with load shedding off and on,
in the same run.

One engine process (``attune serve --no-gateway``, the embedded store) gets far more
RecordResponse calls in flight than it can answer quickly (``--tutoring``, default 512),
plus class reports, the heaviest analytics call (``--analytics`` in flight). With shedding
off every call queues; with it on (the default settings, or ``--max-in-flight``) tutoring
beyond the bound waits at most ``max_queue_ms`` and analytics yields. It reports, per run,
the calls answered and refused and the latency of the answered ones."""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import uuid
from collections.abc import Sequence
from typing import Any

from grpc import aio

from attune.engine.v1 import analytics_pb2, analytics_pb2_grpc, learner_pb2_grpc
from bench import report
from bench.drivers import CALL_TIMEOUT_S, run_unary
from bench.phases import COURSE_ID, METADATA, Workload, demo_items
from bench.server_proc import ServerProcess
from bench.stats import Sample, percentile


def _summary(sample: Sample) -> dict[str, Any]:
    ordered = sorted(sample.latencies)
    return {
        "ok_per_s": sample.ok / sample.elapsed_s if sample.elapsed_s else 0.0,
        "ok": sample.ok,
        "refused": sample.errors.get("UNAVAILABLE", 0) + sample.errors.get("RESOURCE_EXHAUSTED", 0),
        "other_errors": {
            k: v for k, v in sample.errors.items() if k not in ("UNAVAILABLE", "RESOURCE_EXHAUSTED")
        },
        "p50_ms": percentile(ordered, 50) * 1000 if ordered else None,
        "p99_ms": percentile(ordered, 99) * 1000 if ordered else None,
    }


async def _honouring_hint(call: Any) -> object:
    """The call's reply; a refused caller waits its ``retry-after-ms`` hint (as a client
    should) before the error is counted and its next call goes out."""
    try:
        return await call
    except aio.AioRpcError as exc:
        hint = dict(exc.trailing_metadata() or ()).get("retry-after-ms")
        if hint is not None:
            await asyncio.sleep(min(2.0, int(str(hint)) / 1000))
        raise


async def _drive(target: str, args: argparse.Namespace) -> dict[str, Any]:
    options = [("grpc.use_local_subchannel_pool", 1)]
    channels = [aio.insecure_channel(target, options=options) for _ in range(4)]
    try:
        items = await demo_items(channels[0])
        learners = [f"overload-{i:04d}" for i in range(400)]
        tag = uuid.uuid4().hex[:8]
        load = Workload(channels[0], items, learners, random.Random(1), tag, 0, 0, 0)
        stubs = [learner_pb2_grpc.LearnerServiceStub(ch) for ch in channels]
        reports = analytics_pb2_grpc.AnalyticsServiceStub(channels[-1])
        report_request = analytics_pb2.GetClassReportRequest(course_id=COURSE_ID)

        async def tutoring(i: int) -> object:
            request = load.record(f"{tag}-{i}")
            return await _honouring_hint(
                stubs[i % len(stubs)].RecordResponse(
                    request, metadata=METADATA, timeout=CALL_TIMEOUT_S
                )
            )

        async def analytics(i: int) -> object:
            return await _honouring_hint(
                reports.GetClassReport(report_request, metadata=METADATA, timeout=CALL_TIMEOUT_S)
            )

        tut, ana = await asyncio.gather(
            run_unary(tutoring, args.tutoring, args.seconds, 10**9),
            run_unary(analytics, args.analytics, args.seconds, 10**9),
        )
    finally:
        for ch in channels:
            await ch.close()
    return {"tutoring": _summary(tut), "analytics": _summary(ana)}


def main(argv: Sequence[str] | None = None) -> int:
    """Run shedding off, then on, against fresh servers; print and write the figures."""
    p = argparse.ArgumentParser(prog="python -m bench.overload", description=__doc__)
    p.add_argument("--seconds", type=float, default=8.0)
    p.add_argument("--tutoring", type=int, default=512, help="RecordResponse calls in flight")
    p.add_argument("--analytics", type=int, default=4, help="class reports in flight")
    p.add_argument("--max-in-flight", type=int, default=64)
    p.add_argument("--max-rpcs", type=int, default=0, help="gRPC's own bound (0: none)")
    args = p.parse_args(argv)
    runs: dict[str, Any] = {}
    for label, settings in (
        ("shedding off", {"ATTUNE_ADMISSION__ENABLED": "false"}),
        (
            "shedding on",
            {
                "ATTUNE_ADMISSION__MAX_IN_FLIGHT": str(args.max_in_flight),
                "ATTUNE_ADMISSION__MAX_RPCS": str(args.max_rpcs),
            },
        ),
    ):
        print(f"{label} ...", file=sys.stderr, flush=True)
        with ServerProcess(settings=settings) as server:
            runs[label] = asyncio.run(_drive(server.target, args))
    data = {"params": vars(args), "runs": runs, "machine": report.machine_info()}
    report.write_json(data, report.RESULTS_DIR / "overload.json")
    print(json.dumps({"params": vars(args), "runs": runs}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
