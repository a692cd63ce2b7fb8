"""Whole-tenant export and delete on the live system (``python -m bench.tenant_live``): a
tenant of ``--learners`` learners with ``--responses`` responses each, in front of a real
engine (gRPC on 127.0.0.1) and the gateway's app, on the embedded stores and on a temporary
redis-server. Timed: ``GET /admin/tenants/<t>/export`` and ``POST .../delete``. The ceiling,
from the same run and the same data: ``attune tenant export`` / ``delete`` reading the stores
directly (what the routes add is the engine round trip, the streaming and the gates). Each
figure is the median of ``--runs`` runs (the tenant is filled again before each delete).
Nothing here is a test: it prints a table and writes ``bench/results/tenant_live.json``.
"""

from __future__ import annotations

import argparse
import importlib
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"
TENANT = "tenant-a"
ADMIN = {"Authorization": "Bearer admin-secret"}


def _fill(live: Any, learners: int, responses: int, round_: int) -> None:
    record: Any = importlib.import_module("attune.engine.v1.learner_pb2").RecordResponseRequest
    course: Any = importlib.import_module("tests.support.courses").chain_course
    live.engine.put_course(TENANT, course("chain"))
    for n in range(learners):
        for k in range(responses):
            live.engine.record(TENANT, record(
                event_id=f"r{round_}-l{n}-{k}", learner_id=f"lrn-{n}", course_id="chain",
                item_id="a1", correct=bool(k % 2), response_time_ms=20_000))  # fmt: skip


def _median(runs: int, before: Callable[[int], None], once: Callable[[], None]) -> float:
    took = []
    for r in range(runs):
        before(r)
        start = time.perf_counter()
        once()
        took.append(time.perf_counter() - start)
    return round(statistics.median(took) * 1000, 1)


def _ok(reply: Any) -> None:
    if reply.status_code != 200:
        raise RuntimeError(f"{reply.status_code}: {reply.get_data(as_text=True)[:200]}")


def _measure(live: Any, url: str, root: Path, args: argparse.Namespace) -> dict[str, float]:
    ops: Any = importlib.import_module("attune.tenancy.ops")
    files = {"engine": root / "attune.db", "gateway": root / "gateway.db"} if not url else {}
    stores = ops.TenantStores(files, {"engine": url} if url else {}, url, root)
    rounds = iter(range(10_000))
    out = root / "cmd.tar.gz"
    body = {"confirm_tenant": TENANT}

    def fill(_: int) -> None:
        _fill(live, args.learners, args.responses, next(rounds))

    def route_export() -> None:
        _ok(live.http.get(f"/admin/tenants/{TENANT}/export", headers=ADMIN))

    def route_delete() -> None:
        _ok(live.http.post(f"/admin/tenants/{TENANT}/delete", json=body, headers=ADMIN))

    def reset_and_fill(r: int) -> None:
        # The command does not tell the running engine: drop its caches through the route
        # (nothing left to delete) before filling the tenant again.
        route_delete()
        fill(r)

    fill(0)
    figures = {
        "command export (ceiling)": _median(
            args.runs, lambda _: None, lambda: ops.export_tenant(stores, TENANT, out, time.time)
        ),
        "GET export": _median(args.runs, lambda _: None, route_export),
        "POST delete": _median(args.runs, fill, route_delete),
        "command delete (ceiling)": _median(
            args.runs, reset_and_fill, lambda: ops.delete_tenant(stores, TENANT, time.time)
        ),
    }
    export, delete = figures["GET export"], figures["POST delete"]
    figures["export / ceiling"] = round(export / figures["command export (ceiling)"], 2)
    figures["delete / ceiling"] = round(delete / figures["command delete (ceiling)"], 2)
    route_delete()  # leave the engine's caches clean
    return figures


def main() -> None:
    """Measure on both stores; print and save the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--learners", type=int, default=200)
    parser.add_argument("--responses", type=int, default=5)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    stack: Any = importlib.import_module("tests.support.tenant_stack")
    redis_server: Any = importlib.import_module("tests.support.redis_server")
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder) / "sqlite"
        root.mkdir()
        with stack.live_stack(root) as live:
            results["sqlite"] = _measure(live, "", root, args)
        root = Path(folder) / "redis"
        root.mkdir()
        data = Path(folder) / "redis-data"
        with redis_server.redis_server(data) as server, stack.live_stack(root, server.url) as live:
            results["redis"] = _measure(live, server.url, root, args)
    print(f"{args.learners} learners x {args.responses} responses, median of {args.runs} (ms)")
    for kind, figures in results.items():
        for name, value in figures.items():
            print(f"{kind:7} {name:28} {value:10}")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "tenant_live.json").write_text(
        json.dumps(
            {
                "learners": args.learners,
                "responses": args.responses,
                "runs": args.runs,
                "results": results,
            },
            indent=2,
        )
        + "\n"
    )


if __name__ == "__main__":
    main()
