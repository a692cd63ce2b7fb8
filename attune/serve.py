"""``attune serve``: the engine and the gateway in one process, the embedded default.

The order keeps a refused start clean: the engine's store and models open first (a data dir
another process holds stops here), then the gateway's stores (a bad gateway store URL stops
the start before anything listens), then the engine listens and the gateway binds to a port
of its own, dialling the engine at the address it bound. A part that fails releases what
the earlier parts took, so the next start on the same data dir works.
"""

from __future__ import annotations

from attune.settings import ServeSettings


async def serve(settings: ServeSettings) -> None:
    """Start both, serve until SIGTERM or SIGINT, stop the engine gracefully and then the
    gateway."""
    from attune.engine.main import listen, open_engine
    from attune.gateway.main import Stores, bind_gateway, open_gateway_stores
    from attune.integrations.edges import gateway_edges

    opened = await open_engine(settings.engine)
    stores: Stores | None = None
    if settings.gateway.enabled:
        try:
            stores = open_gateway_stores(settings.gateway)
        except BaseException:
            await opened.close()
            raise
    try:
        listening = await listen(opened)
    except BaseException:
        for store in stores or ():
            store.close()
        raise
    gateway = None
    if stores is not None:
        composed = settings.gateway.model_copy(update={"engine_address": listening.address})
        try:
            gateway = bind_gateway(composed, gateway_edges(), stores)
        except BaseException:
            await listening.stop()
            raise
    await listening.serve(on_stop=gateway.stop if gateway is not None else None)
