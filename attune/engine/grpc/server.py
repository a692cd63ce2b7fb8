"""The engine's gRPC server: services, health checking, reflection, graceful shutdown."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import grpc
import structlog
from grpc import aio
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from attune.engine.domain.tutoring import TutorPolicy
from attune.engine.grpc.admission import AdmissionInterceptor
from attune.engine.grpc.analytics_servicer import AnalyticsServicer
from attune.engine.grpc.audit_interceptor import AuditSink
from attune.engine.grpc.auth import Authenticator
from attune.engine.grpc.erasures_servicer import ErasureServicer
from attune.engine.grpc.experiments_servicer import ExperimentServicer
from attune.engine.grpc.interventions_servicer import InterventionServicer
from attune.engine.grpc.local import HandlerTable, LocalDispatch, LoopCaller
from attune.engine.grpc.pipeline import CallPipeline
from attune.engine.grpc.servicers import CourseServicer, EventServicer, LearnerServicer
from attune.engine.grpc.tenant_gate import TenantGateInterceptor
from attune.engine.grpc.tenant_limits import TenantLimitInterceptor
from attune.engine.grpc.tenants_servicer import TenantServicer
from attune.engine.ports import Clock, EngineStore, Tracer
from attune.engine.service import Engine
from attune.engine.v1 import (
    analytics_pb2,
    analytics_pb2_grpc,
    course_pb2,
    course_pb2_grpc,
    erasures_pb2,
    erasures_pb2_grpc,
    events_pb2,
    events_pb2_grpc,
    experiments_pb2,
    experiments_pb2_grpc,
    interventions_pb2,
    interventions_pb2_grpc,
    learner_pb2,
    learner_pb2_grpc,
    tenants_pb2,
    tenants_pb2_grpc,
)

log = structlog.get_logger("attune.server")

SERVICE_NAMES = (
    course_pb2.DESCRIPTOR.services_by_name["CourseService"].full_name,
    learner_pb2.DESCRIPTOR.services_by_name["LearnerService"].full_name,
    events_pb2.DESCRIPTOR.services_by_name["EventService"].full_name,
    analytics_pb2.DESCRIPTOR.services_by_name["AnalyticsService"].full_name,
    interventions_pb2.DESCRIPTOR.services_by_name["InterventionService"].full_name,
    experiments_pb2.DESCRIPTOR.services_by_name["ExperimentService"].full_name,
    erasures_pb2.DESCRIPTOR.services_by_name["ErasureService"].full_name,
    tenants_pb2.DESCRIPTOR.services_by_name["TenantService"].full_name,
)


class PortUnavailableError(OSError):
    """The address cannot be bound (taken by another process, or not ours to bind)."""


@dataclass
class RunningServer:
    """A started server and the port it bound (useful with port 0)."""

    server: aio.Server
    port: int
    health: health.aio.HealthServicer
    engine: Engine
    # In-process calls for a gateway in this process (attune serve): the same interceptors
    # and servicers without the transport (engine/grpc/local.py).
    local: LoopCaller

    async def stop(self, grace: float) -> None:
        """Stop taking calls, let in-flight calls finish for ``grace`` s, flush the store."""
        self.local.stop()
        for name in ("", *SERVICE_NAMES):
            await _set_health(self.health, name, health_pb2.HealthCheckResponse.NOT_SERVING)
        await self.server.stop(grace)
        await self.engine.close()
        log.info("server.stopped", port=self.port)


async def _set_health(servicer: health.aio.HealthServicer, name: str, status: int) -> None:
    await servicer.set(name, status)


def build_engine(
    store: EngineStore,
    tracer: Tracer | None = None,
    tutor: TutorPolicy | None = None,
    clock: Clock | None = None,
) -> Engine:
    """The engine over ``store``, with DKT from ``tracer`` (None: BKT only, see
    :func:`engine.dkt.serving.open_tracer` for the ONNX one)."""
    return Engine(store, clock=clock, tutor=tutor, tracer=tracer)


async def start_server(
    engine: Engine,
    authenticator: Authenticator,
    host: str = "127.0.0.1",
    port: int = 0,
    credentials: grpc.ServerCredentials | None = None,
    audit: AuditSink | None = None,
    limits: TenantLimitInterceptor | None = None,
    observe: aio.ServerInterceptor | None = None,
    admission: AdmissionInterceptor | None = None,
    reuse_port: bool = False,
    max_rpcs: int = 0,
) -> RunningServer:
    """Build and start the server on ``host:port`` (0 picks a free port); over TLS (mTLS when
    the credentials require client certificates) when ``credentials`` are given.
    ``admission`` sheds load (engine/grpc/admission.py); ``reuse_port`` lets the workers of
    ``attune engine --workers N`` share the port; ``max_rpcs`` > 0 is gRPC's own bound on
    the calls it accepts at once."""
    interceptors: list[aio.ServerInterceptor] = [
        *([observe] if observe is not None else []),  # spans, RPC latency (issue 17)
        # Context, auth, the tenant's budgets, the malformed-body guard and the audit
        # record, in one pass per call (pipeline.py).
        CallPipeline(authenticator, limits, audit),
        # Inside the pipeline (so after auth and the tenant's budgets): load shedding,
        # then the gate that keeps out a tenant being deleted.
        *([admission] if admission is not None else []),
        TenantGateInterceptor(engine.gate),
    ]
    server = aio.server(
        interceptors=interceptors,
        # grpc sets SO_REUSEPORT by default: a second engine on the same port would then
        # take half the connections, over another store. The port is this process's alone,
        # unless a supervisor runs its workers on it (all on one shared store).
        options=[("grpc.so_reuseport", 1 if reuse_port else 0)],
        maximum_concurrent_rpcs=max_rpcs or None,
    )
    # The same servicers on the network server and in the in-process table (local.py).
    table = HandlerTable()
    for register, servicer in _services(engine):
        register(servicer, server)
        register(servicer, table)
    health_servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    reflection.enable_server_reflection(
        (*SERVICE_NAMES, health.SERVICE_NAME, reflection.SERVICE_NAME), server
    )
    try:
        if credentials is None:
            bound = server.add_insecure_port(f"{host}:{port}")
        else:
            bound = server.add_secure_port(f"{host}:{port}", credentials)
    except RuntimeError as exc:  # grpc's "Failed to bind to address ..."
        raise PortUnavailableError(
            f"cannot listen on {host}:{port} (gRPC): the address is in use or not available"
        ) from exc
    await server.start()
    for name in ("", *SERVICE_NAMES):
        await _set_health(health_servicer, name, health_pb2.HealthCheckResponse.SERVING)
    log.info("server.started", host=host, port=bound)
    local = LoopCaller(LocalDispatch(interceptors, table), asyncio.get_running_loop())
    return RunningServer(server, bound, health_servicer, engine, local)


def _services(engine: Engine) -> list[tuple[Callable[[Any, Any], None], object]]:
    """The engine's services: each one's generated registration function and servicer."""
    return [
        (course_pb2_grpc.add_CourseServiceServicer_to_server, CourseServicer(engine)),
        (learner_pb2_grpc.add_LearnerServiceServicer_to_server, LearnerServicer(engine)),
        (events_pb2_grpc.add_EventServiceServicer_to_server, EventServicer(engine)),
        (analytics_pb2_grpc.add_AnalyticsServiceServicer_to_server, AnalyticsServicer(engine)),
        (
            interventions_pb2_grpc.add_InterventionServiceServicer_to_server,
            InterventionServicer(engine),
        ),
        (
            experiments_pb2_grpc.add_ExperimentServiceServicer_to_server,
            ExperimentServicer(engine),
        ),
        (erasures_pb2_grpc.add_ErasureServiceServicer_to_server, ErasureServicer(engine)),
        (tenants_pb2_grpc.add_TenantServiceServicer_to_server, TenantServicer(engine)),
    ]
