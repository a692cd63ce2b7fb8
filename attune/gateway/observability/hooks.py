"""The gateway's observability on the Flask app: a span and a latency sample per request
(hooks that run first and last), ``GET /metrics``, ``GET /livez`` and ``GET /readyz``.

``/metrics`` takes ``Authorization: Bearer`` with the metrics token or the operator token;
with neither configured it answers loopback clients only (development): the RBAC hook
(gateway.rbac) decides it. ``/livez`` answers
while the process serves; ``/readyz`` is 503 with the failing checks named while the store,
the engine or the pinned models are not ready. ``/healthz`` is left as it was.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Flask, Response, current_app, g, jsonify, request
from opentelemetry import context as otel_context
from opentelemetry import trace

from attune.gateway.observability.metrics import GatewayMetrics
from attune.gateway.observability.readiness import Readiness
from attune.infra.metrics import exposition
from attune.infra.tracing import context_from, tracer_from_env

observability = Blueprint("observability", __name__)


@dataclass
class GatewayObservability:
    """What the hooks use; ``tracer`` may be replaced (tests: an in-memory exporter)."""

    metrics: GatewayMetrics
    tracer: trace.Tracer
    readiness: Readiness


def install_observability(app: Flask, gateway: Any) -> GatewayObservability:
    """Register the routes and the request hooks on ``app`` for ``gateway``."""
    settings = gateway.settings
    obs = GatewayObservability(
        metrics=GatewayMetrics.build(
            gateway.statements, gateway.wall_clock, delivery=gateway.relay.stats
        ),
        tracer=tracer_from_env("attune-gateway"),
        readiness=Readiness(settings, gateway.store),
    )
    app.extensions["attune.observability"] = obs
    app.register_blueprint(observability)
    # First of all before_request hooks: a request a later hook refuses is timed and traced.
    app.before_request_funcs.setdefault(None, []).insert(0, _start)
    app.after_request(_finish)
    app.teardown_request(_end)
    return obs


def _obs() -> GatewayObservability:
    found: GatewayObservability = current_app.extensions["attune.observability"]
    return found


def _start() -> None:
    obs = _obs()
    g.obs_started = time.perf_counter()
    rule = request.url_rule.rule if request.url_rule is not None else "unmatched"
    span = obs.tracer.start_span(
        f"{request.method} {rule}",
        context=context_from(dict(request.headers)),
        kind=trace.SpanKind.SERVER,
        attributes={"http.request.method": request.method, "http.route": rule},
    )
    g.obs_span = span
    g.obs_token = otel_context.attach(trace.set_span_in_context(span))
    return None


def _finish(response: Response) -> Response:
    started = g.pop("obs_started", None)
    if started is None:
        return response
    route = request.endpoint or "unmatched"
    status_class = f"{response.status_code // 100}xx"
    _obs().metrics.http_duration.labels(route, request.method, status_class).observe(
        time.perf_counter() - started
    )
    span = g.get("obs_span")
    if span is not None:
        span.set_attribute("http.response.status_code", response.status_code)
        if response.status_code >= 500:
            span.set_status(trace.StatusCode.ERROR)
    return response


def _end(_exc: BaseException | None) -> None:
    span = g.pop("obs_span", None)
    token = g.pop("obs_token", None)
    if span is not None:
        span.end()
    if token is not None:
        otel_context.detach(token)


@observability.get("/metrics")
def metrics() -> Response:
    """The gateway's metrics in the Prometheus text format (or OpenMetrics on request)."""
    # Who may read them (the metrics or operator token; with neither configured, a
    # loopback client) is decided by the RBAC hook (gateway.rbac, need operator).
    obs = _obs()
    body, content_type = exposition(obs.metrics.registry, request.headers.get("Accept"))
    return Response(body, content_type=content_type)


@observability.get("/livez")
def livez() -> Response:
    """The process answers."""
    return jsonify(status="ok")


@observability.get("/readyz")
def readyz() -> tuple[Response, int]:
    """200 when the store, the engine and the pinned models are ready, else 503 naming
    what is not."""
    checks = _obs().readiness.check()
    ready = all(v == "ok" for v in checks.values())
    return jsonify(status="ready" if ready else "not_ready", checks=checks), 200 if ready else 503
