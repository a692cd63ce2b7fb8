"""``attune``: the command line. ``serve`` runs the engine; ``demo`` tutors a simulated
learner through the demo course in the terminal."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from engine.settings import DEV_TOKEN, EngineSettings

if TYPE_CHECKING:
    from engine.dkt.registry import ModelRegistry
    from engine.dkt.tracer import OnnxTracer
    from engine.ports import EngineStore
    from gateway.lrs.ports import StatementOutbox
    from gateway.ports import GatewayStore
    from gateway.server import RunningGateway


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="attune", description="Attune adaptive learning engine")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the gRPC engine (with the demo course)")
    serve.add_argument("--host", help="interface to bind (ATTUNE_HOST, default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port, 0 for any (ATTUNE_PORT, default 50051)")
    serve.add_argument(
        "--store",
        dest="store_url",
        help="store URL (ATTUNE_STORE_URL); default: the embedded store under --data-dir",
    )
    serve.add_argument("--data-dir", help="embedded store directory (ATTUNE_DATA_DIR)")
    serve.add_argument(
        "--no-demo",
        dest="demo_course",
        action="store_false",
        default=None,
        help="do not load the demo course into the default tenant",
    )
    serve.add_argument(
        "--gateway-port", type=int, help="gateway HTTP port (ATTUNE_GATEWAY__PORT, default 8000)"
    )
    serve.add_argument(
        "--no-gateway", action="store_true", help="serve the gRPC engine only, without the gateway"
    )
    serve.add_argument("--log-format", choices=["auto", "json", "console"])
    serve.add_argument("--log-level", choices=["debug", "info", "warning", "error"])

    demo = sub.add_parser("demo", help="tutor a simulated learner through the demo course")
    demo.add_argument("--seed", type=int, default=7)
    demo.add_argument("--steps", type=int, default=400, help="maximum number of responses")
    demo.add_argument("--quiet", action="store_true", help="print only the summary")

    models = sub.add_parser("models", help="offline models: fit BKT, train and evaluate DKT")
    model_commands = models.add_subparsers(dest="models_command", required=True)
    from models.bkt.cli import register as register_bkt
    from models.dkt.cli import register as register_dkt

    register_bkt(model_commands)  # fit-bkt, export-events (import nothing heavy)
    register_dkt(model_commands)  # train-dkt, evaluate, train-demo-dkt (torch only when run)

    from gateway.export import register as register_export

    register_export(sub)  # export xapi (imports nothing heavy)

    sim = sub.add_parser("simulate", help="compare tutoring policies on synthetic learners")
    sim.add_argument("--course", default="demo", help="course to tutor (known: demo)")
    sim.add_argument("--learners", type=int, default=30, help="synthetic learners per policy")
    sim.add_argument(
        "--policy", choices=["ours", "static", "random", "alosi", "all"], default="all"
    )
    sim.add_argument("--seed", type=int, default=1)
    sim.add_argument("--json", action="store_true", help="print the metrics as JSON")
    sim.add_argument(
        "--static-count", type=int, default=5, help="items per skill on the static path"
    )
    sim.add_argument("--cap", type=int, default=800, help="most items per learner")
    sim.add_argument(
        "--concurrency",
        type=int,
        default=1,
        help="learners tutored at once per policy; above 1 results are not reproducible",
    )
    sim.add_argument(
        "--workers", type=int, default=0, help="processes running policies (0: one per core)"
    )
    return parser


BKT_COMMANDS = ("fit-bkt", "export-events")


class StartupError(Exception):
    """``attune serve`` cannot start; the message names what is in the way (exit status 2)."""


def _settings(args: argparse.Namespace) -> EngineSettings:
    overrides: dict[str, Any] = {
        k: v for k, v in vars(args).items() if k in EngineSettings.model_fields and v is not None
    }
    settings = EngineSettings(**overrides)
    gateway: dict[str, Any] = {}
    if getattr(args, "gateway_port", None) is not None:
        gateway["port"] = args.gateway_port
    if getattr(args, "no_gateway", False):
        gateway["enabled"] = False
    if gateway:
        settings.gateway = settings.gateway.model_validate(
            {**settings.gateway.model_dump(), **gateway}
        )
    return settings


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``attune`` console script."""
    args = _parser().parse_args(argv)
    if args.command == "serve":
        from pydantic import ValidationError

        from engine.adapters.factory import StoreConfigError
        from gateway.stores import GatewayStoreError

        try:
            settings = _settings(args)
        except ValidationError as exc:
            print(f"attune: bad settings: {exc}", file=sys.stderr)
            return 2
        try:
            asyncio.run(serve(settings))
        except (StoreConfigError, GatewayStoreError, StartupError) as exc:
            print(f"attune: {exc}", file=sys.stderr)
            return 2
        except KeyboardInterrupt:
            return 130
        return 0
    if args.command == "demo":
        from engine.demo.run import run_demo

        return asyncio.run(run_demo(seed=args.seed, steps=args.steps, quiet=args.quiet))
    if args.command == "models":
        if args.models_command in BKT_COMMANDS:
            from models.bkt.cli import run as run_bkt

            return run_bkt(args)
        from models.dkt.cli import run as run_dkt

        return run_dkt(args)
    if args.command == "export":
        from gateway.export import run as run_export

        return run_export(args)
    if args.command == "simulate":
        from models.simulation.cli import run_simulate

        return run_simulate(args)
    return 2  # pragma: no cover - argparse enforces the choices


async def serve(settings: EngineSettings) -> None:
    """Open the store, load the demo course, serve until SIGTERM, shut down gracefully."""
    import structlog

    from engine.dkt.stepper import DktStepper
    from engine.dkt.watch import watch
    from engine.grpc.auth import StaticTokenAuthenticator
    from engine.grpc.server import PortUnavailableError, run_until_signalled, start_server
    from engine.logs import configure_logging
    from engine.service import Engine

    configure_logging(settings.log_level, settings.log_format)
    log = structlog.get_logger("attune.cli")
    store = await _open_store(settings)
    gateway_stores = None
    if settings.gateway.enabled:
        from gateway.stores import open_stores

        # Before the engine listens: a bad gateway store URL stops the start, naming it.
        gateway_stores = open_stores(settings.gateway.store_url, settings.data_dir)
    registry, tracer = _dkt(settings)
    engine = Engine(store, tutor=settings.tutor.policy(), dkt=DktStepper(tracer))
    if settings.demo_course:
        from dataclasses import replace

        from engine.demo.course import DEMO_DKT, demo_course

        course = demo_course()
        if registry is not None and registry.resolve(DEMO_DKT) is not None:
            course = replace(course, dkt_model=DEMO_DKT)
        await engine.put_course(settings.default_tenant, course)
    if DEV_TOKEN in settings.auth.tokens:
        log.warning(
            "auth.dev_token",
            hint="the development token is accepted; set ATTUNE_AUTH__TOKENS in production",
        )
    try:
        running = await start_server(
            engine, StaticTokenAuthenticator(settings.auth.tokens), settings.host, settings.port
        )
    except PortUnavailableError as exc:
        await store.close()
        raise StartupError(str(exc)) from None
    print(f"attune engine listening on {settings.host}:{running.port}", flush=True)
    gateway = None
    watcher = None
    try:
        if settings.gateway.enabled:
            gateway = _start_gateway(settings, f"{settings.host}:{running.port}", gateway_stores)
            print(f"attune gateway listening on {gateway.base_url}", flush=True)
        if registry:
            watcher = asyncio.create_task(watch(registry, settings.models_poll_seconds))
    except StartupError:
        await running.stop(0)
        raise
    try:
        await run_until_signalled(running, settings.grace_seconds)
    finally:
        if gateway is not None:
            gateway.stop()
        if watcher is not None:
            watcher.cancel()
        if tracer is not None:
            tracer.close()


async def _open_store(settings: EngineSettings) -> EngineStore:
    """The engine's store, or :class:`StartupError` naming the data dir that is in use (the
    embedded store's lock is held by another process) or cannot be opened."""
    from engine.adapters.factory import open_store
    from engine.domain.errors import UnavailableError

    try:
        return await open_store(settings)
    except UnavailableError as exc:  # the lock: "another engine process holds ... at <path>"
        raise StartupError(f"{exc}; stop it or choose another --data-dir") from None
    except OSError as exc:
        where = exc.filename or settings.data_dir
        raise StartupError(f"cannot open the store at {where}: {exc.strerror or exc}") from None


def _start_gateway(
    settings: EngineSettings,
    engine_target: str,
    stores: tuple[GatewayStore, StatementOutbox] | None,
) -> RunningGateway:
    """The gateway next to the engine, or :class:`StartupError` naming the port it cannot
    bind."""
    from gateway.server import start_gateway
    from integrations.edges import gateway_edges

    try:
        return start_gateway(
            settings.gateway,
            settings.data_dir,
            engine_target,
            gateway_edges(),
            default_lrs={
                "url": settings.lrs_url,
                "username": settings.lrs_username,
                "password": settings.lrs_password,
                "xapi_version": settings.lrs_xapi_version,
            },
            stores=stores,
        )
    except OSError as exc:  # waitress binds in create_server: EADDRINUSE, EACCES, ...
        where = f"{settings.gateway.host}:{settings.gateway.port}"
        raise StartupError(f"cannot listen on {where} (gateway): {exc.strerror or exc}") from None


def _dkt(settings: EngineSettings) -> tuple[ModelRegistry | None, OnnxTracer | None]:
    """The model registry and tracer, when a models folder exists."""
    import structlog

    from engine.dkt.registry import ModelRegistry
    from engine.dkt.tracer import OnnxTracer
    from engine.dkt.watch import reload_now

    folder = settings.models_dir
    if folder is None or not folder.is_dir():
        return None, None
    registry = ModelRegistry(folder)
    reload_now(registry)
    structlog.get_logger("attune.cli").info("dkt.models", loaded=registry.keys())
    return registry, OnnxTracer(registry, batching=settings.dkt_batching)
