"""The engine deployable: build the engine from :class:`EngineSettings`, listen, serve until
SIGTERM or SIGINT. ``attune engine`` runs it alone; ``attune serve`` starts the gateway between
:func:`listen` and :meth:`ListeningEngine.serve`.

Starting is two steps so that a composition can check its own parts in between: open
(store, DKT models, the engine, the demo course) then listen. Anything in the way is an
:class:`EngineStartupError` naming it; the command line prints it and exits with status 2.
Nothing here imports the gateway or the offline ``models`` package.
"""

from __future__ import annotations

import asyncio
import gc
import signal
from collections.abc import Callable
from dataclasses import dataclass, field

import structlog

from attune.engine.dkt.registry import ModelRegistry
from attune.engine.grpc.admission import AdmissionInterceptor
from attune.engine.grpc.auth import Authenticator
from attune.engine.grpc.server import RunningServer
from attune.engine.grpc.tenant_limits import TenantLimitInterceptor
from attune.engine.observability.wiring import EngineObservability
from attune.engine.ports import EngineStore
from attune.engine.service import Engine
from attune.engine.settings import DEV_TOKEN, EngineSettings
from attune.infra.audit import AuditTrail

log = structlog.get_logger("attune.engine")


class EngineStartupError(Exception):
    """The engine cannot start; the message names what is in the way (a data dir another
    process holds, a port in use, a store that cannot be opened)."""


@dataclass
class OpenedEngine:
    """An engine over its open store, not yet listening."""

    settings: EngineSettings
    engine: Engine
    registry: ModelRegistry | None
    observability: EngineObservability | None = None  # metrics, traces, health (issue 17)
    recount: asyncio.Task[None] | None = None  # the one-time quota recount (Redis)

    async def close(self) -> None:
        """Release the store (a start that stops before listening)."""
        if self.recount is not None:
            self.recount.cancel()
        await self.engine.close()


async def open_engine(settings: EngineSettings) -> OpenedEngine:
    """Open the store, load the DKT models and, when enabled, the demo course."""
    from attune.engine.dkt.serving import open_tracer
    from attune.engine.grpc.server import build_engine
    from attune.engine.quota_setup import open_quotas, start_recount
    from attune.engine.tenant_setup import enable_tenant_admin

    observability = EngineObservability.from_settings(settings)
    store = observability.measure(await _open_store(settings))
    registry, tracer = open_tracer(settings.models_dir, batching=settings.dkt_batching)
    engine = build_engine(store, tracer=tracer, tutor=settings.tutor.policy())
    observability.attach(engine, tracer, registry)
    engine.quotas = await open_quotas(store, settings.limits)  # per-tenant stored-size quotas
    recount = start_recount(store) if engine.quotas is not None else None
    enable_tenant_admin(engine, store)  # TenantService: export and delete a whole tenant
    if settings.demo_course:
        await _put_demo_course(engine, settings.default_tenant, registry)
    if DEV_TOKEN in settings.auth.tokens:
        log.warning(
            "auth.dev_token",
            hint="the development token is accepted; set ATTUNE_AUTH__TOKENS in production",
        )
    return OpenedEngine(settings, engine, registry, observability, recount)


@dataclass
class ListeningEngine:
    """An engine serving gRPC on ``port``. SIGTERM and SIGINT are caught from the moment it
    listens (before it says so), so a supervisor that signals as soon as it reads the
    "listening" line gets a graceful stop, never the default kill."""

    opened: OpenedEngine
    server: RunningServer
    stopping: asyncio.Event = field(default_factory=asyncio.Event)

    def __post_init__(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self.stopping.set)

    @property
    def port(self) -> int:
        return self.server.port

    @property
    def address(self) -> str:
        """``host:port`` as bound (the port is the real one when 0 was asked for)."""
        return f"{self.opened.settings.host}:{self.server.port}"

    async def stop(self) -> None:
        """Stop at once (a composition whose next part failed to start)."""
        if self.opened.observability is not None:
            await self.opened.observability.stop()
        await self.server.stop(0)

    async def serve(self, on_stop: Callable[[], None] | None = None) -> None:
        """Serve until SIGTERM or SIGINT, reloading DKT models meanwhile; then stop
        gracefully and call ``on_stop`` (a composed gateway's stop)."""
        from attune.engine.dkt.watch import watch

        settings = self.opened.settings
        registry = self.opened.registry
        watcher = None
        if registry is not None:
            watcher = asyncio.create_task(watch(registry, settings.models_poll_seconds))
        refits = _start_refit_job(self.opened, self.stopping)
        try:
            await self.stopping.wait()
            log.info("server.stopping", grace_s=settings.grace_seconds)
            if self.opened.observability is not None:
                await self.opened.observability.stop()
            await self.server.stop(settings.grace_seconds)
        finally:
            if on_stop is not None:
                on_stop()
            if watcher is not None:
                watcher.cancel()
            if refits is not None:
                refits.cancel()


def _start_refit_job(opened: OpenedEngine, stopping: asyncio.Event) -> asyncio.Task[None] | None:
    """The background refit (engine/refit_job.py), when ``refit.interval_hours`` > 0: over
    the tenants the engine's tokens act for (and the default tenant)."""
    settings = opened.settings
    if settings.refit.interval_hours <= 0:
        return None
    from attune.engine.refit_job import RefitJob

    tenants = tuple(dict.fromkeys([settings.default_tenant, *settings.auth.tokens.values()]))
    job = RefitJob(opened.engine, tenants, settings.refit, opened.engine.clock)
    return asyncio.create_task(job.run_forever(stopping))


async def listen(opened: OpenedEngine, trusted: Authenticator | None = None) -> ListeningEngine:
    """Start the gRPC server on the settings' host and port. A port that cannot be bound
    releases the store and is an :class:`EngineStartupError` naming the address.
    ``trusted``: another authenticator after the static tokens (``attune serve``'s gateway)."""
    from attune.engine.auth_setup import build_authenticator, server_credentials
    from attune.engine.grpc.server import SERVICE_NAMES, PortUnavailableError, start_server

    settings = opened.settings
    if trusted is None and not settings.auth.tokens and not settings.auth.jwks_url:
        await opened.close()
        raise EngineStartupError(
            "auth: set ATTUNE_AUTH__TOKENS or ATTUNE_AUTH__JWKS_URL, or no call can be "
            "authenticated (auth.trust_gateway applies under attune serve only)"
        )
    try:
        credentials = server_credentials(settings.auth)
    except OSError as exc:
        await opened.close()
        raise EngineStartupError(f"cannot read the TLS files (auth.tls_*): {exc}") from None
    try:
        running = await start_server(
            opened.engine,
            build_authenticator(settings.auth, trusted=trusted),
            settings.host,
            settings.port,
            credentials,
            audit=_audit_trail(settings, opened.engine.now),
            limits=_tenant_limits(settings, opened.engine.now),
            observe=opened.observability.interceptor() if opened.observability else None,
            admission=_admission(opened),
            reuse_port=settings.reuse_port,
            max_rpcs=settings.admission.max_rpcs if settings.admission.enabled else 0,
        )
        if opened.observability is not None:
            await opened.observability.start(running.health, SERVICE_NAMES)
    except PortUnavailableError as exc:
        await opened.close()
        raise EngineStartupError(str(exc)) from None
    listening = ListeningEngine(opened, running)
    tune_gc()
    print(f"attune engine listening on {settings.host}:{running.port}", flush=True)
    return listening


def _admission(opened: OpenedEngine) -> AdmissionInterceptor | None:
    """Load shedding (engine/grpc/admission.py), unless turned off; watched by the metrics."""
    from attune.engine.grpc.admission import AdmissionGate

    if not opened.settings.admission.enabled:
        return None
    gate = AdmissionGate(opened.settings.admission)
    if opened.observability is not None:
        opened.observability.watch_admission(gate)
    return AdmissionInterceptor(gate)


# Young collections every GC_YOUNG container allocations instead of CPython's 700 (issue 17).
GC_YOUNG = 10_000


def tune_gc() -> None:
    """Once started: what the start built (modules, courses, DKT models, about 75,000 objects)
    is frozen out of the collector's sight, so full collections no longer walk it, and young
    collections run every GC_YOUNG allocations. Each collection costs about 1-2 ms here
    whatever its size, and at the default threshold one ran every few dozen responses;
    reference counting frees nearly everything a response allocates anyway."""
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(GC_YOUNG, older, oldest)


def _tenant_limits(
    settings: EngineSettings, clock: Callable[[], float]
) -> TenantLimitInterceptor | None:
    """Per-tenant request budgets (engine/grpc/tenant_limits.py), unless turned off."""
    if not settings.limits.enabled:
        return None
    return TenantLimitInterceptor(settings.limits, clock)


def _audit_trail(settings: EngineSettings, clock: Callable[[], float]) -> AuditTrail | None:
    """The shared audit trail (infra.audit) the engine records partners' reads in."""
    from attune.infra.audit import open_audit_log

    audit = settings.audit
    if not audit.enabled:
        return None
    beside = settings.store_url if settings.store_url.startswith("redis") else ""
    log_store = open_audit_log(audit.store_url or beside, settings.data_dir)
    return AuditTrail(log_store, audit.retention_days, clock)


async def run_engine(settings: EngineSettings) -> None:
    """``attune engine``: open, listen, serve until signalled."""
    listening = await listen(await open_engine(settings))
    await listening.serve()


async def _open_store(settings: EngineSettings) -> EngineStore:
    """The engine's store, or :class:`EngineStartupError` naming the data dir that is in
    use (the embedded store's lock is held by another process) or cannot be opened. A store
    URL that cannot be used is a :class:`~engine.adapters.factory.StoreConfigError`."""
    from attune.engine.adapters.factory import open_store
    from attune.engine.domain.errors import UnavailableError

    try:
        return await open_store(settings)
    except UnavailableError as exc:  # the lock: "another engine process holds ... at <path>"
        raise EngineStartupError(f"{exc}; stop it or choose another --data-dir") from None
    except OSError as exc:
        where = exc.filename or settings.data_dir
        raise EngineStartupError(
            f"cannot open the store at {where}: {exc.strerror or exc}"
        ) from None


async def _put_demo_course(engine: Engine, tenant: str, registry: ModelRegistry | None) -> None:
    """The bundled demo course, pinned to its DKT model when that model is loaded."""
    from dataclasses import replace

    from attune.engine.demo.course import DEMO_DKT, demo_course

    course = demo_course()
    if registry is not None and registry.resolve(DEMO_DKT) is not None:
        course = replace(course, dkt_model=DEMO_DKT)
    await engine.put_course(tenant, course)
