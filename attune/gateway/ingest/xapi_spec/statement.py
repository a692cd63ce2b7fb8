"""A whole statement and a SubStatement: verb, object, timestamps, authority, version and
attachments (xAPI 1.0.3 Data §2.4, §2.6; 2.0.0 the same, with RFC 3339 timestamps)."""

from __future__ import annotations

import re
from typing import Any

from attune.gateway.ingest import values as v
from attune.gateway.ingest.problems import index, key
from attune.gateway.ingest.xapi_spec.activities import activity
from attune.gateway.ingest.xapi_spec.actors import actor, agent, group, language_map
from attune.gateway.ingest.xapi_spec.context import context, result, statement_ref
from attune.gateway.ingest.xapi_spec.report import Report
from attune.gateway.xapi_store.ports import IFIS, VOIDED_VERB

SIGNATURE = "http://adlnet.gov/expapi/attachments/signature"
_COMMON = ("actor", "verb", "object", "result", "context", "timestamp", "attachments")
_STATEMENT_KEYS = ("id", *_COMMON, "stored", "authority", "version")
_SUB_FORBIDDEN = ("id", "stored", "version", "authority")
_ATTACHMENT_KEYS = (
    "usageType",
    "display",
    "description",
    "contentType",
    "length",
    "sha2",
    "fileUrl",
)
_VERSION_1 = re.compile(r"^1\.0(?:\.\d+)?$")
_VERSION_2 = re.compile(r"^2\.0(?:\.\d+)?$")
_SHA2 = re.compile(r"^(?:[0-9a-fA-F]{56}|[0-9a-fA-F]{64}|[0-9a-fA-F]{96}|[0-9a-fA-F]{128})$")
OBJECT_TYPES = ("Activity", "Agent", "Group", "StatementRef", "SubStatement")


def statement(r: Report, value: Any, path: str) -> None:
    """A statement (1.0.3 Data §2.4)."""
    found = r.fields(value, path, _STATEMENT_KEYS, required=("actor", "verb", "object"))
    if found is None:
        return
    if "id" in found:
        r.value("statement.id", v.uuid_string, found["id"], key(path, "id"))
    _body(r, found, path, nested=False)
    if "stored" in found:
        _timestamp(r, found["stored"], key(path, "stored"))
    if "authority" in found:
        _authority(r, found["authority"], key(path, "authority"))
    if "version" in found:
        _version(r, found["version"], key(path, "version"))


def _body(r: Report, found: dict[str, Any], path: str, *, nested: bool) -> None:
    """What a statement and a SubStatement share."""
    if "actor" in found:
        actor(r, found["actor"], key(path, "actor"))
    verb_id = _verb(r, found["verb"], key(path, "verb")) if "verb" in found else None
    object_type = None
    if "object" in found:
        object_type = _object(r, found["object"], key(path, "object"), nested=nested)
        if verb_id == VOIDED_VERB and object_type != "StatementRef":
            # 1.0.3 Data §2.3.2.s2.b1: a voiding statement's object is a StatementRef.
            r.add(
                key(path, "object.objectType"),
                "voiding",
                "must be StatementRef in a voiding statement",
            )
    if "result" in found:
        result(r, found["result"], key(path, "result"))
    if "context" in found:
        context(r, found["context"], key(path, "context"), object_type)
    if "timestamp" in found:
        _timestamp(r, found["timestamp"], key(path, "timestamp"))
    if "attachments" in found:
        attachments(r, found["attachments"], key(path, "attachments"))


def _verb(r: Report, value: Any, path: str) -> str | None:
    """1.0.3 Data §2.4.3: an IRI id, an optional display language map."""
    found = r.fields(value, path, ("id", "display"), required=("id",))
    if found is None:
        return None
    if "display" in found:
        language_map(r, found["display"], key(path, "display"))
    return r.value("verb", v.iri, found["id"], key(path, "id")) if "id" in found else None


def _object(r: Report, value: Any, path: str, *, nested: bool) -> str | None:
    """The object and its objectType (Activity when absent, 1.0.3 Data §2.4.4)."""
    if not isinstance(value, dict):
        r.add(path, "json.object", "must be a JSON object")
        return None
    object_type = value.get("objectType", "Activity")
    if "objectType" not in value and "id" not in value and any(n in value for n in IFIS):
        # An Agent or Group as the object states its objectType (1.0.3 Data §2.4.4.2).
        r.add(key(path, "objectType"), "object.agent", "is required for an Agent or Group")
        return None
    if object_type == "Activity":
        activity(r, value, path)
    elif object_type == "Agent":
        agent(r, value, path)  # the object states objectType (§2.4.4.2): it did
    elif object_type == "Group":
        group(r, value, path)
    elif object_type == "StatementRef":
        statement_ref(r, value, path)
    elif object_type == "SubStatement" and not nested:
        _substatement(r, value, path)
    elif object_type == "SubStatement":
        r.add(key(path, "objectType"), "substatement.nested", "a SubStatement cannot nest one")
        return None
    else:
        r.add(key(path, "objectType"), "object.type", f"must be one of {', '.join(OBJECT_TYPES)}")
        return None
    return str(object_type)


def _substatement(r: Report, value: dict[str, Any], path: str) -> None:
    """1.0.3 Data §2.4.4.3: a statement without id, stored, version or authority."""
    for name in _SUB_FORBIDDEN:
        if name in value:
            r.add(key(path, name), "substatement.forbidden", "is not allowed in a SubStatement")
    allowed = ("objectType", *_COMMON, *_SUB_FORBIDDEN)
    found = r.fields(value, path, allowed, required=("actor", "verb", "object"))
    if found is not None:
        _body(r, {k: x for k, x in found.items() if k not in _SUB_FORBIDDEN}, path, nested=True)


def _timestamp(r: Report, value: Any, path: str) -> None:
    """1.0.3 Data §4.5: ISO 8601; 2.0.0: RFC 3339 with an offset."""
    rule = "timestamp.rfc3339" if r.v2 else "timestamp"
    r.value(rule, lambda x, p: v.timestamp(x, p, rfc3339=r.v2), value, path)


def _authority(r: Report, value: Any, path: str) -> None:
    """1.0.3 Data §2.4.9: an Agent, or (three-legged OAuth) an anonymous Group of exactly two
    Agents, the consumer and the user."""
    if not (isinstance(value, dict) and value.get("objectType") == "Group"):
        agent(r, value, path)
        return
    found = group(r, value, path)
    if found is None:
        return
    if any(name in found for name in IFIS):
        r.add(path, "authority", "a Group authority is anonymous (no identifier)")
    members = found.get("member")
    if isinstance(members, list) and len(members) != 2:
        r.add(key(path, "member"), "authority", f"must list exactly two Agents, got {len(members)}")


def _version(r: Report, value: Any, path: str) -> None:
    """1.0.3 Data §2.4.10: 1.0.x; under 2.0.0, 1.0.x or 2.0.x."""
    if not isinstance(value, str):
        r.add(path, "version", "must be a string")
    elif not (_VERSION_1.match(value) or (r.v2 and _VERSION_2.match(value))):
        allowed = "1.0.x or 2.0.x" if r.v2 else "1.0.x"
        r.add(path, "version", f"must be {allowed}, got {value!r}")


def attachments(r: Report, value: Any, path: str) -> None:
    """1.0.3 Data §2.4.11 (and §2.6 for the signature's content type)."""
    for n, entry in enumerate(r.items(value, path)):
        where = index(path, n)
        required = ("usageType", "display", "contentType", "length", "sha2")
        found = r.fields(entry, where, _ATTACHMENT_KEYS, required=required)
        if found is None:
            continue
        if "usageType" in found:
            r.value("attachment", v.iri, found["usageType"], key(where, "usageType"))
        for name in ("display", "description"):
            if name in found:
                language_map(r, found[name], key(where, name))
        content_type = found.get("contentType")
        if "contentType" in found and (
            not isinstance(content_type, str) or "/" not in content_type
        ):
            r.add(key(where, "contentType"), "attachment", "must be an Internet Media Type")
        if found.get("usageType") == SIGNATURE and content_type not in (
            None,
            "application/octet-stream",
        ):
            r.add(
                key(where, "contentType"),
                "signature.contentType",
                "must be application/octet-stream",
            )
        length = found.get("length")
        if "length" in found and (
            isinstance(length, bool) or not isinstance(length, int) or length < 0
        ):
            r.add(key(where, "length"), "attachment.length", "must be a whole number of octets")
        sha2 = found.get("sha2")
        if "sha2" in found and (not isinstance(sha2, str) or not _SHA2.match(sha2)):
            r.add(key(where, "sha2"), "attachment.sha2", "must be a hex SHA-224/256/384/512 digest")
        if "fileUrl" in found:
            r.value("attachment", v.iri, found["fileUrl"], key(where, "fileUrl"))
