"""The outermost server interceptor: one span per call (continuing the caller's W3C trace
context from the gRPC metadata) and the latency histogram by method and status code.

It sits outside the context interceptor, so it sees the status that interceptor set for a
domain error (an abort) as well as OK; anything that still escapes is counted as UNKNOWN.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeAlias

import grpc
from grpc import aio
from opentelemetry import propagate, trace

from attune.engine.observability.metrics import EngineMetrics
from attune.infra.tracing import context_from

Handler: TypeAlias = "grpc.RpcMethodHandler[Any, Any]"
Continuation: TypeAlias = "Callable[[grpc.HandlerCallDetails], Awaitable[Handler | None]]"
Behaviour = Callable[..., Any]


class ObservabilityInterceptor(aio.ServerInterceptor):
    """Traces and times every call (health checks included: they are load on the server)."""

    def __init__(self, metrics: EngineMetrics | None, tracer: trace.Tracer) -> None:
        self._metrics = metrics
        self._tracer = tracer
        # method -> (the handler it was built from, the wrapped handler): built once per
        # method, the call's metadata is read from its context (issue 17)
        self._handlers: dict[str, tuple[Handler, Handler]] = {}
        # Metrics off and the no-op tracer: a call without trace context metadata has
        # nothing to record (its span would be the invalid one), so it skips the span
        # (issue 17). With a traceparent the span is made, so its ids still reach the logs.
        self._passive = metrics is None and isinstance(tracer, trace.NoOpTracer)
        self._trace_fields = frozenset(propagate.get_global_textmap().fields)

    async def intercept_service(
        self, continuation: Continuation, details: grpc.HandlerCallDetails
    ) -> Handler | None:
        handler = await continuation(details)
        if handler is None:
            return None  # an unknown method: grpc answers UNIMPLEMENTED, nothing to label
        method = details.method
        cached = self._handlers.get(method)
        if cached is not None and cached[0] is handler:
            return cached[1]
        wrapped = self._wrap(handler, method)
        self._handlers[method] = (handler, wrapped)
        return wrapped

    def _wrap(self, handler: Handler, method: str) -> Handler:
        kwargs = {
            "request_deserializer": handler.request_deserializer,
            "response_serializer": handler.response_serializer,
        }
        if handler.unary_unary:
            return grpc.unary_unary_rpc_method_handler(
                self._unary(handler.unary_unary, method), **kwargs
            )
        if handler.stream_unary:
            return grpc.stream_unary_rpc_method_handler(
                self._unary(handler.stream_unary, method), **kwargs
            )
        if handler.unary_stream:
            return grpc.unary_stream_rpc_method_handler(
                self._stream(handler.unary_stream, method), **kwargs
            )
        if handler.stream_stream:
            return grpc.stream_stream_rpc_method_handler(
                self._stream(handler.stream_stream, method), **kwargs
            )
        return handler

    def _traced(self, context: aio.ServicerContext[Any, Any]) -> bool:
        """Whether the call must be traced: always, unless passive and the call carries no
        trace context."""
        if not self._passive:
            return True
        fields = self._trace_fields
        return any(k in fields for k, _ in (context.invocation_metadata() or ()))

    def _unary(self, behaviour: Behaviour, method: str) -> Behaviour:
        async def unary(request: Any, context: aio.ServicerContext[Any, Any]) -> Any:
            if not self._traced(context):
                return await behaviour(request, context)
            started = time.perf_counter()
            with self._span(method, context) as span:
                try:
                    reply = await behaviour(request, context)
                except BaseException as exc:
                    self._done(method, _code(context, exc), started, span)
                    raise
                self._done(method, _code(context, None), started, span)
                return reply

        return unary

    def _stream(self, behaviour: Behaviour, method: str) -> Behaviour:
        async def stream(
            request: Any, context: aio.ServicerContext[Any, Any]
        ) -> AsyncIterator[Any]:
            if not self._traced(context):
                async for reply in behaviour(request, context):
                    yield reply
                return
            started = time.perf_counter()
            with self._span(method, context) as span:
                try:
                    async for reply in behaviour(request, context):
                        yield reply
                except BaseException as exc:
                    self._done(method, _code(context, exc), started, span)
                    raise
                self._done(method, _code(context, None), started, span)

        return stream

    def _span(self, method: str, context: aio.ServicerContext[Any, Any]) -> Any:
        metadata = {k: v for k, v in (context.invocation_metadata() or ()) if isinstance(v, str)}
        return self._tracer.start_as_current_span(
            method.lstrip("/"),
            context=context_from(metadata),
            kind=trace.SpanKind.SERVER,
            attributes={"rpc.system": "grpc", "rpc.method": method},
            record_exception=False,
            set_status_on_exception=False,
        )

    def _done(self, method: str, code: str, started: float, span: trace.Span) -> None:
        span.set_attribute("rpc.grpc.status_code", code)
        if code not in ("OK", "CANCELLED", "INVALID_ARGUMENT", "NOT_FOUND", "ALREADY_EXISTS"):
            span.set_status(trace.StatusCode.ERROR, code)
        if self._metrics is not None:
            elapsed = time.perf_counter() - started
            self._metrics.rpc_duration.labels(method, code).observe(elapsed)


def _code(context: aio.ServicerContext[Any, Any], exc: BaseException | None) -> str:
    """The call's status code name: what the context holds (set by an abort), else OK for a
    return, CANCELLED for a cancelled task and UNKNOWN for any other escaping error."""
    code = context.code()
    if isinstance(code, grpc.StatusCode):
        return code.name
    if isinstance(code, int):  # some grpc versions keep the raw integer
        for candidate in grpc.StatusCode:
            if candidate.value[0] == code:
                return candidate.name
    if exc is None:
        return "OK"
    if isinstance(exc, aio.AbortError):
        return "UNKNOWN"
    import asyncio

    return "CANCELLED" if isinstance(exc, asyncio.CancelledError) else "UNKNOWN"
