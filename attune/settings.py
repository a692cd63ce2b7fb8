"""Settings from the environment with the command line's flags on top, one object per
deployable: :class:`~engine.settings.EngineSettings` for ``attune engine``,
:class:`~gateway.settings.GatewaySettings` for ``attune gateway``, and for ``attune serve``
a :class:`ServeSettings` holding both (each still read from its own variables).
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from attune.engine.settings import EngineSettings
    from attune.gateway.settings import GatewaySettings

# Flag destinations that set a field of the same name.
ENGINE_FLAGS = ("host", "port", "store_url", "data_dir", "demo_course", "log_format", "log_level")
GATEWAY_FLAGS = ("host", "port", "engine_address", "store_url", "data_dir")
LOG_FLAGS = ("log_format", "log_level")


@dataclass(frozen=True)
class ServeSettings:
    """``attune serve``: the engine's and the gateway's settings. The gateway's
    ``engine_address`` is replaced by the address the engine binds; ``--data-dir`` and the
    log flags apply to both, and the process logs as the engine's settings say."""

    engine: EngineSettings
    gateway: GatewaySettings

    @property
    def log_level(self) -> str:
        return self.engine.log_level

    @property
    def log_format(self) -> str:
        return self.engine.log_format


def _given(args: argparse.Namespace, names: Iterable[str]) -> dict[str, Any]:
    """The flags among ``names`` that were given (None: not on the command line)."""
    return {n: getattr(args, n) for n in names if getattr(args, n, None) is not None}


def engine_settings(args: argparse.Namespace) -> EngineSettings:
    """EngineSettings from ``ATTUNE_*`` with the flags on top."""
    from attune.engine.settings import EngineSettings

    return EngineSettings(**_given(args, ENGINE_FLAGS))


_FLAG_NAMES = {
    "store_url": "--store",
    "data_dir": "--data-dir",
    "engine_address": "--engine-address",
    "log_format": "--log-format",
    "log_level": "--log-level",
}


def engine_flags(args: argparse.Namespace) -> list[str]:
    """The engine flags given on the command line, as flags again (without ``--port``): what
    ``attune engine --workers N`` passes on to each worker."""
    return _as_flags(args, ENGINE_FLAGS)


def gateway_flags(args: argparse.Namespace) -> list[str]:
    """The gateway flags given on the command line, as flags again (without ``--port``):
    what ``attune gateway --workers N`` passes on to each worker."""
    return _as_flags(args, (*GATEWAY_FLAGS, *LOG_FLAGS))


def _as_flags(args: argparse.Namespace, names: Iterable[str]) -> list[str]:
    flags: list[str] = []
    for name, value in _given(args, names).items():
        if name == "port":
            continue
        if name == "demo_course":
            flags += [] if value else ["--no-demo"]
            continue
        flags += [_FLAG_NAMES.get(name, f"--{name}"), str(value)]
    return flags


def gateway_settings(args: argparse.Namespace) -> GatewaySettings:
    """GatewaySettings from ``ATTUNE_GATEWAY__*`` (and the shared names) with the flags on
    top."""
    from attune.gateway.settings import GatewaySettings

    return GatewaySettings(**_given(args, (*GATEWAY_FLAGS, *LOG_FLAGS)))


def serve_settings(args: argparse.Namespace) -> ServeSettings:
    """Both deployables' settings for ``attune serve``: ``--gateway-port`` and
    ``--no-gateway`` set the gateway's port and ``enabled``; ``--data-dir`` and the log flags
    set both."""
    from attune.engine.settings import EngineSettings
    from attune.gateway.settings import GatewaySettings

    overrides = _given(args, ("data_dir", *LOG_FLAGS))
    if getattr(args, "gateway_port", None) is not None:
        overrides["port"] = args.gateway_port
    if getattr(args, "no_gateway", False):
        overrides["enabled"] = False
    gateway = GatewaySettings(**overrides)
    given = _given(args, ENGINE_FLAGS)
    if gateway.enabled:
        # The engine trusts the tokens the gateway signs, its own and partner apps'
        # (see attune/gateway_trust.py).
        given["auth"] = {"trust_gateway": True}
    return ServeSettings(engine=EngineSettings(**given), gateway=gateway)
