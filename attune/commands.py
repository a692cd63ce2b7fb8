"""What each ``attune`` command runs. Every command imports its own packages here, when it
runs: ``attune serve`` and ``attune engine`` never import the offline ``models`` package
(training code, pyBKT, torch), and ``attune gateway`` imports no engine internals.

The three server commands share one exit contract: 0 after SIGTERM, 130 after Ctrl-C, and 2
with one line ``attune: <what is in the way>`` on stderr for bad settings, an unusable store
URL, a data dir another process holds or a port in use (never a traceback).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable
from typing import Protocol, TypeVar

from attune.settings import (
    engine_flags,
    engine_settings,
    gateway_flags,
    gateway_settings,
    serve_settings,
)

STARTUP_FAILED = 2


class _Logged(Protocol):
    """Settings that say how to log (every deployable's do)."""

    @property
    def log_level(self) -> str: ...

    @property
    def log_format(self) -> str: ...


S = TypeVar("S", bound=_Logged)


def run(args: argparse.Namespace) -> int:
    """Run the parsed command; its exit status."""
    runners: dict[str, Callable[[argparse.Namespace], int]] = {
        "serve": _serve,
        "engine": _engine,
        "gateway": _gateway,
        "demo": _demo,
        "models": _models,
        "export": _export,
        "content": _content,
        "simulate": _simulate,
        "refit": _refit,
        "oauth-client": _oauth_client,
        "tenant": _tenant,
        "backup": _backup,
        "restore": _backup,
        "quota": _quota,
    }
    return runners[args.command](args)


def _serve(args: argparse.Namespace) -> int:
    from attune.engine.adapters.factory import StoreConfigError
    from attune.engine.main import EngineStartupError
    from attune.gateway.main import GatewayStartupError
    from attune.gateway.stores import GatewayStoreError
    from attune.serve import serve

    refused = (StoreConfigError, EngineStartupError, GatewayStoreError, GatewayStartupError)
    return _server(lambda: serve_settings(args), lambda s: asyncio.run(serve(s)), refused)


def _engine(args: argparse.Namespace) -> int:
    if getattr(args, "workers", 1) > 1:
        return _supervise(args)  # the supervisor loads no engine code itself
    from attune.engine.adapters.factory import StoreConfigError
    from attune.engine.main import EngineStartupError, run_engine

    return _server(
        lambda: engine_settings(args),
        lambda s: asyncio.run(run_engine(s)),
        (StoreConfigError, EngineStartupError),
    )


def _supervise(args: argparse.Namespace) -> int:
    """``attune engine --workers N``: N engine processes on one port (engine/supervisor.py)."""
    from attune.engine.supervisor import Supervisor, SupervisorStartupError

    return _server(
        lambda: engine_settings(args),
        lambda s: Supervisor(s, engine_flags(args), args.workers).run(),
        (SupervisorStartupError,),
    )


def _gateway(args: argparse.Namespace) -> int:
    if getattr(args, "workers", 1) > 1:
        return _supervise_gateways(args)
    from attune.gateway.main import GatewayStartupError, run_gateway
    from attune.gateway.stores import GatewayStoreError
    from attune.integrations.edges import gateway_edges

    return _server(
        lambda: gateway_settings(args),
        lambda s: run_gateway(s, gateway_edges()),
        (GatewayStoreError, GatewayStartupError),
    )


def _supervise_gateways(args: argparse.Namespace) -> int:
    """``attune gateway --workers N``: N gateway processes on one port (gateway/supervisor.py)."""
    from attune.gateway.supervisor import GatewaySupervisor
    from attune.infra.supervisor import SupervisorStartupError

    return _server(
        lambda: gateway_settings(args),
        lambda s: GatewaySupervisor(s, gateway_flags(args), args.workers).run(),
        (SupervisorStartupError,),
    )


def _server(
    settings: Callable[[], S],
    serve: Callable[[S], object],
    refused: tuple[type[Exception], ...],
) -> int:
    """Build the settings, configure logging, serve; map the refusals to exit status 2."""
    from pydantic import ValidationError

    try:
        built = settings()
    except ValidationError as exc:
        print(f"attune: bad settings: {exc}", file=sys.stderr)
        return STARTUP_FAILED
    from attune.engine.logs import configure_logging

    configure_logging(built.log_level, built.log_format, worker=getattr(built, "worker", None))
    try:
        serve(built)
    except refused as exc:
        print(f"attune: {exc}", file=sys.stderr)
        return STARTUP_FAILED
    except KeyboardInterrupt:
        return 130
    return 0


def _demo(args: argparse.Namespace) -> int:
    from attune.engine.demo.run import run_demo

    return asyncio.run(run_demo(seed=args.seed, steps=args.steps, quiet=args.quiet))


BKT_COMMANDS = ("fit-bkt", "export-events")


def _models(args: argparse.Namespace) -> int:
    if args.models_command in BKT_COMMANDS:
        from attune.models.bkt.cli import run as run_bkt

        return run_bkt(args)
    from attune.models.dkt.cli import run as run_dkt

    return run_dkt(args)


def _export(args: argparse.Namespace) -> int:
    from attune.gateway.export import run as run_export

    return run_export(args)


def _content(args: argparse.Namespace) -> int:
    from attune.content.package.cli import run as run_content

    return run_content(args)


def _simulate(args: argparse.Namespace) -> int:
    from attune.models.simulation.cli import run_simulate

    return run_simulate(args)


def _refit(args: argparse.Namespace) -> int:
    from attune.models.refit.cli import run_refit

    return run_refit(args)


def _oauth_client(args: argparse.Namespace) -> int:
    from attune.gateway.oauth.cli import run as run_oauth_client

    return run_oauth_client(args)


def _tenant(args: argparse.Namespace) -> int:
    from attune.tenancy.cli import run as run_tenant

    return run_tenant(args)


def _backup(args: argparse.Namespace) -> int:
    from attune.backup.cli import run as run_backup

    return run_backup(args)


def _quota(args: argparse.Namespace) -> int:
    from attune.engine.quota_cli import run as run_quota

    return run_quota(args)
