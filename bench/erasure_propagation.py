"""Erasure propagation timings (``python -m bench.erasure_propagation [--learners 200]``).

A real engine (grpc.aio on 127.0.0.1, port 0, embedded store) and the gateway's embedded
stores and audit trail. Every learner has answers in the engine and, in the gateway, a launch
session, a roster entry and a queued grade. Half are erased by the admin route's code
(``erase_learner``: the engine's DeleteLearner, the gateway's stores, the acknowledgement):
that is the ceiling. The other half are erased by a partner's DeleteLearner, then the
propagation worker applies them in one poll. Reported: milliseconds per learner for each,
and their ratio. Nothing here is a test: it prints and writes
``bench/results/erasure_propagation.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from attune.engine.adapters.sqlite_store import SqliteStore
from attune.engine.grpc.auth import StaticTokenAuthenticator
from attune.engine.grpc.server import RunningServer, build_engine, start_server
from attune.engine.v1 import course_pb2, learner_pb2
from attune.gateway.app import build_gateway, create_app
from attune.gateway.audit.erasure import erase_learner
from attune.gateway.audit.hook import EXTENSION
from attune.gateway.audit.propagation import ErasurePropagation
from attune.gateway.engine_client import GrpcEngineClient
from attune.gateway.grades.outbox import queue_score
from attune.gateway.sessions import LaunchSession
from attune.gateway.settings import GatewaySettings
from attune.gateway.stores import open_stores
from attune.integrations.edges import gateway_edges

RESULTS = Path(__file__).resolve().parent / "results"
T = "bench"
ISSUER = "https://lms.example.edu"


def _course() -> course_pb2.Course:
    return course_pb2.Course(
        course_id="c",
        title="Bench",
        skills=[course_pb2.Skill(skill_id="a", name="A")],
        items=[course_pb2.Item(item_id="i1", skill_ids=["a"])],
    )


def _engine(root: Path) -> tuple[asyncio.AbstractEventLoop, threading.Thread, RunningServer]:
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()

    async def start() -> RunningServer:
        engine = build_engine(SqliteStore.open(root / "attune.db"))
        return await start_server(engine, StaticTokenAuthenticator({"tok": T}), "127.0.0.1", 0)

    return loop, thread, asyncio.run_coroutine_threadsafe(start(), loop).result(timeout=30)


def _seed(gateway: Any, engine: GrpcEngineClient, learner: str) -> None:
    for k in range(2):
        engine.record(
            T,
            learner_pb2.RecordResponseRequest(
                event_id=f"{learner}-{k}", learner_id=learner, course_id="c", item_id="i1",
                correct=True, response_time_ms=20_000,
            ),
        )  # fmt: skip
    session = LaunchSession(
        tenant=T, issuer=ISSUER, client_id="c", deployment_id="d", sub=f"sub-{learner}",
        learner_id=learner, course_id="c", skill_ids=(), staff=False,
    )  # fmt: skip
    gateway.sessions.create(session)
    gateway.store.put(T, f"roster:{learner}", [{"learner_id": learner}], 3600)
    queue_score(gateway.store, T, ISSUER, "c", f"{ISSUER}/lineitem/1",
                {"userId": f"sub-{learner}", "scoreGiven": 1, "scoreMaximum": 1})  # fmt: skip


def main() -> None:
    """Seed, erase half each way, print and save the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--learners", type=int, default=200)
    args = parser.parse_args()
    half = max(1, args.learners // 2)
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        loop, thread, running = _engine(root)
        settings = GatewaySettings(engine_tokens={T: "tok"}, data_dir=root)
        store, statements = open_stores("", root)
        engine = GrpcEngineClient(f"127.0.0.1:{running.port}", settings.engine_tokens)
        gateway = build_gateway(settings, store, engine, "http://gw", statements, gateway_edges())
        app = create_app(gateway)
        trail = app.extensions.get(EXTENSION)
        try:
            engine.put_course(T, _course())
            admin = [f"admin-{n}" for n in range(half)]
            partner = [f"partner-{n}" for n in range(half)]
            for learner in admin + partner:
                _seed(gateway, engine, learner)
            started = time.perf_counter()
            for learner in admin:
                erase_learner(gateway, trail, T, learner)
            admin_ms = (time.perf_counter() - started) * 1000 / half
            for learner in partner:
                engine.delete_learner(T, learner)  # as a partner would, over gRPC
            worker = ErasurePropagation(gateway, lambda: trail, [T], 60.0)
            started = time.perf_counter()
            applied = worker.run_once()
            poll_ms = (time.perf_counter() - started) * 1000 / half
            if applied != half or engine.pending_erasures(T):
                raise RuntimeError(f"applied {applied} of {half}")
        finally:
            engine.close()
            store.close()
            statements.close()
            asyncio.run_coroutine_threadsafe(running.stop(1.0), loop).result(30)
            loop.call_soon_threadsafe(loop.stop)
            thread.join(10)
    results = {
        "learners_each_way": half,
        "admin_route_ms_per_learner (ceiling)": round(admin_ms, 2),
        "propagated_ms_per_learner": round(poll_ms, 2),
        "ratio_propagated_to_admin": round(poll_ms / admin_ms, 2),
    }
    for name, value in results.items():
        print(f"{name:42} {value}")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "erasure_propagation.json").write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
