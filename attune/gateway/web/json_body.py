"""Request bodies as JSON, bounded in depth: a body nested a thousand levels deep is a 400
naming ``body``, never a RecursionError in some later step (json, tincan, comparison)."""

from __future__ import annotations

import json
from typing import Any

from flask import request

from attune.gateway.errors import BadRequestError
from attune.gateway.ingest.problems import InvalidInputError
from attune.gateway.ingest.values import depth

MAX_JSON_DEPTH = 64  # arrays and objects inside each other; statements need about ten


def parse_json(data: bytes) -> Any:
    """``data`` as JSON (no NaN or Infinity), at most MAX_JSON_DEPTH levels deep; else a
    :class:`BadRequestError` naming ``body``."""
    try:
        value = json.loads(data, parse_constant=_no_constant)
    except RecursionError:
        raise BadRequestError(f"body: is nested deeper than {MAX_JSON_DEPTH} levels") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadRequestError(f"body: not JSON ({exc})") from exc
    try:
        depth(value, MAX_JSON_DEPTH)
    except InvalidInputError as exc:
        raise BadRequestError(exc.reason) from exc
    return value


def json_or_none() -> Any:
    """The request's JSON body, or ``None`` when it is not JSON at all (the admin API then
    says what it wanted); too deep is still a 400."""
    if not request.is_json:
        return None
    try:
        return parse_json(request.get_data(cache=False))
    except BadRequestError as exc:
        if "nested deeper" in exc.reason:
            raise
        return None


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")
