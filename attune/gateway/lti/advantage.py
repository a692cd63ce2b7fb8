"""AGS 2.0 and NRPS 2.0 requests over a :class:`CachedTokenConnector`.

- Line items (AGS §3.2): the launch's own ``lineitem`` when the platform gave one (deep
  linking creates it); otherwise one found or created in ``lineitems`` by resource link and tag.
- Scores (AGS §3.4): POSTed to ``<lineitem>/scores`` (the path is appended before any query).
- Memberships (NRPS §2.2): every page, following ``Link: <...>; rel="next"``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from attune.gateway.errors import PlatformError
from attune.gateway.lti import claims
from attune.gateway.lti.services import (
    LINEITEM_TYPE,
    LINEITEMS_TYPE,
    MEMBERSHIP_TYPE,
    SCORE_TYPE,
    CachedTokenConnector,
)

TAG = "attune-mastery"
MAX_PAGES = 100
_NEXT = re.compile(r'<([^>]+)>\s*;\s*rel="?next"?', re.IGNORECASE)


def scores_url(lineitem: str) -> str:
    """``<lineitem>/scores``, keeping the line item's query string (AGS §3.4.1)."""
    parts = urlsplit(lineitem)
    return urlunsplit(parts._replace(path=parts.path.rstrip("/") + "/scores"))


def ensure_lineitem(
    connector: CachedTokenConnector,
    ags: Mapping[str, Any],
    resource_link_id: str,
    label: str,
    score_maximum: float,
) -> str:
    """The line item URL for this resource link, creating it when the platform allows."""
    if ags.get("lineitem"):
        return str(ags["lineitem"])
    container = ags.get("lineitems")
    scopes = ags.get("scope") or []
    if not container:
        raise PlatformError("the launch offers no AGS line item", retryable=False)
    read = [
        claims.SCOPE_LINEITEM if claims.SCOPE_LINEITEM in scopes else claims.SCOPE_LINEITEM_READONLY
    ]
    found = connector.call(
        read,
        "GET",
        _with_query(container, resource_link_id=resource_link_id, tag=TAG),
        accept=LINEITEMS_TYPE,
    ).json()
    for item in found if isinstance(found, list) else []:
        if item.get("resourceLinkId") == resource_link_id and item.get("id"):
            return str(item["id"])
    if claims.SCOPE_LINEITEM not in scopes:
        raise PlatformError("no line item, and the lineitem scope is not granted", retryable=False)
    created = connector.call(
        [claims.SCOPE_LINEITEM],
        "POST",
        container,
        {
            "scoreMaximum": score_maximum,
            "label": label,
            "resourceLinkId": resource_link_id,
            "tag": TAG,
        },
        content_type=LINEITEM_TYPE,
        accept=LINEITEM_TYPE,
    ).json()
    return str(created["id"])


def post_score(connector: CachedTokenConnector, lineitem: str, score: Mapping[str, Any]) -> None:
    """POST one score; :class:`PlatformError` says whether a retry may succeed."""
    connector.call(
        [claims.SCOPE_SCORE], "POST", scores_url(lineitem), dict(score), content_type=SCORE_TYPE
    )


def members(connector: CachedTokenConnector, memberships_url: str) -> list[dict[str, Any]]:
    """The whole roster of a context."""
    roster: list[dict[str, Any]] = []
    url: str | None = memberships_url
    for _ in range(MAX_PAGES):
        if url is None:
            return roster
        response = connector.call([claims.SCOPE_NRPS], "GET", url, accept=MEMBERSHIP_TYPE)
        roster.extend(response.json().get("members", []))
        match = _NEXT.search(response.headers.get("Link", ""))
        url = match.group(1) if match else None
    return roster


def _with_query(url: str, **params: str) -> str:
    from urllib.parse import urlencode

    parts = urlsplit(url)
    query = "&".join(q for q in (parts.query, urlencode(params)) if q)
    return urlunsplit(parts._replace(query=query))
