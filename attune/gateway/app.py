"""The gateway's parts, wired once (:func:`build_gateway`), and the Flask app over them
(:func:`create_app`). Nothing is created at import time. The engine client and the vendor
adapters (:class:`gateway.edges.GatewayEdges`) are given by the composition root."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import structlog
from flask import Flask, Response, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from attune.gateway.content import CourseCache
from attune.gateway.edges import GatewayEdges
from attune.gateway.engine_port import EngineClient
from attune.gateway.errors import GatewayError
from attune.gateway.keys import ToolKeys
from attune.gateway.library.bank import StoreGeneratedBank, StoreTerminologyRegistry
from attune.gateway.library.catalogue import Catalogue
from attune.gateway.lrs.ports import StatementOutbox
from attune.gateway.lrs.relay import StatementRelay
from attune.gateway.lti.platform_keys import PlatformKeys
from attune.gateway.lti.services import CachedTokenConnector
from attune.gateway.lti.tool_conf import AttuneRegistration, StoreToolConf, TenantLaunchStorage
from attune.gateway.ports import GatewayStore
from attune.gateway.practice import Practice
from attune.gateway.sessions import SessionStore
from attune.gateway.settings import GatewaySettings
from attune.gateway.tenant_gate import TenantGate
from attune.gateway.web.rate_limit import RateLimiter
from attune.gateway.web.redact import redact
from attune.gateway.worker import Backoff

log = structlog.get_logger("attune.gateway")
JSON_PATHS = ("/admin", "/api", "/xapi", "/caliper", "/oauth")  # errors as {"error", "reason"} JSON


@dataclass
class Gateway:
    """Everything a request handler needs."""

    settings: GatewaySettings
    base_url: str
    store: GatewayStore
    engine: EngineClient
    keys: ToolKeys
    tool_conf: StoreToolConf
    platform_keys: PlatformKeys
    sessions: SessionStore
    courses: CourseCache
    practice: Practice
    statements: StatementOutbox
    relay: StatementRelay
    limiter: RateLimiter  # per process: see gateway.web.rate_limit
    edges: GatewayEdges
    catalogue: Catalogue
    bank: StoreGeneratedBank
    terminology: StoreTerminologyRegistry
    wall_clock: Callable[[], float] = time.time
    # A tenant's requests held out of this process while it is deleted (gateway.tenant_gate).
    tenant_gate: TenantGate = field(default_factory=TenantGate)

    def storage_for(self, tenant: str) -> TenantLaunchStorage:
        return TenantLaunchStorage(self.store, tenant, self.settings.nonce_ttl_seconds)

    def connector_for(
        self, tenant: str, issuer: str, client_id: str
    ) -> CachedTokenConnector | None:
        """A service connector for a stored registration of ``tenant``, or ``None``."""
        found = self.tool_conf.lookup(issuer, client_id)
        if found is None or found.tenant != tenant:
            return None
        return CachedTokenConnector(
            AttuneRegistration(found, self.keys), self.store, self.settings.token_margin_seconds
        )

    @property
    def launch_url(self) -> str:
        return f"{self.base_url}/lti/launch"


def build_gateway(
    settings: GatewaySettings,
    store: GatewayStore,
    engine: EngineClient,
    base_url: str,
    statements: StatementOutbox,
    edges: GatewayEdges,
    clock: Callable[[], float] = time.monotonic,
) -> Gateway:
    """Wire the gateway's parts over its stores, an engine client and the vendor adapters
    (``integrations.edges.gateway_edges()`` in production); ``clock`` drives the rate
    limits."""
    keys = ToolKeys(store, settings.key_rotate_days, settings.key_overlap_days)
    courses = CourseCache(engine)
    catalogue = Catalogue(store)
    gate = TenantGate()
    relay = StatementRelay(
        statements,
        engine,
        courses,
        edges.lrs_client,
        settings.statement_batch,
        Backoff(settings.statement_base_delay_seconds, settings.statement_max_delay_seconds),
        settings.statement_poll_seconds,
        gate=gate,
        in_flight=settings.statement_in_flight,
    )
    return Gateway(
        settings=settings,
        base_url=base_url,
        store=store,
        engine=engine,
        keys=keys,
        tool_conf=StoreToolConf(store, keys),
        platform_keys=PlatformKeys(
            store, settings.jwks_cache_seconds, settings.jwks_refetch_seconds
        ),
        sessions=SessionStore(store, settings.session_ttl_seconds),
        courses=courses,
        practice=Practice(engine, store, store, courses, catalogue, emit=relay.emit),
        statements=statements,
        relay=relay,
        limiter=RateLimiter(settings.http.rate_limits, clock),
        edges=edges,
        catalogue=catalogue,
        bank=StoreGeneratedBank(store),
        terminology=StoreTerminologyRegistry(store),
        tenant_gate=gate,
    )


def create_app(gateway: Gateway) -> Flask:
    """The WSGI app: LTI endpoints, the practice and instructor pages, the admin API."""
    from attune.gateway.audit.hook import install_audit
    from attune.gateway.console.blueprint import install_console
    from attune.gateway.observability.hooks import install_observability
    from attune.gateway.sso.wiring import install_sso
    from attune.gateway.tenant_gate import install_tenant_gate
    from attune.gateway.web.admin_routes import admin
    from attune.gateway.web.body_gate import BodyGate
    from attune.gateway.web.content_routes import content_admin, media
    from attune.gateway.web.cookie_session import KeptSerializerSessions
    from attune.gateway.web.dashboard_routes import dashboard, dashboard_admin
    from attune.gateway.web.experiment_routes import experiment_admin
    from attune.gateway.web.generation_routes import generation_admin
    from attune.gateway.web.ingest_admin_routes import ingest_admin
    from attune.gateway.web.ingest_routes import ingest
    from attune.gateway.web.intervention_routes import interventions
    from attune.gateway.web.learner_routes import learner_pages
    from attune.gateway.web.lti_routes import lti
    from attune.gateway.web.oauth_routes import oauth, oauth_admin
    from attune.gateway.web.openapi import openapi_bp
    from attune.gateway.web.page_routes import pages
    from attune.gateway.web.progress_html import progress_rows_html
    from attune.gateway.web.security import install
    from attune.gateway.web.statement_query_routes import statement_reads
    from attune.gateway.web.tenant_routes import tenant_admin

    app = Flask("attune.gateway.web", template_folder="templates", static_folder=None)
    # pylti1p3 touches Flask's session object; nothing of ours is kept in it.
    app.secret_key = secrets.token_bytes(32)
    app.session_interface = KeptSerializerSessions()
    # Each route class's cap is enforced before the body is read (gateway.web.body_gate);
    # Flask's own cap is only the largest of them.
    app.config["MAX_CONTENT_LENGTH"] = max(gateway.settings.http.body_limits.model_dump().values())
    app.extensions["attune"] = gateway
    app.jinja_env.filters["datetime_utc"] = _datetime_utc
    app.jinja_env.filters["progress_rows_html"] = progress_rows_html
    app.wsgi_app = BodyGate(app.wsgi_app, gateway.settings)  # type: ignore[method-assign]
    for blueprint in (
        lti,
        pages,
        admin,
        ingest,
        statement_reads,  # GET/HEAD /xapi/statements, GET /caliper (issue 19)
        ingest_admin,
        content_admin,
        generation_admin,
        media,
        dashboard,
        dashboard_admin,
        experiment_admin,
        interventions,
        learner_pages,
        oauth,
        oauth_admin,
        tenant_admin,  # whole-tenant export and delete (issue 16)
    ):
        app.register_blueprint(blueprint)
    install_sso(app, gateway)  # staff sign-in: /sso/* and /admin/tenants/<t>/sso/*
    install_console(app)  # the admin console: /console/<tenant>/* (issue 16 part 5)
    app.register_blueprint(openapi_bp)  # /openapi.json describes every route above

    @app.before_request
    def _bind() -> None:
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(
            path=redact(request.path), request_id=secrets.token_hex(8), tenant=""
        )

    install(app)  # after _bind: the rate limit's refusals are logged with the request
    install_tenant_gate(app, gateway.tenant_gate)  # after RBAC: a tenant being deleted waits
    install_audit(app)  # the audit trail's hook and routes (gateway.audit)
    install_observability(app, gateway)  # /metrics, /livez, /readyz, spans (issue 17)

    @app.errorhandler(GatewayError)
    def _refuse(exc: GatewayError) -> tuple[Any, int, dict[str, str]]:
        log.info("http.refused", status=exc.status, error=exc.error, reason=exc.reason)
        # A rate limit's wait, or the engine's retry hint on a 503 or 429 (EngineCallError).
        headers = {"Retry-After": exc.retry_after} if exc.retry_after else {}
        if request.path.startswith(JSON_PATHS) or request.accept_mimetypes.best == (
            "application/json"
        ):
            return jsonify(error=exc.error, reason=exc.reason), exc.status, headers
        page = render_template("error.html", status=exc.status, reason=exc.reason)
        return page, exc.status, headers

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> Any:
        # Flask's own refusals (405, 413, 404 of an unknown path) in the API's JSON shape.
        if not request.path.startswith(JSON_PATHS):
            return exc
        code = exc.code or 500
        return jsonify(
            error=(exc.name or "error").lower().replace(" ", "_"), reason=exc.description or ""
        ), code

    @app.get("/healthz")
    def _health() -> Response:
        return jsonify(status="ok")

    return app


def _datetime_utc(epoch: float) -> str:
    """An epoch time as ``YYYY-MM-DD HH:MM`` in UTC, for the pages."""
    from datetime import UTC, datetime

    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M")


def current() -> Gateway:
    """The gateway of the app serving this request."""
    from flask import current_app

    gateway: Gateway = current_app.extensions["attune"]
    return gateway
