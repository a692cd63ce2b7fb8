"""Whether two statements with the same id are "the same statement" (xAPI 1.0.3 Data §2.3.1,
Statement Comparison Requirements).

An LRS that receives an id it already holds must not change anything, and SHOULD answer 409
Conflict when the content differs (Communication §2.1.1, §2.1.2). "Differs" ignores what the
spec lists as exceptions to immutability: the properties an LRS may assign (id, authority,
stored, version), how a timestamp is serialised (only the instant counts, to the
millisecond), Activity definitions and verb displays (not part of the statement), the order
of a Group's members, attachments, and the case of case-insensitive values (UUIDs, the domain
of an email address). Everything else counts, the duration string included (§2.3.1.b8).

The comparison is by fingerprint, a SHA-256 of the canonical form, so that only the
fingerprint needs to be remembered per statement id.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from attune.gateway.ingest import values as v

_ASSIGNED_BY_LRS = ("id", "authority", "stored", "version", "attachments")


def fingerprint(statement: dict[str, Any]) -> str:
    """SHA-256 (hex) of the canonical form of a statement that passed validation."""
    canonical = _statement(statement)
    text = json.dumps(canonical, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def _statement(found: dict[str, Any]) -> dict[str, Any]:
    out = {k: val for k, val in found.items() if k not in _ASSIGNED_BY_LRS}
    out["actor"] = _actor(found["actor"])
    out["verb"] = {"id": found["verb"]["id"]}
    out["object"] = _object(found["object"])
    if "context" in found:
        out["context"] = _context(found["context"])
    if "timestamp" in found:
        out["timestamp"] = instant(found["timestamp"])
    return out


def instant(text: str) -> str:
    """A timestamp as its instant in UTC, to the millisecond (1.0.3 Data §4.5 lets an LRS
    truncate to milliseconds, and return another zone)."""
    moment = v.timestamp(text, "timestamp", rfc3339=False)
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{moment.microsecond // 1000:03d}Z"


def _actor(found: dict[str, Any]) -> dict[str, Any]:
    out = dict(found)
    out.setdefault("objectType", "Agent")
    if "mbox" in out:
        local, _, domain = out["mbox"].partition("@")
        out["mbox"] = f"{local}@{domain.lower()}"
    if "mbox_sha1sum" in out:
        out["mbox_sha1sum"] = out["mbox_sha1sum"].lower()
    if "member" in out:
        members = [_actor(m) for m in out["member"]]
        out["member"] = sorted(members, key=lambda m: json.dumps(m, sort_keys=True))
    return out


def _activity(found: dict[str, Any]) -> dict[str, Any]:
    return {"objectType": "Activity", "id": found["id"]}


def _object(found: dict[str, Any]) -> dict[str, Any]:
    kind = found.get("objectType", "Activity")
    if kind == "Activity":
        return _activity(found)
    if kind == "StatementRef":
        return {"objectType": kind, "id": found["id"].lower()}
    if kind == "SubStatement":
        return {**_statement(found), "objectType": kind}
    return _actor(found)


def _context(found: dict[str, Any]) -> dict[str, Any]:
    out = dict(found)
    if "registration" in out:
        out["registration"] = out["registration"].lower()
    for name in ("instructor", "team"):
        if name in out:
            out[name] = _actor(out[name])
    if "statement" in out:
        out["statement"] = _object(out["statement"])
    if "contextActivities" in out:
        out["contextActivities"] = {
            kind: [_activity(a) for a in (listed if isinstance(listed, list) else [listed])]
            for kind, listed in out["contextActivities"].items()
        }
    if "contextAgents" in out:
        out["contextAgents"] = [{**e, "agent": _actor(e["agent"])} for e in out["contextAgents"]]
    if "contextGroups" in out:
        out["contextGroups"] = [{**e, "group": _actor(e["group"])} for e in out["contextGroups"]]
    return out
