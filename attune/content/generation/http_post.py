"""One JSON POST with the standard library, bounded: a time limit on the whole exchange, a
cap on the reply's size, no redirects (a 3xx is an error: the bearer key is never replayed to
another place) and no cookies. Errors are :class:`PostError` with a message fit for logs:
the status, or the class of the network error, never a header or the body sent.
"""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import Message
from typing import IO, Protocol
from urllib.parse import urlsplit

CHUNK_BYTES = 64 * 1024
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


class PostError(Exception):
    """The exchange failed; ``status`` is the HTTP status when there was one."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class PostReply:
    """A 2xx reply: its status and body."""

    status: int
    body: bytes


class Transport(Protocol):
    """POSTs ``body`` to ``url``: the port the generator talks through (tests may fill it)."""

    def post(
        self, url: str, body: bytes, headers: Mapping[str, str], *, timeout_s: float, max_bytes: int
    ) -> PostReply:
        """The 2xx reply, or :class:`PostError`."""
        ...


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: IO[bytes],
        code: int,
        msg: str,
        headers: Message,
        newurl: str,
    ) -> urllib.request.Request | None:
        return None  # urllib then raises HTTPError with the 3xx status


def _read(reply: IO[bytes], *, deadline: float, max_bytes: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        if time.monotonic() > deadline:
            raise PostError("timed out while reading the reply")
        chunk = reply.read(CHUNK_BYTES)
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > max_bytes:
            raise PostError(f"the reply is larger than {max_bytes} bytes")
        chunks.append(chunk)


class UrllibTransport:
    """The :class:`Transport` over :mod:`urllib.request`: proxies from the environment, as
    ``urllib`` reads them, except for a server on this machine (never proxied); redirects
    refused."""

    def __init__(self) -> None:
        self._opener = urllib.request.build_opener(_NoRedirects())
        self._direct = urllib.request.build_opener(_NoRedirects(), urllib.request.ProxyHandler({}))

    def post(
        self, url: str, body: bytes, headers: Mapping[str, str], *, timeout_s: float, max_bytes: int
    ) -> PostReply:
        """POST ``body``; :class:`PostError` on a non-2xx status, a network error, a reply
        over ``max_bytes`` or past ``timeout_s`` in all."""
        request = urllib.request.Request(url, data=body, headers=dict(headers), method="POST")
        opener = self._direct if urlsplit(url).hostname in LOOPBACK_HOSTS else self._opener
        deadline = time.monotonic() + timeout_s
        try:
            with opener.open(request, timeout=timeout_s) as reply:
                length = reply.headers.get("Content-Length")
                if length is not None and length.isdigit() and int(length) > max_bytes:
                    raise PostError(f"the reply is larger than {max_bytes} bytes")
                data = _read(reply, deadline=deadline, max_bytes=max_bytes)
                return PostReply(reply.status, data)
        except urllib.error.HTTPError as exc:
            exc.close()
            raise PostError(f"the server answered HTTP {exc.code}", exc.code) from exc
        except TimeoutError as exc:
            raise PostError(f"timed out after {timeout_s:g} s") from exc
        except urllib.error.URLError as exc:
            reason = exc.reason
            if isinstance(reason, TimeoutError):
                raise PostError(f"timed out after {timeout_s:g} s") from exc
            raise PostError(f"cannot reach the server ({type(reason).__name__})") from exc
        except OSError as exc:  # a connection reset while reading, and the like
            raise PostError(f"the connection failed ({type(exc).__name__})") from exc
