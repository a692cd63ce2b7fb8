"""Validation of one inbound xAPI statement, under xAPI 1.0.x or 2.0 (xAPI 1.0.3 Data §2.4,
IEEE 9274.1.1 (xAPI 2.0) Part 2 §2.4).

This is our code, not tincan's, because tincan does not fit as a validator:
- its errors name a Python class and attribute, never the path into the batch;
- it coerces instead of refusing: ``mbox: "notmail"`` becomes ``mailto:notmail``, a score
  ``"0.5"`` (a string) becomes 0.5, and snake_case keys (``object_type``,
  ``context_activities``) are taken as if they were the spec's camelCase ones;
- it does not check IRIs, ranges, the one-identifier rule or the interaction tables;
- it knows xAPI 1.0.x only: 2.0's ``contextAgents`` and ``contextGroups`` are unknown
  properties to it, and it cannot tell 1.0.3's timestamps from 2.0's RFC 3339 ones.
tincan is used where it fits: reading ISO 8601 timestamps and durations (see ``values``) and
giving the accepted statement typed objects for the mapping (see ``xapi_batch``).
"""

from __future__ import annotations

import re
from typing import Any, Literal

from attune.gateway.ingest import values as v
from attune.gateway.ingest import xapi_parts as parts
from attune.gateway.ingest.problems import InvalidInputError, index, key

Family = Literal["1.0", "2.0"]
VERB_VOIDED = "http://adlnet.gov/expapi/verbs/voided"

_STATEMENT_KEYS = (
    "id",
    "actor",
    "verb",
    "object",
    "result",
    "context",
    "timestamp",
    "stored",
    "authority",
    "version",
    "attachments",
)
# A SubStatement has no id, stored, version or authority (1.0.3 Data §2.4.4.3).
_SUBSTATEMENT_KEYS = (
    "objectType",
    "actor",
    "verb",
    "object",
    "result",
    "context",
    "timestamp",
    "attachments",
)
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
_VERSION_1 = re.compile(r"^1\.0(?:\.\d+)?$")
_VERSION_2 = re.compile(r"^2\.0\.\d+$")


def check_statement(value: Any, path: str, family: Family) -> dict[str, Any]:
    """The statement, unchanged, or :class:`InvalidInputError` at the first problem."""
    found = v.obj(value, path, _STATEMENT_KEYS, required=("actor", "verb", "object"))
    if "id" in found:
        v.uuid_string(found["id"], key(path, "id"))
    _body(found, path, family, nested=False)
    if "stored" in found:
        v.timestamp(found["stored"], key(path, "stored"), rfc3339=family == "2.0")
    if "authority" in found:
        parts.agent_or_group(found["authority"], key(path, "authority"))
    if "version" in found:
        version = v.string(found["version"], key(path, "version"))
        if not (_VERSION_1.match(version) or (family == "2.0" and _VERSION_2.match(version))):
            allowed = "1.0.x" if family == "1.0" else "1.0.x or 2.0.x"
            raise InvalidInputError(key(path, "version"), f"must be {allowed}, got {version!r}")
    return found


def _body(found: dict[str, Any], path: str, family: Family, *, nested: bool) -> None:
    """What a statement and a SubStatement share: actor, verb, object, result, context,
    timestamp, attachments."""
    parts.agent_or_group(found["actor"], key(path, "actor"))
    verb = v.obj(found["verb"], key(path, "verb"), ("id", "display"), required=("id",))
    verb_id = v.iri(verb["id"], key(path, "verb.id"))
    if "display" in verb:
        parts.language_map(verb["display"], key(path, "verb.display"))
    object_type = _object(found["object"], key(path, "object"), family, nested=nested)
    if verb_id == VERB_VOIDED and object_type != "StatementRef":
        # 1.0.3 Data §2.3.2: a voiding statement's object is a StatementRef.
        raise InvalidInputError(
            key(path, "object.objectType"), "must be StatementRef in a voiding statement"
        )
    if "result" in found:
        _result(found["result"], key(path, "result"))
    if "context" in found:
        _context(found["context"], key(path, "context"), family, object_type)
    if "timestamp" in found:
        v.timestamp(found["timestamp"], key(path, "timestamp"), rfc3339=family == "2.0")
    if "attachments" in found:
        _attachments(found["attachments"], key(path, "attachments"))


def _object(value: Any, path: str, family: Family, *, nested: bool) -> str:
    """Check the statement's object; its objectType (Activity when absent)."""
    if not isinstance(value, dict):
        raise InvalidInputError(path, "must be a JSON object")
    object_type = value.get("objectType", "Activity")
    if object_type == "Activity":
        parts.activity(value, path)
    elif object_type == "Agent":
        parts.agent(value, path)
    elif object_type == "Group":
        parts.group(value, path)
    elif object_type == "StatementRef":
        _statement_ref(value, path)
    elif object_type == "SubStatement" and not nested:
        found = v.obj(value, path, _SUBSTATEMENT_KEYS, required=("actor", "verb", "object"))
        _body(found, path, family, nested=True)
    else:
        allowed = "Activity, Agent, Group or StatementRef"
        raise InvalidInputError(
            key(path, "objectType"),
            f"must be {allowed}{'' if nested else ' or SubStatement'}, got {object_type!r}",
        )
    return str(object_type)


def _statement_ref(value: Any, path: str) -> None:
    found = v.obj(value, path, ("objectType", "id"), required=("objectType", "id"))
    if found["objectType"] != "StatementRef":
        raise InvalidInputError(key(path, "objectType"), "must be StatementRef")
    v.uuid_string(found["id"], key(path, "id"))


def _result(value: Any, path: str) -> None:
    """1.0.3 Data §2.4.5."""
    found = v.obj(
        value, path, ("score", "success", "completion", "response", "duration", "extensions")
    )
    if "score" in found:
        _score(found["score"], key(path, "score"))
    for name in ("success", "completion"):
        if name in found:
            v.boolean(found[name], key(path, name))
    if "response" in found:
        v.string(found["response"], key(path, "response"))
    if "duration" in found:
        v.duration(found["duration"], key(path, "duration"))
    if "extensions" in found:
        parts.extensions(found["extensions"], key(path, "extensions"))


def _score(value: Any, path: str) -> None:
    """1.0.3 Data §2.4.5.1: scaled in [-1, 1]; raw within [min, max]; min below max."""
    found = v.obj(value, path, ("scaled", "raw", "min", "max"))
    numbers = {name: v.number(found[name], key(path, name)) for name in found}
    scaled = numbers.get("scaled")
    if scaled is not None and not -1.0 <= scaled <= 1.0:
        raise InvalidInputError(key(path, "scaled"), f"must be in [-1, 1], got {scaled}")
    low, high, raw = numbers.get("min"), numbers.get("max"), numbers.get("raw")
    if low is not None and high is not None and not low < high:
        raise InvalidInputError(key(path, "max"), f"must be greater than min ({low}), got {high}")
    if raw is not None and low is not None and raw < low:
        raise InvalidInputError(key(path, "raw"), f"must be at least min ({low}), got {raw}")
    if raw is not None and high is not None and raw > high:
        raise InvalidInputError(key(path, "raw"), f"must be at most max ({high}), got {raw}")


def _context(value: Any, path: str, family: Family, object_type: str) -> None:
    """1.0.3 Data §2.4.6, plus 2.0's contextAgents and contextGroups (2.0 Data §2.4.6)."""
    found = v.obj(value, path, _CONTEXT_KEYS_2 if family == "2.0" else _CONTEXT_KEYS)
    if "registration" in found:
        v.uuid_string(found["registration"], key(path, "registration"))
    if "instructor" in found:
        parts.agent_or_group(found["instructor"], key(path, "instructor"))
    if "team" in found:
        parts.group(found["team"], key(path, "team"))
    for name in ("revision", "platform"):
        if name in found:
            v.string(found[name], key(path, name))
            # Only meaningful for an Activity (1.0.3 Data §2.4.6.s4 table, rows 5 and 6).
            if object_type != "Activity":
                raise InvalidInputError(
                    key(path, name), "is only allowed when the object is an Activity"
                )
    if "language" in found:
        parts.language_tag(found["language"], key(path, "language"))
    if "statement" in found:
        _statement_ref(found["statement"], key(path, "statement"))
    if "extensions" in found:
        parts.extensions(found["extensions"], key(path, "extensions"))
    if "contextActivities" in found:
        where = key(path, "contextActivities")
        activities = v.obj(found["contextActivities"], where, _CONTEXT_ACTIVITY_KINDS)
        for kind, listed in activities.items():
            # A single Activity is allowed and means a list of one (1.0.3 Data §2.4.6.2).
            if isinstance(listed, list):
                for n, item in enumerate(listed):
                    parts.activity(item, index(key(where, kind), n))
            else:
                parts.activity(listed, key(where, kind))
    if "contextAgents" in found:
        _relevant(found["contextAgents"], key(path, "contextAgents"), "contextAgent", "agent")
    if "contextGroups" in found:
        _relevant(found["contextGroups"], key(path, "contextGroups"), "contextGroup", "group")


def _relevant(value: Any, path: str, object_type: str, member: str) -> None:
    """xAPI 2.0 contextAgents / contextGroups: {objectType, agent|group, relevantTypes}."""
    for n, entry in enumerate(v.array(value, path)):
        where = index(path, n)
        found = v.obj(
            entry, where, ("objectType", member, "relevantTypes"), required=("objectType", member)
        )
        if found["objectType"] != object_type:
            raise InvalidInputError(key(where, "objectType"), f"must be {object_type}")
        if member == "agent":
            parts.agent(found[member], key(where, member))
        else:
            parts.group(found[member], key(where, member))
        if "relevantTypes" in found:
            types = v.array(found["relevantTypes"], key(where, "relevantTypes"), non_empty=True)
            for m, iri in enumerate(types):
                v.iri(iri, index(key(where, "relevantTypes"), m))


def _attachments(value: Any, path: str) -> None:
    """1.0.3 Data §2.4.11. Only attachments by ``fileUrl``: the raw content of any other
    travels in a multipart/mixed request, which this endpoint does not take."""
    for n, entry in enumerate(v.array(value, path)):
        where = index(path, n)
        found = v.obj(
            entry,
            where,
            ("usageType", "display", "description", "contentType", "length", "sha2", "fileUrl"),
            required=("usageType", "display", "contentType", "length", "sha2"),
        )
        v.iri(found["usageType"], key(where, "usageType"))
        parts.language_map(found["display"], key(where, "display"))
        if "description" in found:
            parts.language_map(found["description"], key(where, "description"))
        v.string(found["contentType"], key(where, "contentType"), non_empty=True)
        length = found["length"]
        if isinstance(length, bool) or not isinstance(length, int) or length < 0:
            raise InvalidInputError(key(where, "length"), "must be a whole number of octets")
        v.string(found["sha2"], key(where, "sha2"), non_empty=True)
        if "fileUrl" not in found:
            raise InvalidInputError(
                key(where, "fileUrl"),
                "is required here: attachment content needs multipart/mixed, "
                "which this endpoint does not accept",
            )
        v.iri(found["fileUrl"], key(where, "fileUrl"))
