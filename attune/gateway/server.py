"""Run the gateway: waitress (a production WSGI server, pure Python) on a thread pool, plus the
grade outbox's sender thread. ``attune gateway`` runs it alone (gateway/main.py); ``attune
serve`` starts it next to the engine."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

import structlog

from attune.gateway.app import Gateway, build_gateway, create_app
from attune.gateway.audit.hook import EXTENSION as AUDIT_EXTENSION
from attune.gateway.audit.propagation import ErasurePropagation
from attune.gateway.drift_watch import DriftWatch
from attune.gateway.edges import GatewayEdges
from attune.gateway.engine_auth import EngineCredentials, ServiceTokens
from attune.gateway.engine_client import GrpcEngineClient
from attune.gateway.engine_local import UnaryCaller
from attune.gateway.grades.outbox import ScoreSender
from attune.gateway.http_server import HardenedServer, create_hardened_server
from attune.gateway.keys import ToolKeys
from attune.gateway.lrs.ports import StatementOutbox
from attune.gateway.lrs.targets import LrsTarget
from attune.gateway.ports import GatewayStore
from attune.gateway.settings import DEV_ADMIN_TOKEN, GatewaySettings
from attune.gateway.stores import open_stores
from attune.gateway.web.redact import install_log_redaction
from attune.gateway.worker import Backoff, Housekeeper

log = structlog.get_logger("attune.gateway")
DEV_INGEST_TOKEN = "dev-ingest-token"  # in GatewaySettings.ingest_tokens by default
DEV_ENGINE_TOKEN = "dev-token"  # in GatewaySettings.engine_tokens by default
STOP_GRACE_S = 5.0  # requests in progress may finish this long when the gateway stops
HOUSEKEEPING_S = 300.0  # expired nonces, states and sessions are dropped this often


@dataclass
class RunningGateway:
    """A started gateway: its port, its parts, and how to stop it."""

    port: int
    base_url: str
    gateway: Gateway
    sender: ScoreSender
    _server: HardenedServer
    _thread: threading.Thread
    drift: DriftWatch
    erasures: ErasurePropagation | None = None

    def stop(self) -> None:
        """Stop taking requests and sending scores; close the store and the channel."""
        self._server.shut_down(STOP_GRACE_S)
        self._thread.join(STOP_GRACE_S)
        self.sender.stop()
        self.drift.stop()
        if self.erasures is not None:
            self.erasures.stop()
        self.gateway.relay.stop()
        self.gateway.statements.close()
        self.gateway.engine.close()
        self.gateway.store.close()
        log.info("gateway.stopped", port=self.port)


def start_gateway(
    settings: GatewaySettings,
    edges: GatewayEdges,
    stores: tuple[GatewayStore, StatementOutbox] | None = None,
    local_engine: UnaryCaller | None = None,
) -> RunningGateway:
    """Open the stores (``settings.store_url``, or the embedded one under
    ``settings.data_dir``), bind, and serve in background threads, talking to the engine at
    ``settings.engine_address``. ``settings.lrs``, when it has a URL, replaces the default
    tenant's stored target named ``default``. ``stores``, when given, were opened by the
    caller (see :func:`gateway.stores.open_stores`). ``edges``: the vendor
    adapters, from the composition root (``integrations.edges.gateway_edges()``).
    ``local_engine``: the engine in this process, for unary calls without the network."""
    install_log_redaction()  # before anything is served: no token reaches a log line
    store, statements = stores or open_stores(settings.store_url, settings.data_dir)
    holder: dict[str, Any] = {}
    # The base URL needs the bound port when none is configured, and the app needs the base
    # URL: bind first with a placeholder app, then install the real one.
    # Deadlines for slow clients and the body gate: see gateway.http_server.
    server = create_hardened_server(lambda environ, start: holder["app"](environ, start), settings)
    port = int(server.effective_port)
    base_url = settings.base_url(port)
    keys = ToolKeys(store, settings.key_rotate_days, settings.key_overlap_days)
    credentials = engine_credentials(settings, keys, settings.oauth_issuer(base_url))
    engine = GrpcEngineClient(
        settings.engine_address, credentials, settings.engine_tls, local=local_engine
    )
    gateway = build_gateway(settings, store, engine, base_url, statements, edges)
    lrs = settings.lrs
    if lrs.url:
        statements.put_target(
            LrsTarget(
                tenant=settings.default_tenant,
                name="default",
                url=lrs.url,
                username=lrs.username,
                password=lrs.password.get_secret_value(),
                auth="basic" if lrs.username else "none",
                xapi_version=lrs.xapi_version,
                home_page=base_url,
                activity_base=f"{base_url}/xapi",
            )
        )
    gateway.keys.current()  # make the first signing key now, not on the first launch
    holder["app"] = create_app(gateway)
    sender = ScoreSender(
        store,
        gateway.connector_for,
        Backoff(settings.outbox_base_delay_seconds, settings.outbox_max_delay_seconds),
        settings.outbox_poll_seconds,
        housekeeping=Housekeeper(store.purge_expired, HOUSEKEEPING_S),
    )
    sender.start()
    gateway.relay.start()
    drift = DriftWatch(
        engine,
        store,
        settings.engine_tenant_names(),
        settings.drift_check_days * 86400.0,
        settings.drift_poll_seconds,
    )
    drift.start()
    app = holder["app"]
    erasures = ErasurePropagation(
        gateway,
        lambda: app.extensions.get(AUDIT_EXTENSION),
        settings.engine_tenant_names(),
        settings.erasure_poll_seconds,
    )
    erasures.start()
    thread = threading.Thread(target=server.run, name="gateway-http", daemon=True)
    thread.start()
    if settings.admin_token == DEV_ADMIN_TOKEN:
        log.warning(
            "gateway.dev_admin_token",
            hint="the development admin token is accepted; set ATTUNE_GATEWAY__ADMIN_TOKEN",
        )
    if settings.engine_auth == "jwt":
        log.info(
            "gateway.engine_auth",
            mode="jwt",
            tenants=list(settings.engine_tenant_names()),
            hint=(
                f"an engine started apart needs ATTUNE_AUTH__JWKS_URL=<this gateway>/lti/jwks "
                f"and ATTUNE_AUTH__ISSUER={settings.oauth_issuer(base_url)}"
            ),
        )
    if settings.engine_auth == "static" and DEV_ENGINE_TOKEN in settings.engine_tokens.values():
        log.warning(
            "gateway.dev_engine_token",
            hint="the development engine token is sent; set ATTUNE_GATEWAY__ENGINE_AUTH=jwt",
        )
    if DEV_INGEST_TOKEN in settings.ingest_tokens:
        log.warning(
            "gateway.dev_ingest_token",
            hint="the development ingest token is accepted; set ATTUNE_GATEWAY__INGEST_TOKENS",
        )
    log.info("gateway.listening", url=base_url)
    return RunningGateway(port, base_url, gateway, sender, server, thread, drift, erasures)


def engine_credentials(
    settings: GatewaySettings, keys: ToolKeys, issuer: str
) -> EngineCredentials | dict[str, str]:
    """The gateway's credential at the engine: tokens it mints itself, signed by ``keys``
    (``engine_auth=jwt``), or the static ``engine_tokens``."""
    if settings.engine_auth == "static":
        return settings.engine_tokens
    return ServiceTokens(
        keys,
        issuer=issuer,
        audience=settings.oauth.audience,
        tenants=settings.engine_tenant_names(),
        ttl_s=settings.oauth.token_ttl_seconds,
        margin_s=settings.engine_token_margin_seconds,
        clock=time.time,
    )
