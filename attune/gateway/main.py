"""The gateway deployable: ``attune gateway`` runs the HTTP gateway alone with
:class:`GatewaySettings`, against the engine at ``settings.engine_address``, with its own
store (the embedded SQLite file under ``settings.data_dir``, or Redis). ``attune serve``
uses :func:`open_gateway_stores` and :func:`bind_gateway` next to the engine.

Anything in the way is a :class:`GatewayStartupError` (or
:class:`~gateway.stores.GatewayStoreError` for a store URL) naming it; the command line prints
it and exits with status 2. Nothing here imports the engine.
"""

from __future__ import annotations

import signal
import threading
from types import FrameType

from attune.gateway.edges import GatewayEdges
from attune.gateway.engine_local import UnaryCaller
from attune.gateway.lrs.ports import StatementOutbox
from attune.gateway.ports import GatewayStore
from attune.gateway.server import RunningGateway
from attune.gateway.settings import GatewaySettings

Stores = tuple[GatewayStore, StatementOutbox]


class GatewayStartupError(Exception):
    """The gateway cannot start; the message names what is in the way."""


def open_gateway_stores(settings: GatewaySettings) -> Stores:
    """The gateway's store and statement outbox; a URL that cannot be used is a
    :class:`~gateway.stores.GatewayStoreError` naming it (password masked)."""
    from attune.gateway.stores import open_stores

    return open_stores(settings.store_url, settings.data_dir)


def bind_gateway(
    settings: GatewaySettings,
    edges: GatewayEdges,
    stores: Stores,
    local_engine: UnaryCaller | None = None,
) -> RunningGateway:
    """Start the gateway over ``stores`` with the vendor adapters ``edges`` (the composition
    root passes ``integrations.edges.gateway_edges()``), or :class:`GatewayStartupError`
    naming the address it cannot bind (the stores are closed then). ``local_engine``: the
    engine in this process (``attune serve``), called without the network."""
    from attune.gateway.server import start_gateway

    try:
        running = start_gateway(settings, edges, stores=stores, local_engine=local_engine)
    except OSError as exc:  # waitress binds in create_server: EADDRINUSE, EACCES, ...
        for store in stores:
            store.close()
        where = f"{settings.host}:{settings.port}"
        raise GatewayStartupError(
            f"cannot listen on {where} (gateway): {exc.strerror or exc}"
        ) from None
    print(f"attune gateway listening on {running.base_url}", flush=True)
    return running


def run_gateway(settings: GatewaySettings, edges: GatewayEdges) -> None:
    """``attune gateway``: open the stores, bind, serve until SIGTERM or SIGINT, then stop
    taking requests and close the stores."""
    stores = open_gateway_stores(settings)
    stop = threading.Event()

    def _on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    # Caught before the "listening" line: a signal right after it stops gracefully.
    previous = {sig: signal.signal(sig, _on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        running = bind_gateway(settings, edges, stores)
        try:
            stop.wait()  # the handler sets the event
        finally:
            running.stop()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
