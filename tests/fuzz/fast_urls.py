"""The same URLs, sooner: requests and urllib3 re-check every URL byte by byte in Python, three
times per request (requests' ``requote_uri``, then urllib3's ``_encode_invalid_chars`` in
``parse_url`` and again in ``urlopen``). The fuzzers' URLs are already fully percent-encoded
and reach megabytes (the 300,000-character strings of ``strategies._long``), so that checking,
not the server, was most of an HTTP fuzz test's time.

``fast_url_encoding`` puts a fast path in front of both functions for one request: when a
regular expression shows the function would return its input unchanged, the input is
returned; otherwise the library's own function runs. The bytes on the wire are the same
(tests/fuzz/test_fast_urls.py checks the two agree).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Container, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import quote

import requests.models
import urllib3.util.url

_HEX = "0-9A-Fa-f"
# %XX escapes that requests' unquote_unreserved would decode (A-Z a-z 0-9 - . _ ~), and
# any % that does not start a %XX escape: with either, requote_uri is not the identity-quote.
_UNRESERVED_ESCAPE = re.compile(
    r"%(?:3[0-9]|[46][1-9A-Fa-f]|[57][0-9Aa]|2[DdEe]|5[Ff]|7[Ee])"  # 0-9 A-Z a-z - . _ ~
)
_BAD_ESCAPE = re.compile(f"%(?![{_HEX}]{{2}})")
# requests.utils.requote_uri's safe set when unquote_unreserved succeeds.
_REQUOTE_SAFE = "!#$%&'()*+,/:;=?@[]~"


def fast_requote_uri(original: Callable[[str], str], uri: str) -> str:
    """``requests.utils.requote_uri``: with every % a %XX escape of a reserved or non-ASCII
    byte, its unquote_unreserved step changes nothing and it is ``quote(uri, safe)``."""
    if _UNRESERVED_ESCAPE.search(uri) or _BAD_ESCAPE.search(uri):
        return original(uri)
    return quote(uri, safe=_REQUOTE_SAFE)


_NOT_UPPER_ESCAPE = re.compile("%(?![0-9A-F]{2})")


@functools.cache
def _allowed_or_percent(allowed: frozenset[str]) -> re.Pattern[str]:
    chars = "".join(re.escape(c) for c in sorted(allowed) if c != "%" and c.isascii())
    return re.compile(f"[{chars}%]*")


def fast_encode_invalid_chars(
    original: Callable[[Any, Container[str]], Any], component: Any, allowed: Container[str]
) -> Any:
    """urllib3's ``_encode_invalid_chars``: a component that is already encoded (every byte
    allowed, every % the start of an upper-case escape) comes back unchanged."""
    if (
        isinstance(component, str)
        and isinstance(allowed, (set, frozenset))
        and set("0123456789ABCDEF") <= allowed
        and _allowed_or_percent(frozenset(allowed)).fullmatch(component)
        and not _NOT_UPPER_ESCAPE.search(component)
    ):
        return component
    return original(component, allowed)


@contextmanager
def fast_url_encoding() -> Iterator[None]:
    """Both fast paths, for the requests made inside the block (this thread's fuzzing)."""
    requote, encode = requests.models.requote_uri, urllib3.util.url._encode_invalid_chars
    requests.models.requote_uri = functools.partial(fast_requote_uri, requote)
    urllib3.util.url._encode_invalid_chars = functools.partial(fast_encode_invalid_chars, encode)
    try:
        yield
    finally:
        requests.models.requote_uri = requote
        urllib3.util.url._encode_invalid_chars = encode
