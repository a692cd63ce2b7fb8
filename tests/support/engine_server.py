"""A real engine: grpc.aio server on port 0 over an embedded store in a temp directory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import grpc

from attune.engine.adapters.sqlite_store import SqliteStore
from attune.engine.dkt.registry import ModelRegistry
from attune.engine.dkt.stepper import DktStepper
from attune.engine.dkt.tracer import OnnxTracer
from attune.engine.grpc.auth import StaticTokenAuthenticator
from attune.engine.grpc.server import RunningServer, build_engine, start_server
from attune.engine.ports import Clock, EngineStore, Tracer
from attune.engine.v1 import course_pb2_grpc, learner_pb2_grpc

TOKENS = {"token-a": "tenant-a", "token-b": "tenant-b"}
META_A = (("authorization", "Bearer token-a"),)
META_B = (("authorization", "Bearer token-b"),)


@dataclass
class Client:
    """Stubs on one channel to a running engine."""

    running: RunningServer
    channel: grpc.aio.Channel
    courses: course_pb2_grpc.CourseServiceStub
    learners: learner_pb2_grpc.LearnerServiceStub
    registry: ModelRegistry | None = None  # the DKT models, when the engine serves some

    @property
    def target(self) -> str:
        return f"127.0.0.1:{self.running.port}"


@asynccontextmanager
async def engine_client(
    data_dir: Path | None,
    clock: Clock | None = None,
    models_dir: Path | None = None,
    store: EngineStore | None = None,
    tracer: Tracer | None = None,
) -> AsyncIterator[Client]:
    """Start an engine on a free port with the store under ``data_dir`` (or ``store``) and DKT
    models from ``models_dir`` (or ``tracer``); stop it after."""
    if store is None:
        assert data_dir is not None, "a data dir or a store"
        store = SqliteStore.open(data_dir / "attune.db")
    registry = None
    if models_dir is not None:
        registry = ModelRegistry(models_dir)
        registry.reload()
        tracer = DktStepper(OnnxTracer(registry))
    engine = build_engine(store, tracer=tracer, clock=clock)
    running = await start_server(engine, StaticTokenAuthenticator(TOKENS), "127.0.0.1", 0)
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{running.port}")
    try:
        yield Client(
            running=running,
            channel=channel,
            courses=course_pb2_grpc.CourseServiceStub(channel),
            learners=learner_pb2_grpc.LearnerServiceStub(channel),
            registry=registry,
        )
    finally:
        await channel.close()
        await running.stop(1.0)


class ManualClock:
    """A clock the test moves by hand (epoch seconds)."""

    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.t = now

    def now(self) -> float:
        return self.t
