"""URLs a platform names, parsed properly: the origin they belong to and whether the gateway may
fetch them.

Dynamic Registration makes the gateway fetch a URL it was handed by whoever opened the
registration link, so that URL is untrusted until checked:

- it is parsed with :func:`urllib.parse.urlsplit`, never compared as a string prefix (a
  ``http://lms.example@127.0.0.1/`` URL *starts with* ``http://lms.example`` but its host is
  ``127.0.0.1``); userinfo is refused outright;
- its host is resolved and every address must be public: loopback, private, link-local,
  multicast, reserved and unspecified addresses are refused (RFC 6890), unless the gateway's
  ``allow_private_registration_targets`` allows them.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

from attune.gateway.errors import BadRequestError

DEFAULT_PORTS = {"http": 80, "https": 443}
IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Sequence[str]]


@dataclass(frozen=True, slots=True)
class Origin:
    """Scheme, host and port (RFC 6454 §4), the port made explicit."""

    scheme: str
    host: str
    port: int


def parse_http_url(value: str, name: str) -> SplitResult:
    """``value`` parsed as an absolute http(s) URL with a host and no userinfo; otherwise
    :class:`BadRequestError` naming ``name``."""
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 (raises ValueError on a bad port)
    except ValueError as exc:
        raise BadRequestError(f"{name} is not a valid URL") from exc
    if parts.scheme not in DEFAULT_PORTS:
        raise BadRequestError(f"{name} must be an http(s) URL")
    if not parts.hostname:
        raise BadRequestError(f"{name} has no host")
    if "@" in parts.netloc:
        raise BadRequestError(f"{name} must not carry a user name or password")
    if any(ch.isspace() or ord(ch) < 0x20 for ch in value):
        raise BadRequestError(f"{name} must not contain whitespace or control characters")
    return parts


def origin_of(value: str, name: str) -> Origin:
    """The origin of an http(s) URL (:func:`parse_http_url` rules)."""
    parts = parse_http_url(value, name)
    assert parts.hostname is not None  # parse_http_url refused a URL without one
    return Origin(parts.scheme, parts.hostname, parts.port or DEFAULT_PORTS[parts.scheme])


def system_resolver(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (A and AAAA)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def is_public(address: IpAddress) -> bool:
    """True for a globally routable unicast address."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        # Python 3.11 does not look through ::ffff:127.0.0.1 in is_loopback and friends.
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


def check_fetchable(
    value: str, name: str, allow_private: bool, resolve: Resolver = system_resolver
) -> Origin:
    """Refuse a URL the gateway must not fetch; its origin otherwise."""
    origin = origin_of(value, name)
    if allow_private:
        return origin
    try:
        addresses = list(resolve(origin.host, origin.port))
    except (OSError, UnicodeError) as exc:
        raise BadRequestError(f"{name}: the host {origin.host!r} does not resolve") from exc
    if not addresses:
        raise BadRequestError(f"{name}: the host {origin.host!r} does not resolve")
    for raw in addresses:
        try:
            address = ipaddress.ip_address(raw.split("%", 1)[0])
        except ValueError as exc:
            raise BadRequestError(f"{name}: the host {origin.host!r} does not resolve") from exc
        if not is_public(address):
            raise BadRequestError(
                f"{name}: the host {origin.host!r} is a loopback, private or link-local "
                "address, which the gateway does not contact"
            )
    return origin
