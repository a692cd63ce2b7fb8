"""Run the gateway: waitress (a production WSGI server, pure Python) on a thread pool, plus the
grade outbox's sender thread. ``attune serve`` starts it next to the engine."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import structlog
from waitress.server import create_server

from gateway.app import Gateway, build_gateway, create_app
from gateway.engine_client import EngineClient
from gateway.grades.outbox import ScoreSender
from gateway.settings import GatewaySettings
from gateway.sqlite_store import SqliteGatewayStore

log = structlog.get_logger("attune.gateway")


@dataclass
class RunningGateway:
    """A started gateway: its port, its parts, and how to stop it."""

    port: int
    base_url: str
    gateway: Gateway
    sender: ScoreSender
    _server: object
    _thread: threading.Thread

    def stop(self) -> None:
        """Stop taking requests and sending scores; close the store and the channel."""
        self._server.close()  # type: ignore[attr-defined]
        self._thread.join(5.0)
        self.sender.stop()
        self.gateway.engine.close()
        self.gateway.store.close()
        log.info("gateway.stopped", port=self.port)


def start_gateway(settings: GatewaySettings, data_dir: Path, engine_target: str) -> RunningGateway:
    """Open the store under ``data_dir``, bind, and serve in background threads."""
    store = SqliteGatewayStore(data_dir / "gateway.db")
    engine = EngineClient(engine_target, settings.engine_tokens)
    holder: dict[str, Any] = {}
    # The base URL needs the bound port when none is configured, and the app needs the base
    # URL: bind first with a placeholder app, then install the real one.
    server = create_server(
        lambda environ, start: holder["app"](environ, start),
        host=settings.host,
        port=settings.port,
        threads=settings.threads,
        clear_untrusted_proxy_headers=True,
    )
    port = int(server.effective_port)
    base_url = settings.base_url(port)
    gateway = build_gateway(settings, store, engine, base_url)
    gateway.keys.current()  # make the first signing key now, not on the first launch
    holder["app"] = create_app(gateway)
    sender = ScoreSender(
        store,
        gateway.connector_for,
        settings.outbox_base_delay_seconds,
        settings.outbox_max_delay_seconds,
        settings.outbox_poll_seconds,
    )
    sender.start()
    thread = threading.Thread(target=server.run, name="gateway-http", daemon=True)
    thread.start()
    log.info("gateway.listening", url=base_url)
    return RunningGateway(port, base_url, gateway, sender, server, thread)
