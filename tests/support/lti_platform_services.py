"""The emulated platform's LTI Advantage services: AGS 2.0 and NRPS 2.0.

Every route needs a bearer token from ``/token`` whose scopes allow it (AGS 2.0 §3.1,
NRPS 2.0 §3.5): no or unknown or expired token is 401, a token without the scope is 403.
While the platform is down (``set_down``) every route answers 503 first, as an overloaded
LMS does, with a ``Retry-After`` a client may honour.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from flask import Flask, Response, request

from tests.support.lti_platform_oidc import current_platform
from tests.support.lti_platform_spec import (
    MEDIA_LINEITEM,
    MEDIA_LINEITEMS,
    MEDIA_MEMBERSHIPS,
    MEDIA_RESULTS,
    MEDIA_SCORE,
    SCOPE_LINEITEM,
    SCOPE_LINEITEM_READONLY,
    SCOPE_NRPS,
    SCOPE_RESULT_READONLY,
    SCOPE_SCORE,
    parse_timestamp,
    validate_lineitem,
    validate_score,
)

if TYPE_CHECKING:
    from tests.support.lti_platform import PlatformEmulator

_READ_LINEITEMS = (SCOPE_LINEITEM, SCOPE_LINEITEM_READONLY)


def _json(
    data: Any, media_type: str, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    return Response(json.dumps(data), status=status, content_type=media_type, headers=headers)


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    return _json({"error": message}, "application/json", status, headers)


def _authorize(scopes: Sequence[str]) -> Response | None:
    """``None`` if the request may go on, else the refusal to send."""
    platform = current_platform()
    if platform.down:
        return _error(503, "the LMS is down", {"Retry-After": "1"})
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        return _error(401, "a bearer token is required", {"WWW-Authenticate": "Bearer"})
    grant = platform.grants.get(token.strip())
    if grant is None or grant.expires_at <= time.time():
        # RFC 6750 §3.1: the tool should fetch a new token and retry.
        challenge = 'Bearer error="invalid_token"'
        return _error(401, "unknown or expired token", {"WWW-Authenticate": challenge})
    if not grant.scopes & set(scopes):
        challenge = f'Bearer error="insufficient_scope", scope="{" ".join(scopes)}"'
        return _error(403, "token lacks the scope", {"WWW-Authenticate": challenge})
    return None


def _body(media_type: str) -> tuple[Any, Response | None]:
    if request.mimetype != media_type:
        return None, _error(415, f"Content-Type must be {media_type}, not {request.mimetype!r}")
    body = request.get_json(force=True, silent=True)
    if body is None:
        return None, _error(400, "the body is not JSON")
    return body, None


def _paged(items: list[dict[str, Any]], media_type: str, wrap: Any = None) -> Response:
    """One page of ``items``; a ``Link: <...>; rel="next"`` header when more follow."""
    limit = request.args.get("limit", type=int)
    offset = request.args.get("offset", 0, type=int)
    if (limit is not None and limit < 1) or offset < 0:
        return _error(400, "limit must be >= 1 and offset >= 0")
    end = len(items) if limit is None else offset + limit
    page = items[offset:end]
    payload = wrap(page) if wrap else page
    headers: dict[str, str] = {}
    if end < len(items):
        args = request.args.to_dict() | {"offset": str(end)}
        headers["Link"] = f'<{request.base_url}?{urlencode(args)}>; rel="next"'
    return _json(payload, media_type, headers=headers)


def _lineitems(context_id: str) -> Response:
    platform = current_platform()
    if request.method == "POST":
        if refusal := _authorize([SCOPE_LINEITEM]):
            return refusal
        body, refusal = _body(MEDIA_LINEITEM)
        if refusal:
            return refusal
        if (reason := validate_lineitem(body)) is not None:
            return _error(400, reason)
        body.pop("id", None)
        item = platform.store_lineitem(context_id, body)
        return _json(item, MEDIA_LINEITEM, 201, {"Location": item["id"]})
    if refusal := _authorize(_READ_LINEITEMS):
        return refusal
    prefix = platform.lineitems_url(context_id) + "/"
    filters = {"resource_link_id": "resourceLinkId", "resource_id": "resourceId", "tag": "tag"}
    wanted = {field: request.args[arg] for arg, field in filters.items() if arg in request.args}
    with platform.lock:
        items = [
            dict(item)
            for url, item in platform.lineitems.items()
            if url.startswith(prefix) and all(item.get(f) == v for f, v in wanted.items())
        ]
    return _paged(items, MEDIA_LINEITEMS)


def _lineitem(context_id: str, number: int) -> Response:
    platform = current_platform()
    read = request.method == "GET"
    if refusal := _authorize(_READ_LINEITEMS if read else [SCOPE_LINEITEM]):
        return refusal
    url = f"{platform.lineitems_url(context_id)}/{number}"
    current = platform.lineitems.get(url)
    if current is None:
        return _error(404, f"no line item {url}")
    if read:
        return _json(current, MEDIA_LINEITEM)
    if request.method == "DELETE":
        with platform.lock:
            platform.lineitems.pop(url, None)
            platform.results.pop(url, None)
        return Response(status=204)
    body, refusal = _body(MEDIA_LINEITEM)
    if refusal:
        return refusal
    if (reason := validate_lineitem(body)) is not None:
        return _error(400, reason)
    if body.get("id", url) != url:
        return _error(400, "a line item's id cannot change")
    with platform.lock:
        platform.lineitems[url] = {**body, "id": url}
    return _json(platform.lineitems[url], MEDIA_LINEITEM)


def _record_score(platform: PlatformEmulator, url: str, body: dict[str, Any]) -> Response | None:
    user = body["userId"]
    stamp = parse_timestamp(body["timestamp"])
    assert stamp is not None  # validate_score checked it
    with platform.lock:
        last = platform.last_score_at.get((url, user))
        # AGS 2.0 §3.4.5: a score older than the last one must not overwrite it; 409 says so.
        if last is not None and stamp < last:
            return _error(409, f"timestamp {body['timestamp']} is older than the last score")
        platform.last_score_at[(url, user)] = stamp
        record = {"lineitem": url, "body": body, "headers": dict(request.headers)}
        platform.scores.append(record)
        result: dict[str, Any] = {"id": f"{url}/results/{user}", "scoreOf": url, "userId": user}
        if body.get("scoreGiven") is not None:
            # Results are in the line item's scale (AGS 2.0 §3.3), whatever scale the score used.
            item_max = platform.lineitems[url]["scoreMaximum"]
            result["resultScore"] = body["scoreGiven"] / body["scoreMaximum"] * item_max
            result["resultMaximum"] = item_max
        if "comment" in body:
            result["comment"] = body["comment"]
        platform.results.setdefault(url, {})[user] = result
    return None


def _scores(context_id: str, number: int) -> Response:
    platform = current_platform()
    if refusal := _authorize([SCOPE_SCORE]):
        return refusal
    url = f"{platform.lineitems_url(context_id)}/{number}"
    if url not in platform.lineitems:
        return _error(404, f"no line item {url}")
    body, refusal = _body(MEDIA_SCORE)
    if refusal:
        return refusal
    reason = validate_score(body, allow_extra_credit=platform.allow_extra_credit)
    if reason is not None:
        return _error(400, reason)
    return _record_score(platform, url, body) or Response(status=204)


def _results(context_id: str, number: int) -> Response:
    platform = current_platform()
    if refusal := _authorize([SCOPE_RESULT_READONLY]):
        return refusal
    url = f"{platform.lineitems_url(context_id)}/{number}"
    if url not in platform.lineitems:
        return _error(404, f"no line item {url}")
    user = request.args.get("user_id")
    with platform.lock:
        results = [dict(r) for u, r in platform.results.get(url, {}).items() if user in (None, u)]
    return _paged(results, MEDIA_RESULTS)


def _memberships(context_id: str) -> Response:
    platform = current_platform()
    if refusal := _authorize([SCOPE_NRPS]):
        return refusal
    role = request.args.get("role")
    with platform.lock:
        members = [dict(m) for m in platform.members]
    if role:
        # NRPS 2.0 §2.3: a role filter may be a full URI or its short name.
        members = [
            m for m in members if any(r == role or r.endswith("#" + role) for r in m["roles"])
        ]
    context = {"id": context_id, "label": context_id.upper(), "title": f"Course {context_id}"}

    def container(page: list[dict[str, Any]]) -> dict[str, Any]:
        return {"id": request.url, "context": context, "members": page}

    return _paged(members, MEDIA_MEMBERSHIPS, wrap=container)


def register(app: Flask, platform: PlatformEmulator) -> None:
    """Add the AGS and NRPS routes to ``app``."""
    base = "/ags/<context_id>/lineitems"
    app.add_url_rule(base, "lineitems", _lineitems, methods=["GET", "POST"])
    item = base + "/<int:number>"
    app.add_url_rule(item, "lineitem", _lineitem, methods=["GET", "PUT", "DELETE"])
    app.add_url_rule(item + "/scores", "scores", _scores, methods=["POST"])
    app.add_url_rule(item + "/results", "results", _results)
    app.add_url_rule("/nrps/<context_id>/memberships", "memberships", _memberships)
