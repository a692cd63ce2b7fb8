"""Result and Context (xAPI 1.0.3 Data §2.4.5, §2.4.6; 2.0.0 adds contextAgents and
contextGroups to the Context, in a SubStatement too)."""

from __future__ import annotations

from typing import Any

from attune.gateway.ingest import values as v
from attune.gateway.ingest.problems import index, key
from attune.gateway.ingest.xapi_spec.activities import activity
from attune.gateway.ingest.xapi_spec.actors import actor, agent, extensions, group, language_tag
from attune.gateway.ingest.xapi_spec.report import Report

_RESULT_KEYS = ("score", "success", "completion", "response", "duration", "extensions")
_CONTEXT_KEYS = (
    "registration",
    "instructor",
    "team",
    "contextActivities",
    "revision",
    "platform",
    "language",
    "statement",
    "extensions",
)
_CONTEXT_KEYS_2 = (*_CONTEXT_KEYS, "contextAgents", "contextGroups")
_CONTEXT_ACTIVITY_KINDS = ("parent", "grouping", "category", "other")


def result(r: Report, value: Any, path: str) -> None:
    """1.0.3 Data §2.4.5."""
    found = r.fields(value, path, _RESULT_KEYS)
    if found is None:
        return
    if "score" in found:
        _score(r, found["score"], key(path, "score"))
    for name in ("success", "completion"):
        if name in found:
            r.value("json.boolean", v.boolean, found[name], key(path, name))
    if "response" in found:
        r.value("json.string", v.string, found["response"], key(path, "response"))
    if "duration" in found:
        r.value("duration", v.duration, found["duration"], key(path, "duration"))
    if "extensions" in found:
        extensions(r, found["extensions"], key(path, "extensions"))


def _score(r: Report, value: Any, path: str) -> None:
    """1.0.3 Data §2.4.5.1: scaled in [-1, 1]; min below max; raw within [min, max]."""
    found = r.fields(value, path, ("scaled", "raw", "min", "max"))
    if found is None:
        return
    numbers = {
        name: r.value("json.number", v.number, item, key(path, name))
        for name, item in found.items()
    }
    scaled = numbers.get("scaled")
    if scaled is not None and not -1.0 <= scaled <= 1.0:
        r.add(key(path, "scaled"), "score.scaled", f"must be in [-1, 1], got {scaled}")
    low, high, raw = numbers.get("min"), numbers.get("max"), numbers.get("raw")
    if low is not None and high is not None and not low < high:
        r.add(key(path, "max"), "score.range", f"must be greater than min ({low}), got {high}")
    if raw is not None and low is not None and raw < low:
        r.add(key(path, "raw"), "score.range", f"must be at least min ({low}), got {raw}")
    if raw is not None and high is not None and raw > high:
        r.add(key(path, "raw"), "score.range", f"must be at most max ({high}), got {raw}")


def context(r: Report, value: Any, path: str, object_type: str | None) -> None:
    """1.0.3 Data §2.4.6, plus 2.0.0's contextAgents and contextGroups."""
    found = r.fields(value, path, _CONTEXT_KEYS_2 if r.v2 else _CONTEXT_KEYS)
    if found is None:
        return
    if "registration" in found:
        r.value("uuid", v.uuid_string, found["registration"], key(path, "registration"))
    if "instructor" in found:
        actor(r, found["instructor"], key(path, "instructor"))
    if "team" in found:
        team = found["team"]
        if isinstance(team, dict) and team.get("objectType") != "Group":
            r.add(key(path, "team.objectType"), "context.team", "must be Group")
        else:
            group(r, team, key(path, "team"))
    for name in ("revision", "platform"):
        if name in found:
            r.value("json.string", v.string, found[name], key(path, name))
            # The Context table: "only used if the Statement's Object is an Activity".
            if object_type not in (None, "Activity"):
                r.add(
                    key(path, name),
                    "context.activity-only",
                    "is only allowed when the object is an Activity",
                )
    if "language" in found:
        language_tag(r, found["language"], key(path, "language"))
    if "statement" in found:
        statement_ref(r, found["statement"], key(path, "statement"))
    if "extensions" in found:
        extensions(r, found["extensions"], key(path, "extensions"))
    if "contextActivities" in found:
        _context_activities(r, found["contextActivities"], key(path, "contextActivities"))
    if "contextAgents" in found:
        _relevant(r, found["contextAgents"], key(path, "contextAgents"), "agent")
    if "contextGroups" in found:
        _relevant(r, found["contextGroups"], key(path, "contextGroups"), "group")


def statement_ref(r: Report, value: Any, path: str) -> None:
    """1.0.3 Data §2.4.4.3: objectType StatementRef and a UUID id, both required."""
    found = r.fields(value, path, ("objectType", "id"), required=("objectType", "id"))
    if found is None:
        return
    if "objectType" in found and found["objectType"] != "StatementRef":
        r.add(key(path, "objectType"), "statementref", "must be StatementRef")
    if "id" in found:
        r.value("uuid", v.uuid_string, found["id"], key(path, "id"))


def _context_activities(r: Report, value: Any, path: str) -> None:
    """1.0.3 Data §2.4.6.2: each kind is an Activity or an array of them (a single Activity
    means an array of one)."""
    found = r.fields(value, path, _CONTEXT_ACTIVITY_KINDS)
    for kind, listed in (found or {}).items():
        if isinstance(listed, list):
            for n, item in enumerate(listed):
                activity(r, item, index(key(path, kind), n))
        elif isinstance(listed, dict):
            activity(r, listed, key(path, kind))
        else:
            r.add(key(path, kind), "context.activities", "must be an Activity or an array of them")


def _relevant(r: Report, value: Any, path: str, member: str) -> None:
    """2.0.0 Context Agents / Context Groups tables: {objectType, agent|group,
    relevantTypes}, objectType ``contextAgent`` / ``contextGroup``."""
    rule = "context.agents" if member == "agent" else "context.groups"
    object_type = "contextAgent" if member == "agent" else "contextGroup"
    for n, entry in enumerate(r.items(value, path)):
        where = index(path, n)
        found = r.fields(
            entry, where, ("objectType", member, "relevantTypes"), required=("objectType", member)
        )
        if found is None:
            continue
        if "objectType" in found and found["objectType"] != object_type:
            r.add(key(where, "objectType"), rule, f"must be {object_type}")
        if member in found:
            if member == "agent":
                agent(r, found[member], key(where, member))
            else:
                group(r, found[member], key(where, member))
        if "relevantTypes" in found:
            types_path = key(where, "relevantTypes")
            listed = r.items(found["relevantTypes"], types_path, non_empty=True)
            for m, iri in enumerate(listed):
                r.value("context.relevant-types", v.iri, iri, index(types_path, m))
