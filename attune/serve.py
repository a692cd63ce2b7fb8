"""``attune serve``: the engine and the gateway in one process, the embedded default.

The engine trusts the access tokens the gateway signs (its own engine calls' and partner
apps'), checked against the gateway's keys in process (attune/gateway_trust.py).

The order keeps a refused start clean: the engine's store and models open first (a data dir
another process holds stops here), then the gateway's stores (a bad gateway store URL stops
the start before anything listens), then the engine listens and the gateway binds to a port
of its own, dialling the engine at the address it bound. A part that fails releases what
the earlier parts took, so the next start on the same data dir works.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from attune.settings import ServeSettings

if TYPE_CHECKING:
    from attune.gateway.ports import GatewayStore
    from attune.gateway_trust import GatewayTrust


async def serve(settings: ServeSettings) -> None:
    """Start both, serve until SIGTERM or SIGINT, stop the engine gracefully and then the
    gateway."""
    from attune.engine.main import listen, open_engine
    from attune.gateway.main import Stores, bind_gateway, open_gateway_stores
    from attune.gateway_trust import GatewayTrust
    from attune.integrations.edges import gateway_edges

    opened = await open_engine(settings.engine)
    stores: Stores | None = None
    if settings.gateway.enabled:
        try:
            stores = open_gateway_stores(settings.gateway)
        except BaseException:
            await opened.close()
            raise
    trust = GatewayTrust() if stores is not None and settings.engine.auth.trust_gateway else None
    try:
        listening = await listen(opened, trusted=trust)
    except BaseException:
        for store in stores or ():
            store.close()
        raise
    gateway = None
    if stores is not None:
        composed = settings.gateway.model_copy(update={"engine_address": listening.address})
        # The gateway's unary engine calls skip the loopback transport (engine/grpc/local.py).
        local = listening.server.local if composed.engine_in_process else None
        try:
            gateway = bind_gateway(composed, gateway_edges(), stores, local)
        except BaseException:
            await listening.stop()
            raise
        if trust is not None:
            _trust_gateway(trust, settings, stores[0], gateway.base_url)
    await listening.serve(on_stop=gateway.stop if gateway is not None else None)


def _trust_gateway(
    trust: GatewayTrust, settings: ServeSettings, store: GatewayStore, base_url: str
) -> None:
    """The engine trusts the tokens of the gateway just bound at ``base_url``."""
    from attune.gateway.keys import ToolKeys

    gateway, auth = settings.gateway, settings.engine.auth
    keys = ToolKeys(store, gateway.key_rotate_days, gateway.key_overlap_days)
    issuer = gateway.oauth_issuer(base_url)
    audience = gateway.oauth.audience
    trust.install(keys, issuer, audience, auth.leeway_seconds, auth.jwks_cache_seconds)
