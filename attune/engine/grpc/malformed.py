"""Request bodies that are not valid protobuf messages (issue 11 item 14).

grpc calls a method's request deserializer before any interceptor or servicer code runs,
and a parse error there reaches the client as UNKNOWN with the Python exception in the
details. The guarded deserializer never raises: a body that does not parse becomes a
:class:`MalformedMessage`, which the guarded behaviour refuses with INVALID_ARGUMENT and a
plain message. On a request stream the servicer sees each message in turn and refuses a
malformed one inline (StreamResponses), so one bad message does not end the stream.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Callable
from typing import Any

import grpc
from grpc import aio

from attune.engine.domain.errors import InvalidInputError

FIELD = "request"
MESSAGE = "is not a valid protobuf message for this method"

Behaviour = Callable[..., Any]


class MalformedMessage:
    """Stands in for a request message whose bytes did not parse."""

    __slots__ = ()


def guard_deserializer(
    deserializer: Callable[[bytes], Any] | None,
) -> Callable[[bytes], Any] | None:
    """``deserializer``, returning a :class:`MalformedMessage` instead of raising."""
    if deserializer is None:
        return None

    def parse(raw: bytes) -> Any:
        try:
            return deserializer(raw)
        except Exception:  # DecodeError and friends: whatever the parser says, it is the body
            return MalformedMessage()

    return parse


def malformed_error() -> InvalidInputError:
    """The refusal of a request body that did not parse."""
    return InvalidInputError(FIELD, MESSAGE)


async def _refuse(context: aio.ServicerContext, public: bool) -> None:
    if not public:  # the context interceptor maps, logs and aborts
        raise malformed_error()
    await context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"{FIELD}: {MESSAGE}")


def guard_handler(handler: grpc.RpcMethodHandler, behaviour: Behaviour, public: bool) -> Behaviour:
    """``behaviour`` refusing a :class:`MalformedMessage` request. A method's own request
    stream is passed through (its servicer refuses each malformed message inline); the
    public services' (health, reflection) are cut at the first malformed message. The
    wrapper has the behaviour's kind: an async generator, or a coroutine (which may write
    its replies with ``context.write``, as health's Watch does)."""
    if handler.request_streaming and not public:
        return behaviour

    async def checked(request: Any, context: aio.ServicerContext) -> Any:
        if handler.request_streaming:
            return _checked_stream(request, context)
        if isinstance(request, MalformedMessage):
            await _refuse(context, public)
        return request

    if inspect.isasyncgenfunction(behaviour):

        async def generator(request: Any, context: aio.ServicerContext) -> AsyncIterator[Any]:
            async for reply in behaviour(await checked(request, context), context):
                yield reply

        return generator

    async def coroutine(request: Any, context: aio.ServicerContext) -> Any:
        return await behaviour(await checked(request, context), context)

    return coroutine


async def _checked_stream(
    requests: AsyncIterator[Any], context: aio.ServicerContext
) -> AsyncIterator[Any]:
    async for request in requests:
        if isinstance(request, MalformedMessage):
            await _refuse(context, public=True)
        yield request
