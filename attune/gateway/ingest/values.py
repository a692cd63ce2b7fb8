"""Checks of single JSON values that both specifications share: objects and their keys,
strings, numbers, IRIs, UUIDs, timestamps and durations.

Each check returns the value (typed) or raises :class:`InvalidInputError` naming the path.
JSON booleans are Python ints, so every number check refuses ``bool`` explicitly: xAPI 1.0.3
Data §2.2 makes an LRS reject a string or a boolean where a number is required.
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from tincan.conversions.iso8601 import make_datetime, make_timedelta

from attune.gateway.ingest.problems import InvalidInputError, key
from attune.gateway.json_kind import json_kind

JsonObject = dict[str, Any]

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:")
# Characters RFC 3987 never allows in an IRI (space and controls included).
_NOT_IN_IRI = re.compile(r"[\x00-\x20\x7f<>\"{}|\\^`]")
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})$")
_NUM = r"\d+(?:[.,]\d+)?"
# ISO 8601:2004 §4.4.3.2, the only duration form xAPI allows (1.0.3 Data §4.6; 2.0 too):
# PnYnMnDTnHnMnS or PnW. The alternative form (P0003-01-29T04:35:59) is refused, although
# tincan (aniso8601) would parse it.
_DURATION = re.compile(
    rf"^P(?:{_NUM}W|(?=\d|T\d)(?:{_NUM}Y)?(?:{_NUM}M)?(?:{_NUM}D)?"
    rf"(?:T(?=\d)(?:{_NUM}H)?(?:{_NUM}M)?(?:{_NUM}S)?)?)$"
)


def obj(
    value: Any, path: str, allowed: Collection[str], required: Collection[str] = ()
) -> JsonObject:
    """A JSON object with only ``allowed`` keys, every ``required`` one, and no nulls.

    Unknown keys are refused (xAPI 1.0.3 Data §2.2: "where a key or value is not allowed by
    this specification"), and so are nulls (ibid., "with any null values").
    """
    if not isinstance(value, dict):
        raise InvalidInputError(path or "body", f"must be a JSON object, got {json_kind(value)}")
    for name, item in value.items():
        if name not in allowed:
            raise InvalidInputError(key(path, name), "is not a known property here")
        if item is None:
            raise InvalidInputError(key(path, name), "must not be null")
    for name in required:
        if name not in value:
            raise InvalidInputError(key(path, name), "is required")
    return value


def array(value: Any, path: str, *, non_empty: bool = False) -> list[Any]:
    if not isinstance(value, list):
        raise InvalidInputError(path, f"must be an array, got {json_kind(value)}")
    if non_empty and not value:
        raise InvalidInputError(path, "must not be empty")
    return value


def string(value: Any, path: str, *, non_empty: bool = False) -> str:
    if not isinstance(value, str):
        raise InvalidInputError(path, f"must be a string, got {json_kind(value)}")
    if non_empty and not value.strip():
        raise InvalidInputError(path, "must not be empty")
    return value


def boolean(value: Any, path: str) -> bool:
    if not isinstance(value, bool):
        raise InvalidInputError(path, f"must be true or false, got {json_kind(value)}")
    return value


def number(value: Any, path: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidInputError(path, f"must be a number, got {json_kind(value)}")
    if not math.isfinite(value):
        raise InvalidInputError(path, "must be a finite number")
    return float(value)


def iri(value: Any, path: str) -> str:
    """An absolute IRI: a scheme, then no space or character RFC 3987 excludes.

    Best effort, as xAPI 1.0.3 Data §2.2 allows; an http(s) IRI must also name a host.
    """
    text = string(value, path)
    if not _SCHEME.match(text) or len(text) == text.index(":") + 1:
        raise InvalidInputError(path, "must be an IRI")
    if _NOT_IN_IRI.search(text):
        raise InvalidInputError(path, "must be an IRI (no spaces or control characters)")
    if text.split(":", 1)[0].lower() in ("http", "https") and not urlsplit(text).netloc:
        raise InvalidInputError(path, "must be an IRI (an http(s) IRI names a host)")
    return text


def uuid_string(value: Any, path: str) -> str:
    """A UUID in standard string form (xAPI 1.0.3 Data §2.4.1), returned lower-cased.

    Every version and variant is accepted: the spec's own example ids are not variant 2.
    """
    text = string(value, path)
    if not _UUID.match(text):
        raise InvalidInputError(path, "must be a UUID in standard form (8-4-4-4-12 hex digits)")
    return text.lower()


def timestamp(value: Any, path: str, *, rfc3339: bool) -> datetime:
    """A point in time, in UTC.

    ``rfc3339`` (xAPI 2.0, Caliper 1.2): an RFC 3339 date-time, offset required. Otherwise
    (xAPI 1.0.x, Data §4.5) any ISO 8601 date-time, extended or basic, parsed by tincan
    (aniso8601). 1.0.3 only says a timestamp SHOULD carry a zone; tincan refuses one without,
    so such a timestamp is read as UTC.
    """
    text = string(value, path)
    try:
        if rfc3339:
            if not _RFC3339.match(text):
                raise ValueError("not RFC 3339")
            moment = datetime.fromisoformat(text.upper())
        else:
            try:
                moment = make_datetime(text)
            except ValueError:
                moment = make_datetime(text + "Z")  # no zone: UTC, or still not a timestamp
        # A moment near year 1 or 9999 whose offset moves it out of datetime's range
        # (0001-01-01T00:00:00+01:00) overflows here.
        return moment.astimezone(UTC)
    except (TypeError, ValueError, OverflowError):
        form = "an RFC 3339 date-time with an offset" if rfc3339 else "an ISO 8601 date-time"
        raise InvalidInputError(path, f"must be {form}, got {text!r}") from None


def depth(value: Any, limit: int, path: str = "body") -> None:
    """Refuse JSON nested deeper than ``limit`` arrays and objects (checked without
    recursion, so that no later recursive step can overflow on it)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict | list):
            if level > limit:
                raise InvalidInputError(path, f"is nested deeper than {limit} levels")
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, level + 1) for child in children)


def duration(value: Any, path: str) -> timedelta:
    """An ISO 8601 duration in the §4.4.3.2 form; converted by tincan (aniso8601), which
    counts a year as 365 days and a month as 30."""
    text = string(value, path)
    if not _DURATION.match(text):
        raise InvalidInputError(path, f"must be an ISO 8601 duration like PT4.2S, got {text!r}")
    try:
        return make_timedelta(text)  # type: ignore[no-any-return]
    except (TypeError, ValueError, OverflowError):
        raise InvalidInputError(path, f"is not a duration tincan can read: {text!r}") from None
