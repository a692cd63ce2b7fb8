"""A statement as the LRS keeps it and as it returns it. Pure.

- :func:`as_stored`: the LRS sets ``stored``, sets ``authority`` when the statement has
  none, keeps ``version`` (1.0.0 when absent in 1.0.x, Data §2.4.10) and gives a
  statement without ``timestamp`` the stored time (Data §2.4.7-2.4.9).
- :func:`formatted`: ``format=exact`` as kept; ``ids`` keeps only what identifies each
  Agent, Group, Activity and Verb (an anonymous Group keeps its members' identifiers);
  ``canonical`` reduces every language map to the one language the request prefers
  (Communication §2.1.3, "format"; Accept-Language as in Data §4.1.5's Language Maps).
"""

from __future__ import annotations

import copy
import math
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from attune.gateway.xapi_store.ports import IFIS
from attune.gateway.xapi_store.query import Format

_LANGUAGE_MAPS = ("display", "name", "description")


def iso(epoch: float) -> str:
    """An xAPI timestamp in UTC with milliseconds, e.g. ``2026-11-30T00:43:16.123Z``."""
    millis = math.floor(epoch * 1000 + 1e-3)  # whole milliseconds, robust to float error
    moment = datetime.fromtimestamp(millis // 1000, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{millis % 1000:03d}Z"


def as_stored(
    statement: dict[str, Any], stored: float, authority: dict[str, Any], version: str
) -> dict[str, Any]:
    """The statement with the properties the LRS sets when it stores one."""
    kept = {**statement, "stored": iso(stored)}
    kept.setdefault("authority", authority)
    kept.setdefault("version", version)
    kept.setdefault("timestamp", kept["stored"])
    return kept


def formatted(statement: dict[str, Any], fmt: Format, languages: Sequence[str]) -> dict[str, Any]:
    """``statement`` in the requested format (a copy unless exact)."""
    if fmt == "exact":
        return statement
    found = copy.deepcopy(statement)
    if fmt == "ids":
        _ids(found)
    else:
        _canonical(found, languages)
    return found


def _ids(statement: dict[str, Any]) -> None:
    for name in ("actor", "authority"):
        if name in statement:
            statement[name] = _agent_ids(statement[name])
    if isinstance(statement.get("verb"), dict):
        statement["verb"] = {"id": statement["verb"].get("id")}
    target = statement.get("object")
    if isinstance(target, dict):
        kind = target.get("objectType", "Activity")
        if kind == "Activity":
            statement["object"] = {"objectType": "Activity", "id": target.get("id")}
        elif kind in ("Agent", "Group"):
            statement["object"] = _agent_ids(target)
        elif kind == "SubStatement":
            _ids(target)
    context = statement.get("context")
    if isinstance(context, dict):
        for name in ("instructor", "team"):
            if name in context:
                context[name] = _agent_ids(context[name])
        for kind, found in (context.get("contextActivities") or {}).items():
            listed = found if isinstance(found, list) else [found]
            context["contextActivities"][kind] = [
                {"objectType": "Activity", "id": a.get("id")} for a in listed if isinstance(a, dict)
            ]
        for entry in context.get("contextAgents") or []:
            if isinstance(entry, dict) and "agent" in entry:
                entry["agent"] = _agent_ids(entry["agent"])
        for entry in context.get("contextGroups") or []:
            if isinstance(entry, dict) and "group" in entry:
                entry["group"] = _agent_ids(entry["group"])


def _agent_ids(actor: Any) -> Any:
    if not isinstance(actor, dict):
        return actor
    kept: dict[str, Any] = {k: actor[k] for k in IFIS if k in actor}
    if "objectType" in actor:
        kept["objectType"] = actor["objectType"]
    if actor.get("objectType") == "Group" and not any(k in actor for k in IFIS):
        kept["member"] = [_agent_ids(m) for m in actor.get("member") or []]
    return kept


def _canonical(value: Any, languages: Sequence[str]) -> None:
    """Reduce every language map under ``value`` to one entry, in place."""
    if isinstance(value, list):
        for item in value:
            _canonical(item, languages)
        return
    if not isinstance(value, dict):
        return
    for name, item in value.items():
        if name in _LANGUAGE_MAPS and _is_language_map(item):
            chosen = _best(list(item), languages)
            value[name] = {chosen: item[chosen]}
            continue
        if name != "extensions":
            _canonical(item, languages)


def _is_language_map(value: Any) -> bool:
    return (
        isinstance(value, dict) and bool(value) and all(isinstance(v, str) for v in value.values())
    )


def _best(tags: list[str], languages: Sequence[str]) -> str:
    """The tag the reader prefers: an exact match, then a primary-language match, then
    the first tag given."""
    lowered = {t.lower(): t for t in tags}
    for wanted in languages:
        if wanted.lower() in lowered:
            return lowered[wanted.lower()]
        primary = wanted.lower().split("-")[0]
        for tag in tags:
            if tag.lower().split("-")[0] == primary:
                return tag
    return tags[0]
