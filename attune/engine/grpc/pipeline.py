"""The server's interceptor for the engine's own methods, in one pass per call (issue 17).

Per call, in this order: the request context (``rpc`` and ``request_id`` in the log context,
``x-request-id`` in the trailing metadata), authentication and the method's scope, the
tenant's budgets (engine/grpc/tenant_limits.py), the guard against a body that did not
parse (engine/grpc/malformed.py), the servicer, then the audit record of an audited call
(engine/grpc/audit_interceptor.py). A domain error from any step is mapped to its status
code; anything unexpected is INTERNAL with a generic message.

It used to be five interceptors, each rebuilding the method handler and the metadata dict
on every call and adding a coroutine around the next. Here each method's handler is built
once and reused (the per-call metadata is read from the call's context), and one coroutine
does every step. Health checking and reflection are public: they get only the guard.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any, Protocol

import grpc
from grpc import aio

from attune.engine.grpc.audit_interceptor import AUDITED, AuditSink, record_call
from attune.engine.grpc.auth import Authenticator
from attune.engine.grpc.interceptors import (
    PUBLIC_PREFIXES,
    Behaviour,
    Continuation,
    Handler,
    _abort,
    _authenticate,
    _done,
    _enter,
    _request_id,
    _rewrap,
)
from attune.engine.grpc.malformed import (
    MalformedMessage,
    guard_deserializer,
    guard_handler,
    malformed_error,
)


class Limits(Protocol):
    """The tenant budgets (:class:`~engine.grpc.tenant_limits.TenantLimitInterceptor`)."""

    async def admit(self, context: aio.ServicerContext, method: str) -> None: ...

    def meters(self, method: str) -> bool: ...

    def metered(self, requests: Any, context: aio.ServicerContext) -> AsyncIterator[Any]: ...


def call_metadata(context: aio.ServicerContext) -> dict[str, str]:
    """The call's text metadata (binary ``-bin`` values left out)."""
    return {k: v for k, v in (context.invocation_metadata() or ()) if isinstance(v, str)}


class CallPipeline(aio.ServerInterceptor):
    """Context, auth, limits, guard and audit for every call (see the module doc)."""

    def __init__(
        self,
        authenticator: Authenticator,
        limits: Limits | None = None,
        audit: AuditSink | None = None,
    ) -> None:
        self._auth = authenticator
        self._limits = limits
        self._audit = audit
        # method -> (the handler it was built from, the wrapped handler)
        self._handlers: dict[str, tuple[Handler, Handler]] = {}

    async def intercept_service(
        self, continuation: Continuation, details: grpc.HandlerCallDetails
    ) -> Handler | None:
        handler = await continuation(details)
        if handler is None:
            return None
        method = details.method
        cached = self._handlers.get(method)
        if cached is not None and cached[0] is handler:
            return cached[1]
        wrapped = self._wrap(handler, method)
        self._handlers[method] = (handler, wrapped)
        return wrapped

    def _wrap(self, handler: Handler, method: str) -> Handler:
        deserializer = guard_deserializer(handler.request_deserializer)
        if method.startswith(PUBLIC_PREFIXES):
            return _rewrap(
                handler, lambda b, _m: guard_handler(handler, b, True), method, deserializer
            )
        streaming = bool(handler.stream_stream or handler.unary_stream)
        wrap = self._stream if streaming else self._unary
        return _rewrap(
            handler, lambda b, m: wrap(b, m, bool(handler.request_streaming)), method, deserializer
        )

    def _unary(self, behaviour: Behaviour, method: str, request_streaming: bool) -> Behaviour:
        auth, limits, sink = self._auth, self._limits, self._audit
        audited = AUDITED.get(method) if sink is not None else None
        check_body = not request_streaming

        async def unary(request: Any, context: aio.ServicerContext) -> Any:
            metadata = call_metadata(context)
            _enter(method, _request_id(metadata), context)
            started = time.perf_counter()
            try:
                await _authenticate(auth, method, metadata)
                if limits is not None:
                    await limits.admit(context, method)
                if check_body and isinstance(request, MalformedMessage):
                    raise malformed_error()
                reply = await behaviour(request, context)
                if audited is not None and sink is not None:
                    await record_call(sink, audited, method, metadata, request, reply, context)
            except aio.AbortError:
                raise
            except Exception as exc:
                await _abort(context, exc, started)
            _done(started)
            return reply

        return unary

    def _stream(self, behaviour: Behaviour, method: str, request_streaming: bool) -> Behaviour:
        auth, limits = self._auth, self._limits
        metered = limits is not None and limits.meters(method)
        check_body = not request_streaming

        async def stream(request: Any, context: aio.ServicerContext) -> AsyncIterator[Any]:
            metadata = call_metadata(context)
            _enter(method, _request_id(metadata), context)
            started = time.perf_counter()
            try:
                await _authenticate(auth, method, metadata)
                if limits is not None:
                    await limits.admit(context, method)
                    if metered:
                        request = limits.metered(request, context)
                if check_body and isinstance(request, MalformedMessage):
                    raise malformed_error()
                async for reply in behaviour(request, context):
                    yield reply
            except aio.AbortError:
                raise
            except Exception as exc:
                await _abort(context, exc, started)
            _done(started)

        return stream  # no streaming RPC reads learner data: nothing to audit
