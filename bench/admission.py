"""``python -m bench.admission``: what the load shedding's interceptor costs per call.

In one process, without a network: each call goes through ``intercept_service`` and the
wrapped unary behaviour, as grpc.aio does for every RPC. The same-run ceiling is a
pass-through interceptor of the same shape (what any interceptor costs); the report gives
the admission interceptor's time per call, its difference to the ceiling, and that
difference as a share of a RecordResponse's server CPU (about 1 ms; see README
"Performance")."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Sequence
from typing import Any

import grpc

from attune.engine.admission_settings import AdmissionSettings
from attune.engine.grpc.admission import AdmissionGate, AdmissionInterceptor
from attune.engine.grpc.interceptors import Behaviour, _BehaviourInterceptor
from bench import report

METHOD = "/attune.engine.v1.LearnerService/RecordResponse"
RECORD_RESPONSE_CPU_US = 1000.0  # a RecordResponse's server CPU, order of magnitude


class PassThrough(_BehaviourInterceptor):
    """The ceiling: an interceptor that wraps and does nothing else."""

    def wrap_unary(self, behaviour: Behaviour, method: str) -> Behaviour:
        async def unary(request: Any, context: Any) -> Any:
            return await behaviour(request, context)

        return unary

    def wrap_stream(self, behaviour: Behaviour, method: str) -> Behaviour:
        return behaviour


async def _reply(request: Any, context: Any) -> Any:
    return request


_HANDLER: Any = grpc.unary_unary_rpc_method_handler(_reply)
_DETAILS: Any = type("Details", (), {"method": METHOD, "invocation_metadata": ()})()


async def _continuation(details: Any) -> Any:
    return _HANDLER


async def _per_call_us(interceptor: Any, calls: int) -> float:
    started = time.perf_counter()
    for i in range(calls):
        handler = await interceptor.intercept_service(_continuation, _DETAILS)
        await handler.unary_unary(i, None)
    return (time.perf_counter() - started) / calls * 1e6


async def _measure(calls: int, repeats: int) -> dict[str, Any]:
    admission = AdmissionInterceptor(AdmissionGate(AdmissionSettings()))
    ceiling = PassThrough()
    best: dict[str, float] = {"ceiling": float("inf"), "admission": float("inf")}
    for _ in range(repeats):  # interleaved, best of each: the least disturbed run
        best["ceiling"] = min(best["ceiling"], await _per_call_us(ceiling, calls))
        best["admission"] = min(best["admission"], await _per_call_us(admission, calls))
    extra = best["admission"] - best["ceiling"]
    return {
        "calls": calls,
        "repeats": repeats,
        "ceiling_us_per_call": round(best["ceiling"], 2),
        "admission_us_per_call": round(best["admission"], 2),
        "ratio_to_ceiling": round(best["admission"] / best["ceiling"], 3),
        "extra_us_per_call": round(extra, 2),
        "extra_share_of_record_response_cpu": round(extra / RECORD_RESPONSE_CPU_US, 4),
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Measure and print the figures (JSON), also written to bench/results/admission.json."""
    p = argparse.ArgumentParser(prog="python -m bench.admission", description=__doc__)
    p.add_argument("--calls", type=int, default=50_000)
    p.add_argument("--repeats", type=int, default=5)
    args = p.parse_args(argv)
    data = asyncio.run(_measure(args.calls, args.repeats))
    data["machine"] = report.machine_info()
    report.write_json(data, report.RESULTS_DIR / "admission.json")
    print(json.dumps(data, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
