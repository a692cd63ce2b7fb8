"""waitress, hardened against slow and greedy clients.

- **Slow headers (slowloris).** waitress closes a connection only after ``channel_timeout`` of
  *inactivity*, so a client that trickles a byte now and then holds it forever, and 100 of
  them used to fill the connection limit. Here a request's headers must be complete within
  ``header_timeout_seconds`` of its first byte and the whole request within
  ``request_timeout_seconds``, however steadily the bytes trickle; the limit is higher and
  waitress polls with ``poll()`` (``select()`` stops at 1024 descriptors).
- **Bodies before auth.** waitress reads a whole body before the app sees the request. Here the
  parser asks :func:`gateway.web.body_gate.check_before_body` as soon as the headers are in,
  and a refused request is answered (401, 411, 413) without reading its body; a chunked body
  is cut off at its route's cap.

The deadlines read an injected clock (``time.monotonic`` by default) so tests can move it.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from typing import Any

import structlog
from waitress import wasyncore
from waitress.adjustments import Adjustments
from waitress.channel import HTTPChannel
from waitress.parser import HTTPRequestParser
from waitress.server import TcpWSGIServer
from waitress.utilities import Error, RequestEntityTooLarge

from attune.gateway.settings import GatewaySettings
from attune.gateway.web.body_gate import (
    Refusal,
    body_limit,
    check_before_body,
    refusal_headers,
    route_class,
    too_large,
)

log = structlog.get_logger("attune.gateway.http")
Clock = Callable[[], float]
CLEANUP_INTERVAL_S = 1  # how often the deadlines are looked at (waitress takes whole seconds)


class RefusedBeforeBody(Error):
    """A waitress error response carrying a :class:`Refusal` as the API's JSON."""

    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal.reason)
        self.refusal = refusal
        self.code = refusal.status

    def to_response(self, ident: str | None = None) -> tuple[str, list[tuple[str, str]], bytes]:
        body = self.refusal.json_body()
        headers = [
            (k, v)
            for k, v in refusal_headers(self.refusal, len(body))
            if k not in ("Content-Length", "Connection")  # waitress sets both itself
        ]
        return self.refusal.status_line, headers, body


class GatedParser(HTTPRequestParser):
    """One request being read; knows when its first byte came and checks it before its body."""

    def __init__(self, adj: Adjustments, channel: GatedChannel) -> None:
        super().__init__(adj)
        self.channel = channel
        self.started_at = channel.server.clock()

    def received(self, data: bytes) -> int:
        had_headers = self.headers_finished
        consumed: int = super().received(data)
        if self.error is not None and not isinstance(self.error, RequestEntityTooLarge):
            return consumed  # a malformed request: waitress's 400 stands
        if self.headers_finished and not had_headers:
            refusal = self._check()
        elif self.chunked and not self.completed:
            refusal = self._chunked_cap()
        else:
            refusal = None
        if refusal is not None:
            self._refuse(refusal)
            return len(data)  # what follows is the body we will not read
        return consumed

    def _check(self) -> Refusal | None:
        headers = self.headers
        declared = headers.get("CONTENT_LENGTH")
        return check_before_body(
            self.channel.server.settings,
            self.command.upper(),
            self.path,
            headers.get("AUTHORIZATION", ""),
            self.content_length if declared is not None else None,
            self.chunked,
            headers.get("COOKIE", ""),
            headers.get("X_EXPERIENCE_API_VERSION", ""),
        )

    def _chunked_cap(self) -> Refusal | None:
        limits = self.channel.server.settings.http.body_limits
        limit = body_limit(limits, route_class(self.path))
        if self.body_bytes_received > limit:
            return too_large(self.command.upper(), self.path, limit)
        return None

    def _refuse(self, refusal: Refusal) -> None:
        self.error = RefusedBeforeBody(refusal)
        self.completed = True
        self.expect_continue = False  # no "100 Continue" for a body we refuse
        self.channel.discard_input = True
        log.info(
            "http.refused_before_body",
            status=refusal.status,
            error=refusal.error,
            method=self.command,
            route=route_class(self.path),
        )


class GatedChannel(HTTPChannel):
    """A connection whose requests are read by :class:`GatedParser`; after a refusal, the
    rest of its input is dropped unread and it closes once the answer is out."""

    server: HardenedServer
    discard_input = False

    def parser_class(self, adj: Adjustments) -> GatedParser:
        return GatedParser(adj, self)

    def received(self, data: bytes) -> bool:
        if self.discard_input:
            return False
        return bool(super().received(data))

    def service(self) -> None:
        """Serve the queued requests; while the server shuts down, close once they are sent
        (so a keep-alive client does not hold the stop)."""
        super().service()
        if self.server.stopping:
            self.close_when_flushed = True
            self.server.pull_trigger()


class HardenedServer(TcpWSGIServer):
    """waitress's TCP server with the request deadlines and the body gate."""

    channel_class = GatedChannel

    def __init__(
        self,
        app: Any,
        settings: GatewaySettings,
        clock: Clock,
        adj: Adjustments,
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.stopping = False  # set by shut_down
        super().__init__(app, map={}, adj=adj)

    def set_reuse_addr(self) -> None:
        """waitress's SO_REUSEADDR, and SO_REUSEPORT for the workers of ``attune gateway
        --workers N``: they listen on one port and the kernel spreads the connections."""
        super().set_reuse_addr()
        if self.settings.reuse_port:
            self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)

    def shut_down(self, grace: float) -> None:
        """Stop accepting, let the requests in progress finish (their connections then
        close), close the idle keep-alive connections, and end the loop: in ``grace`` s at
        most. waitress's loop runs until its last connection closes, so an idle client used
        to hold every stop for the whole grace; and its wake-up trigger must stay open until
        the connections are gone (a request finishing pulls it)."""
        self.stopping = True
        wasyncore.dispatcher.close(self)  # the listening socket only: no new connections
        for channel in list(self.active_channels.values()):
            if not channel.requests:
                channel.will_close = True
        self.pull_trigger()
        deadline = time.monotonic() + grace
        while self.active_channels and time.monotonic() < deadline:
            time.sleep(0.01)  # the loop thread closes them
        self.trigger.close()  # the loop ends once nothing is left in its map

    def maintenance(self, now: float) -> None:
        """waitress's idle check, then the header and request deadlines on our clock."""
        super().maintenance(now)
        http = self.settings.http
        moment = self.clock()
        for channel in list(self.active_channels.values()):
            request = getattr(channel, "request", None)
            if not isinstance(request, GatedParser) or request.completed or channel.will_close:
                continue
            age = moment - request.started_at
            if age > http.request_timeout_seconds or (
                not request.headers_finished and age > http.header_timeout_seconds
            ):
                channel.will_close = True
                log.info(
                    "http.slow_client_closed",
                    headers_complete=request.headers_finished,
                    seconds=round(age, 1),
                )


def create_hardened_server(
    app: Any, settings: GatewaySettings, clock: Clock = time.monotonic
) -> HardenedServer:
    """Bind the gateway's HTTP server (not serving yet: call ``run()``)."""
    http = settings.http
    limits = http.body_limits
    proxy: dict[str, Any] = {}
    if http.trusted_proxy:
        proxy = {
            "trusted_proxy": http.trusted_proxy,
            "trusted_proxy_headers": {"x-forwarded-for"},
        }
    adj = Adjustments(
        host=settings.host,
        port=settings.port,
        threads=settings.threads,
        clear_untrusted_proxy_headers=True,
        connection_limit=http.connection_limit,
        channel_timeout=http.idle_timeout_seconds,
        cleanup_interval=CLEANUP_INTERVAL_S,
        asyncore_use_poll=True,
        # The largest cap of any route, plus one: waitress refuses a declared length at or
        # over this, and a chunked body once it reaches it.
        max_request_body_size=max(limits.model_dump().values()) + 1,
        **proxy,
    )
    return HardenedServer(app, settings, clock, adj)
