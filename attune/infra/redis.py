"""Naming a Redis deployment, shared by the engine's store and the gateway's store.

- ``redis://[user:password@]host:port/db`` and ``rediss://...`` (TLS): one server.
- ``redis+cluster://[user:password@]host:port[,host:port...]`` (and ``rediss+cluster://``):
  a Redis Cluster, discovered from any of the nodes listed.

Ids are escaped before they go into a key: ``%``, ``{``, ``}`` and ``:`` become ``%25``,
``%7B``, ``%7D`` and ``%3A``. A ``}`` in an id cannot end a hash tag early, and a ``:`` in a
tenant cannot make two (tenant, learner) pairs spell the same tag.

Pure: no connection is made here, and nothing from ``redis`` is imported.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

# Clients fail fast: a call that cannot reach Redis in this time raises at once, and the
# caller retries (with the same event id, which is safe).
SOCKET_TIMEOUT_S = 5.0
CONNECT_TIMEOUT_S = 2.0

_ESCAPES = (("%", "%25"), ("{", "%7B"), ("}", "%7D"), (":", "%3A"))


def escape(part: str) -> str:
    """``part`` made safe inside a key and a hash tag (reversible with :func:`unescape`)."""
    for raw, coded in _ESCAPES:
        part = part.replace(raw, coded)
    return part


def unescape(part: str) -> str:
    """Inverse of :func:`escape`."""
    for raw, coded in reversed(_ESCAPES):
        part = part.replace(coded, raw)
    return part


class RedisUrlError(ValueError):
    """The URL does not name a Redis deployment."""


@dataclass(frozen=True)
class RedisTarget:
    """Where the store lives, parsed from its URL."""

    url: str
    cluster: bool
    nodes: tuple[tuple[str, int], ...]
    tls: bool
    username: str | None
    password: str | None

    @property
    def display(self) -> str:
        """The URL with any password masked, for messages and logs."""
        return redact(self.url)


def redact(url: str) -> str:
    """``url`` with the password (if any) replaced by ``***``."""
    return re.sub(r"(//[^:/@]*:)[^@/]*@", r"\1***@", url)


def parse_url(url: str) -> RedisTarget:
    """Parse a ``redis://``, ``rediss://`` or ``redis+cluster://`` store URL."""
    parts = urlsplit(url)
    scheme = parts.scheme
    if scheme not in ("redis", "rediss", "redis+cluster", "rediss+cluster"):
        raise RedisUrlError(f"not a Redis URL: {redact(url)!r}")
    cluster = scheme.endswith("+cluster")
    netloc = parts.netloc
    auth, _, hosts = netloc.rpartition("@")
    username, _, password = auth.partition(":") if auth else ("", "", "")
    nodes: list[tuple[str, int]] = []
    for hostport in hosts.split(","):
        host, _, port = hostport.strip().rpartition(":")
        if not host:
            host, port = hostport.strip(), "6379"
        try:
            nodes.append((host.strip("[]"), int(port)))
        except ValueError as exc:
            raise RedisUrlError(f"bad host:port {hostport!r} in {redact(url)!r}") from exc
    if not nodes or not nodes[0][0]:
        raise RedisUrlError(f"no host in {redact(url)!r}")
    if not cluster and len(nodes) > 1:
        raise RedisUrlError(f"several hosts need redis+cluster://, got {redact(url)!r}")
    return RedisTarget(
        url=url,
        cluster=cluster,
        nodes=tuple(nodes),
        tls=scheme.startswith("rediss"),
        username=unquote(username) or None,
        password=unquote(password) or None,
    )
