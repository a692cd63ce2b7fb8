"""OpenTelemetry for both deployables: the tracer provider from the standard ``OTEL_*``
environment variables (off unless ``OTEL_TRACES_EXPORTER`` names an exporter), W3C trace
context in gRPC metadata, and a structlog processor that puts the trace id on log lines.

With no exporter configured the API's no-op tracer is used: an incoming ``traceparent`` is
still carried through (its ids reach the logs and the engine), nothing is recorded.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Mapping, MutableMapping
from typing import Any

import structlog
from opentelemetry import context as otel_context
from opentelemetry import propagate, trace

log = structlog.get_logger("attune.tracing")


def tracer_from_env(service: str, environ: Mapping[str, str] | None = None) -> trace.Tracer:
    """A tracer for ``service`` ("attune-engine", "attune-gateway"): an SDK tracer exporting
    to ``OTEL_TRACES_EXPORTER`` (``console``; ``otlp`` when opentelemetry-exporter-otlp is
    installed), else the no-op tracer. ``OTEL_SERVICE_NAME`` and the OTLP endpoint variables
    are read by the SDK itself."""
    env = os.environ if environ is None else environ
    names = [n.strip() for n in env.get("OTEL_TRACES_EXPORTER", "").split(",") if n.strip()]
    names = [n for n in names if n != "none"]
    if not names:
        return trace.NoOpTracer()
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    for name in names:
        exporter = _exporter(name)
        if exporter is not None:
            provider.add_span_processor(BatchSpanProcessor(exporter))
    return provider.get_tracer(service)


def _exporter(name: str) -> Any:
    if name == "console":
        from opentelemetry.sdk.trace.export import ConsoleSpanExporter

        return ConsoleSpanExporter()
    if name == "otlp":
        try:  # an optional extra: not a dependency of the distribution
            module = importlib.import_module(
                "opentelemetry.exporter.otlp.proto.grpc.trace_exporter"
            )
        except ImportError:
            log.warning(
                "tracing.exporter_missing",
                exporter=name,
                hint="pip install opentelemetry-exporter-otlp",
            )
            return None
        return module.OTLPSpanExporter()
    log.warning("tracing.exporter_unknown", exporter=name)
    return None


def trace_metadata() -> tuple[tuple[str, str], ...]:
    """The current trace context as gRPC metadata (``traceparent``, ``tracestate``); empty
    outside a span."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return tuple(carrier.items())


def context_from(metadata: Mapping[str, str]) -> otel_context.Context:
    """The trace context an incoming request's metadata or headers carry."""
    return propagate.extract(metadata)


def add_trace_ids(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """structlog processor: ``trace_id`` and ``span_id`` (hex) of the current span, if any."""
    ctx = trace.get_current_span().get_span_context()
    if ctx.is_valid:
        event_dict.setdefault("trace_id", format(ctx.trace_id, "032x"))
        event_dict.setdefault("span_id", format(ctx.span_id, "016x"))
    return event_dict
