"""What the server's call pipeline (pipeline.py) is made of: the request context and the
error mapping, authentication and the method's scope; and :class:`_BehaviourInterceptor`, the
base of an interceptor that wraps the behaviour of every non-public method.

The servicers carry no try/except and no auth. Health checking and reflection are public:
load balancers and grpcurl call them unauthenticated.
"""

from __future__ import annotations

import abc
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, TypeAlias

import grpc
import structlog
from grpc import aio

from attune.engine.domain.errors import DomainError, PermissionDeniedError
from attune.engine.domain.limits import ECHO_CHARS
from attune.engine.grpc.auth import PRINCIPAL, TENANT, Authenticator
from attune.engine.grpc.scopes import required_scope
from attune.engine.grpc.status import status_for

log = structlog.get_logger("attune.grpc")

PUBLIC_PREFIXES = ("/grpc.health.v1.", "/grpc.reflection.")

Behaviour = Callable[..., Any]
Wrap = Callable[[Behaviour, str], Behaviour]
# The interceptors see every method, so a handler's request and response types are open.
# (Strings: grpc's classes are generic in its stubs only, not at run time.)
Handler: TypeAlias = "grpc.RpcMethodHandler[Any, Any]"
Continuation: TypeAlias = "Callable[[grpc.HandlerCallDetails], Awaitable[Handler | None]]"


def _rewrap(
    handler: Handler,
    wrap: Wrap,
    method: str,
    deserializer: Callable[[bytes], Any] | None = None,
) -> Handler:
    kwargs = {
        "request_deserializer": deserializer or handler.request_deserializer,
        "response_serializer": handler.response_serializer,
    }
    if handler.unary_unary:
        return grpc.unary_unary_rpc_method_handler(wrap(handler.unary_unary, method), **kwargs)
    if handler.stream_stream:
        return grpc.stream_stream_rpc_method_handler(wrap(handler.stream_stream, method), **kwargs)
    if handler.unary_stream:
        return grpc.unary_stream_rpc_method_handler(wrap(handler.unary_stream, method), **kwargs)
    if handler.stream_unary:
        return grpc.stream_unary_rpc_method_handler(wrap(handler.stream_unary, method), **kwargs)
    raise ValueError(f"{method}: a method handler without a behaviour")


def _is_streaming_response(handler: Handler) -> bool:
    return bool(handler.stream_stream or handler.unary_stream)


class _BehaviourInterceptor(aio.ServerInterceptor, abc.ABC):
    """Wraps the behaviour of every non-public method handler with a unary or a stream hook.
    A subclass must give both hooks: it cannot be built otherwise.

    A method's wrapped handler is built once and kept while grpc hands over the same handler
    (issue 17): a hook sees the method, never one call's metadata (a call's own data comes
    from its context, or a context variable set in ``intercept_service``). The interceptors
    outside this one then get the same handler on every call, so theirs are built once too."""

    def __init__(self) -> None:
        self._kept: dict[str, tuple[Handler, Handler]] = {}

    async def intercept_service(
        self,
        continuation: Continuation,
        details: grpc.HandlerCallDetails,
    ) -> Handler | None:
        handler = await continuation(details)
        if handler is None or details.method.startswith(PUBLIC_PREFIXES):
            return handler
        method = details.method
        kept = self._kept.get(method)
        if kept is not None and kept[0] is handler:
            return kept[1]
        hook = self.wrap_stream if _is_streaming_response(handler) else self.wrap_unary
        wrapped = _rewrap(handler, hook, method)
        self._kept[method] = (handler, wrapped)
        return wrapped

    @abc.abstractmethod
    def wrap_unary(self, behaviour: Behaviour, method: str) -> Behaviour:
        """Return the wrapped unary-response behaviour."""

    @abc.abstractmethod
    def wrap_stream(self, behaviour: Behaviour, method: str) -> Behaviour:
        """Return the wrapped stream-response behaviour."""


async def _authenticate(auth: Authenticator, method: str, metadata: dict[str, str]) -> None:
    principal = await auth.principal(metadata)
    structlog.contextvars.bind_contextvars(tenant=principal.tenant, caller=principal.subject)
    scope = required_scope(method)
    if not principal.allows(scope):
        if scope is None:
            raise PermissionDeniedError(f"{method} declares no scope; only unscoped callers")
        raise PermissionDeniedError(f"the credential lacks the scope {scope!r}")
    TENANT.set(principal.tenant)
    PRINCIPAL.set(principal)


def _request_id(metadata: dict[str, str]) -> str:
    """The caller's ``x-request-id`` when it is short and printable, else a new one: it is
    repeated in every log line of the call and in the trailing metadata."""
    given = metadata.get("x-request-id", "")
    if given and len(given) <= ECHO_CHARS and given.isprintable():
        return given
    return uuid.uuid4().hex


def _enter(method: str, request_id: str, context: aio.ServicerContext) -> None:
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(rpc=method, request_id=request_id)
    context.set_trailing_metadata((("x-request-id", request_id),))


def _done(started: float) -> None:
    log.debug("rpc.ok", ms=round((time.perf_counter() - started) * 1000, 3))


async def _abort(context: aio.ServicerContext, exc: Exception, started: float) -> None:
    code, message = status_for(exc)
    ms = round((time.perf_counter() - started) * 1000, 3)
    if isinstance(exc, DomainError):
        log.info("rpc.refused", code=code.name, error=message, ms=ms)
    else:
        log.error("rpc.failed", code=code.name, ms=ms, exc_info=exc)
    await context.abort(code, message)
