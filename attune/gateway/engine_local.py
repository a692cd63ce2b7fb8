"""The gateway's channel to an engine in the same process (``attune serve``, issue 17).

Blocking unary calls (every call on a learner's path) go to the engine in process through a
:class:`UnaryCaller`, which the composition root takes from the engine: the request is
serialized, runs through the engine's own interceptors and servicer, and the reply is
deserialized, as over the network, without the loopback transport. Everything else (the
streamed tenant export, futures, ``with_call``) takes the network channel to the same
engine. A refused call raises a ``grpc.RpcError`` with the engine's code, details and
trailing metadata either way, so :class:`~gateway.engine_client.GrpcEngineClient` cannot
tell the two apart.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

import grpc

Metadata = Sequence[tuple[str, str | bytes]]


class UnaryCaller(Protocol):
    """One blocking unary call into the engine: serialized request in, serialized reply
    out, or a ``grpc.RpcError`` (code, details, trailing metadata)."""

    def call(
        self, method: str, request: bytes, metadata: Metadata, timeout: float | None
    ) -> bytes: ...


class _LocalUnary(grpc.UnaryUnaryMultiCallable):
    def __init__(
        self,
        caller: UnaryCaller,
        method: str,
        encode: Callable[[Any], bytes],
        decode: Callable[[bytes], Any],
        network: Callable[[], grpc.UnaryUnaryMultiCallable],
    ) -> None:
        self._caller, self._method = caller, method
        self._encode, self._decode = encode, decode
        self._network = network

    def __call__(
        self,
        request: Any,
        timeout: float | None = None,
        metadata: Metadata | None = None,
        credentials: grpc.CallCredentials | None = None,
        wait_for_ready: bool | None = None,
        compression: grpc.Compression | None = None,
    ) -> Any:
        reply = self._caller.call(self._method, self._encode(request), metadata or (), timeout)
        return self._decode(reply)

    def with_call(self, *args: Any, **kwargs: Any) -> Any:
        return self._network().with_call(*args, **kwargs)  # the call object needs the network

    def future(self, *args: Any, **kwargs: Any) -> Any:
        return self._network().future(*args, **kwargs)


class LocalChannel(grpc.Channel):
    """Unary-unary calls in process; the rest over ``network`` (to the same engine)."""

    def __init__(self, caller: UnaryCaller, network: grpc.Channel) -> None:
        self._caller = caller
        self._network = network

    def unary_unary(
        self,
        method: str,
        request_serializer: Callable[[Any], bytes] | None = None,
        response_deserializer: Callable[[bytes], Any] | None = None,
        _registered_method: bool | None = False,
    ) -> grpc.UnaryUnaryMultiCallable:
        if request_serializer is None or response_deserializer is None:
            raise ValueError(f"{method}: an in-process call needs the message codecs")

        def network() -> grpc.UnaryUnaryMultiCallable:
            channel: Any = self._network  # grpc's stubs lack _registered_method
            return channel.unary_unary(  # type: ignore[no-any-return]
                method, request_serializer, response_deserializer, _registered_method
            )

        return _LocalUnary(self._caller, method, request_serializer, response_deserializer, network)

    def unary_stream(self, *args: Any, **kwargs: Any) -> Any:
        return self._network.unary_stream(*args, **kwargs)

    def stream_unary(self, *args: Any, **kwargs: Any) -> Any:
        return self._network.stream_unary(*args, **kwargs)

    def stream_stream(self, *args: Any, **kwargs: Any) -> Any:
        return self._network.stream_stream(*args, **kwargs)

    def subscribe(self, callback: Any, try_to_connect: bool = False) -> None:
        self._network.subscribe(callback, try_to_connect)

    def unsubscribe(self, callback: Any) -> None:
        self._network.unsubscribe(callback)

    def close(self) -> None:
        self._network.close()

    def __enter__(self) -> LocalChannel:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
