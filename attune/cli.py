"""``attune``: the command line. It parses and dispatches; each command imports what it
uses when it runs, so building the parser imports nothing of the engine, the gateway or the
offline ``models`` package.

- ``attune serve``: the engine and the gateway in one process, on the embedded store (the
  default a newcomer runs).
- ``attune engine``: the gRPC engine alone (EngineSettings).
- ``attune gateway``: the HTTP gateway alone (GatewaySettings), against any engine address.
- ``attune demo``, ``attune simulate``, ``attune models ...``, ``attune export ...``,
  ``attune content validate``, ``attune backup``, ``attune restore``: tools.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

Register = Callable[["argparse._SubParsersAction[argparse.ArgumentParser]"], None]

# Commands whose arguments are declared by the package that runs them (models/, gateway/):
# their parsers are built, and their packages imported, only when that command is given.
DEFERRED_HELP = {
    "models": "offline models: fit BKT, train and evaluate DKT",
    "export": "export the event log",
    "content": "course packages: validate, import",
    "oauth-client": "partner apps' OAuth clients: create, list, revoke",
    "tenant": "a whole tenant: export, delete",
    "backup": "copy the embedded stores (safe while running) into a new directory",
    "restore": "put a backup into a data directory no process is using",
    "quota": "the engine's quotas: recount the learners stored before quotas",
}


def _engine_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", help="interface to bind (ATTUNE_HOST, default 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port, 0 for any (ATTUNE_PORT, default 50051)")
    parser.add_argument(
        "--store",
        dest="store_url",
        help="store URL (ATTUNE_STORE_URL); default: the embedded store under --data-dir",
    )
    parser.add_argument("--data-dir", help="embedded store directory (ATTUNE_DATA_DIR)")
    parser.add_argument(
        "--no-demo",
        dest="demo_course",
        action="store_false",
        default=None,
        help="do not load the demo course into the default tenant",
    )


def _log_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--log-format", choices=["auto", "json", "console"])
    parser.add_argument("--log-level", choices=["debug", "info", "warning", "error"])


def _servers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    serve = sub.add_parser("serve", help="run the gRPC engine and the gateway (demo course)")
    _engine_flags(serve)
    serve.add_argument(
        "--gateway-port", type=int, help="gateway HTTP port (ATTUNE_GATEWAY__PORT, default 8000)"
    )
    serve.add_argument(
        "--no-gateway", action="store_true", help="serve the gRPC engine only, without the gateway"
    )
    _log_flags(serve)

    engine = sub.add_parser("engine", help="run the gRPC engine alone")
    _engine_flags(engine)
    engine.add_argument(
        "--workers",
        type=_workers,
        default=1,
        help="engine processes on the same port, supervised (default 1; above 1 needs "
        "--store redis://...)",
    )
    _log_flags(engine)

    gateway = sub.add_parser("gateway", help="run the HTTP gateway alone, against an engine")
    gateway.add_argument(
        "--engine-address",
        help="the engine's gRPC address, host:port (ATTUNE_GATEWAY__ENGINE_ADDRESS, "
        "default 127.0.0.1:50051)",
    )
    gateway.add_argument("--host", help="interface to bind (ATTUNE_GATEWAY__HOST, 127.0.0.1)")
    gateway.add_argument(
        "--port", type=int, help="HTTP port, 0 for any (ATTUNE_GATEWAY__PORT, default 8000)"
    )
    gateway.add_argument(
        "--store",
        dest="store_url",
        help="gateway store URL (ATTUNE_GATEWAY__STORE_URL): redis://, rediss:// or "
        "redis+cluster://; default: the embedded gateway.db under --data-dir",
    )
    gateway.add_argument(
        "--workers",
        type=_workers,
        default=1,
        help="gateway processes on the same port, supervised (default 1; above 1 needs "
        "--store redis://...)",
    )
    gateway.add_argument(
        "--data-dir", help="embedded store directory (ATTUNE_GATEWAY__DATA_DIR, ATTUNE_DATA_DIR)"
    )
    _log_flags(gateway)


def _workers(text: str) -> int:
    """``--workers``: a whole number from 1 to 64."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}") from None
    if not 1 <= value <= 64:
        raise argparse.ArgumentTypeError(f"must be from 1 to 64, got {value}")
    return value


def _tools(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    demo = sub.add_parser("demo", help="tutor a simulated learner through the demo course")
    demo.add_argument("--seed", type=int, default=7)
    demo.add_argument("--steps", type=int, default=400, help="maximum number of responses")
    demo.add_argument("--quiet", action="store_true", help="print only the summary")

    sim = sub.add_parser("simulate", help="compare tutoring policies on synthetic learners")
    sim.add_argument("--course", default="demo", help="course to tutor (known: demo)")
    sim.add_argument("--learners", type=int, default=30, help="synthetic learners per policy")
    sim.add_argument(
        "--policy", choices=["ours", "static", "random", "alosi", "oracle", "all"], default="all"
    )
    sim.add_argument(
        "--realistic",
        action="store_true",
        help="hidden learners (own rates, forgetting, rushing) judged against the truth, "
        "with the oracle; see models/simulation/hidden.py",
    )
    sim.add_argument(
        "--graph", default="demo", help="realistic: demo, wide, deep or all (default demo)"
    )
    sim.add_argument("--seeds", type=int, default=1, help="realistic: seeds from --seed on")
    sim.add_argument(
        "--mastery",
        type=_mastery,
        default=None,
        help="realistic: the course mastery policy THRESHOLD,MIN_ATTEMPTS,CONSECUTIVE "
        "(e.g. 0.98,8,2; default: the engine's)",
    )
    sim.add_argument("--seed", type=int, default=1)
    sim.add_argument("--json", action="store_true", help="print the metrics as JSON")
    sim.add_argument(
        "--static-count", type=int, default=5, help="items per skill on the static path"
    )
    sim.add_argument(
        "--cap", type=int, help="most items per learner (default 800; realistic: per graph)"
    )
    sim.add_argument(
        "--concurrency",
        type=int,
        default=1,
        help="learners tutored at once per policy; above 1 results are not reproducible",
    )
    sim.add_argument(
        "--workers", type=int, default=0, help="processes running policies (0: one per core)"
    )
    _refit(sub)


def _refit(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    refit = sub.add_parser(
        "refit",
        help="refit a course's BKT and IRT parameters from the event log (held-out checked)",
        description="Refit BKT per skill (pyBKT, skills with enough learner sequences) and "
        "calibrate IRT items (MML-EM) from the course's event log; adopt only parameters that "
        "predict held-out learners better, and put the new course through the engine.",
    )
    refit.add_argument("--tenant", default="default", help="tenant (default: default)")
    refit.add_argument("--course", required=True, help="course id")
    refit.add_argument(
        "--store", dest="store_url", help="store URL (ATTUNE_STORE_URL), as the engine's"
    )
    refit.add_argument("--data-dir", help="embedded store directory (ATTUNE_DATA_DIR)")
    refit.add_argument("--dry-run", action="store_true", help="report only; change nothing")
    refit.add_argument("--json", action="store_true", help="print the report as JSON")
    refit.add_argument(
        "--min-sequences", type=int, help="learner sequences a skill needs (default 200)"
    )
    refit.add_argument(
        "--min-item-responses", type=int, help="responses an item needs (default 50)"
    )
    refit.add_argument("--no-irt", action="store_true", help="refit BKT only")
    _log_flags(refit)


def _register_models(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from attune.models.bkt.cli import register as register_bkt
    from attune.models.dkt.cli import register as register_dkt

    models = sub.add_parser("models", help=DEFERRED_HELP["models"])
    commands = models.add_subparsers(dest="models_command", required=True)
    register_bkt(commands)  # fit-bkt, export-events
    register_dkt(commands)  # train-dkt, evaluate, train-demo-dkt (torch only when run)


def _register_export(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from attune.gateway.export import register

    register(sub)  # export xapi


def _mastery(text: str) -> str:
    """``--mastery``, checked when given (the simulation code is imported only then)."""
    from attune.models.simulation.realistic_cli import parse_mastery

    try:
        parse_mastery(text)
    except argparse.ArgumentTypeError:
        raise
    except Exception as exc:  # a policy the engine would refuse, named by its validation
        raise argparse.ArgumentTypeError(str(exc)) from exc
    return text


def _register_oauth_client(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from attune.gateway.oauth.cli import register

    register(sub)  # oauth-client create|list|revoke


def _register_tenant(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from attune.tenancy.cli import register

    register(sub)  # tenant export|delete


def _register_quota(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from attune.engine.quota_cli import register

    register(sub)  # quota recount


def _register_content(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from attune.content.package.cli import register

    register(sub)  # content validate


def _register_backup(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from attune.backup.cli import register_backup

    register_backup(sub)


def _register_restore(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from attune.backup.cli import register_restore

    register_restore(sub)


DEFERRED: dict[str, Register] = {
    "models": _register_models,
    "export": _register_export,
    "content": _register_content,
    "oauth-client": _register_oauth_client,
    "tenant": _register_tenant,
    "backup": _register_backup,
    "restore": _register_restore,
    "quota": _register_quota,
}


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The ``attune`` parser. A deferred command's own arguments are declared (and its
    package imported) only when ``command`` names it; otherwise it is listed by name."""
    parser = argparse.ArgumentParser(prog="attune", description="Attune adaptive learning engine")
    sub = parser.add_subparsers(dest="command", required=True)
    _servers(sub)
    _tools(sub)
    for name, register in DEFERRED.items():
        if name == command:
            register(sub)
        else:
            sub.add_parser(name, help=DEFERRED_HELP[name])
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``attune`` console script."""
    given = list(sys.argv[1:] if argv is None else argv)
    command = next((arg for arg in given if not arg.startswith("-")), None)
    args = build_parser(command).parse_args(given)
    from attune import commands

    return commands.run(args)
