"""In-process calls into the engine's gRPC services, for a gateway in the same process
(``attune serve``, issue 17).

Under ``attune serve`` the gateway used to dial its own engine over loopback gRPC: each call
paid for HTTP/2 framing, gRPC's completion queues and a hop through its poller thread on both
sides, about a sixth of the server's CPU per practice answer. Here a call takes the same
path a network call takes inside the server, without the transport: the request bytes go
through the method's own deserializer, every server interceptor (observability, the call
pipeline with authentication, scopes, tenant budgets and the audit record, load shedding and
the tenant gate) and the servicer, and the reply through its serializer. A refusal is a
:class:`LocalCallError` (a ``grpc.RpcError``) with the status code, details and trailing
metadata the network call would have had, so the caller cannot tell the two apart.

Only unary calls are served in process; the gateway's streaming calls (a tenant's export)
keep the network channel.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import contextvars
import threading
import time
from collections.abc import Awaitable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NoReturn, cast

import grpc
from grpc import aio

from attune.engine.grpc.interceptors import Handler

PEER = "inproc:attune-serve"  # what the audit trail records as the caller's address

Metadata = Sequence[tuple[str, str | bytes]]


class LocalCallError(grpc.RpcError):
    """A refused in-process call, shaped like the error of a network call."""

    def __init__(self, code: grpc.StatusCode, details: str, trailing: Metadata = ()) -> None:
        super().__init__(f"{code.name}: {details}")
        self._code, self._details, self._trailing = code, details, tuple(trailing)

    def code(self) -> grpc.StatusCode:
        return self._code

    def details(self) -> str:
        return self._details

    def trailing_metadata(self) -> Any:  # grpc's stubs type it with a private class
        return self._trailing


class HandlerTable:
    """The engine's method handlers by full method name, filled by the generated
    ``add_*Servicer_to_server`` functions exactly as they fill a server."""

    def __init__(self) -> None:
        self._handlers: dict[str, Handler] = {}

    def add_generic_rpc_handlers(self, handlers: Sequence[Any]) -> None:
        """The same handlers arrive by name through :meth:`add_registered_method_handlers`."""

    def add_registered_method_handlers(self, service: str, handlers: Mapping[str, Handler]) -> None:
        for name, handler in handlers.items():
            self._handlers[f"/{service}/{name}"] = handler

    def get(self, method: str) -> Handler | None:
        return self._handlers.get(method)


@dataclass(frozen=True)
class _Details(grpc.HandlerCallDetails):
    method: str
    invocation_metadata: tuple[tuple[str, str | bytes], ...]


class LocalContext:
    """The servicer context of an in-process unary call, with what the engine's interceptors
    and servicers use of grpc-aio's: metadata in, status and trailing metadata out."""

    def __init__(
        self, metadata: tuple[tuple[str, str | bytes], ...], deadline: float | None
    ) -> None:
        self._metadata = metadata
        self._deadline = deadline
        self._trailing: tuple[tuple[str, str | bytes], ...] = ()
        self._code: grpc.StatusCode | None = None
        self._details: str | None = None

    async def abort(
        self, code: grpc.StatusCode, details: str = "", trailing_metadata: Metadata = ()
    ) -> NoReturn:
        if trailing_metadata:
            self._trailing = tuple(trailing_metadata)
        self._code, self._details = code, details
        raise aio.AbortError()

    async def abort_with_status(self, status: grpc.Status) -> NoReturn:
        await self.abort(status.code, status.details, status.trailing_metadata)

    def invocation_metadata(self) -> tuple[tuple[str, str | bytes], ...]:
        return self._metadata

    def set_trailing_metadata(self, trailing_metadata: Metadata) -> None:
        self._trailing = tuple(trailing_metadata)

    def trailing_metadata(self) -> tuple[tuple[str, str | bytes], ...]:
        return self._trailing

    def set_code(self, code: grpc.StatusCode) -> None:
        self._code = code

    def code(self) -> grpc.StatusCode | None:
        return self._code

    def set_details(self, details: str) -> None:
        self._details = details

    def details(self) -> str | None:
        return self._details

    def peer(self) -> str:
        return PEER

    def time_remaining(self) -> float | None:
        if self._deadline is None:
            return None
        return max(0.0, self._deadline - time.monotonic())

    def cancelled(self) -> bool:
        return False  # a cancelled call's task is cancelled instead


class LocalDispatch:
    """Runs one unary call through the server's interceptors and handler (on the engine's
    event loop), as grpc-aio does for a network call."""

    def __init__(self, interceptors: Sequence[aio.ServerInterceptor], table: HandlerTable) -> None:
        self._interceptors = tuple(interceptors)
        self._table = table
        self.stopping = False

    async def _handler(self, details: _Details, index: int = 0) -> Handler | None:
        if index == len(self._interceptors):
            return self._table.get(details.method)

        def nxt(details: grpc.HandlerCallDetails) -> Awaitable[Handler | None]:
            return self._handler(details, index + 1)  # type: ignore[arg-type]

        return await self._interceptors[index].intercept_service(nxt, details)

    async def handle(
        self, method: str, payload: bytes, metadata: Metadata, timeout: float | None
    ) -> bytes:
        """The serialized reply, or :class:`LocalCallError`."""
        if self.stopping:  # as a server in its grace period refuses new calls
            raise LocalCallError(grpc.StatusCode.UNAVAILABLE, "the engine is stopping")
        meta = tuple(metadata)
        handler = await self._handler(_Details(method, meta))
        if handler is None or handler.unary_unary is None:
            raise LocalCallError(grpc.StatusCode.UNIMPLEMENTED, f"{method}: no such unary method")
        deadline = None if timeout is None else time.monotonic() + timeout
        context = LocalContext(meta, deadline)
        decode, encode = handler.request_deserializer, handler.response_serializer
        request = decode(payload) if decode is not None else payload
        try:
            reply = await handler.unary_unary(request, cast(Any, context))
        except aio.AbortError:
            code = context.code() or grpc.StatusCode.UNKNOWN
            details = context.details() or ""
            raise LocalCallError(code, details, context.trailing_metadata()) from None
        return encode(reply) if encode is not None else reply


class LoopCaller:
    """Blocking in-process calls from any thread but the loop's own, each run as a task on
    the engine's event loop in a fresh context (no caller's context variables leak in)."""

    def __init__(self, dispatch: LocalDispatch, loop: asyncio.AbstractEventLoop) -> None:
        self._dispatch = dispatch
        self._loop = loop
        self._loop_thread = threading.get_ident()  # built on the loop's thread

    def stop(self) -> None:
        """Refuse new calls (UNAVAILABLE); running ones finish."""
        self._dispatch.stopping = True

    def call(self, method: str, request: bytes, metadata: Metadata, timeout: float | None) -> bytes:
        """The serialized reply, or a ``grpc.RpcError`` (:class:`LocalCallError`)."""
        if threading.get_ident() == self._loop_thread:
            raise RuntimeError("an in-process engine call on the engine's own loop would block it")
        done: concurrent.futures.Future[bytes] = concurrent.futures.Future()
        tasks: list[asyncio.Task[None]] = []

        def start() -> None:
            coro = self._run(done, method, request, metadata, timeout)
            tasks.append(self._loop.create_task(coro, context=contextvars.Context()))

        try:
            self._loop.call_soon_threadsafe(start)
        except RuntimeError:  # the loop is closed: the engine has stopped
            raise LocalCallError(grpc.StatusCode.UNAVAILABLE, "the engine has stopped") from None
        try:
            return done.result(timeout)
        except concurrent.futures.TimeoutError:
            with contextlib.suppress(RuntimeError):  # a closed loop has nothing to cancel
                self._loop.call_soon_threadsafe(lambda: [t.cancel() for t in tasks])
            raise LocalCallError(grpc.StatusCode.DEADLINE_EXCEEDED, "Deadline Exceeded") from None

    async def _run(
        self,
        done: concurrent.futures.Future[bytes],
        method: str,
        request: bytes,
        metadata: Metadata,
        timeout: float | None,
    ) -> None:
        try:
            done.set_result(await self._dispatch.handle(method, request, metadata, timeout))
        except asyncio.CancelledError:
            if not done.done():
                done.set_exception(LocalCallError(grpc.StatusCode.CANCELLED, "cancelled"))
            raise
        except LocalCallError as exc:  # handed to the caller's thread, which raises it
            done.set_exception(exc)
        except Exception as exc:  # as grpc answers an error that escaped every handler
            done.set_exception(LocalCallError(grpc.StatusCode.UNKNOWN, f"Unexpected {exc!r}"))
