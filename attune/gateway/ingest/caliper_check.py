"""Validation of an inbound IMS Caliper 1.2 envelope and the events in it.

The envelope (Caliper 1.2 §5.2) has exactly ``sensor``, ``sendTime``, ``dataVersion`` and
``data``, all required (400 naming the one missing). A ``dataVersion`` that is a string but
not the 1.2 context is a version this endpoint does not support: 422
(:class:`UnsupportedDataVersionError`, Caliper 1.2 §6.1; a body that is not JSON is 415 in
the route). Its data is events and, optionally, entity descriptions (the spec's own
"mixed batch" example): an item whose ``type`` ends in ``Event`` is an event, anything else
an entity. An event (§4.2) has ``@context``, a ``urn:uuid:`` id, ``type``, ``actor``,
``action`` (from the §B action vocabulary), ``object`` and ``eventTime``; entities may be
full objects or, "thinned", just their IRI. Caliper is JSON-LD and the IMS schemas allow
further properties, so unknown keys are not refused here; the properties the mapping reads
(scores, durations, attempts, times) are type-checked wherever they appear.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from dataclasses import dataclass
from typing import Any

from attune.gateway.errors import GatewayError
from attune.gateway.ingest import values as v
from attune.gateway.ingest.problems import InvalidInputError, index, key
from attune.gateway.ingest.window import occurred_at

CALIPER_CONTEXT = "http://purl.imsglobal.org/ctx/caliper/v1p2"
# Caliper 1.2 Appendix B, the action vocabulary.
ACTIONS = frozenset(
    [
        "Abandoned",
        "Accepted",
        "Activated",
        "Added",
        "Archived",
        "Attached",
        "Bookmarked",
        "ChangedResolution",
        "ChangedSize",
        "ChangedSpeed",
        "ChangedVolume",
        "Classified",
        "ClosedPopout",
        "Commented",
        "Completed",
        "Copied",
        "Created",
        "Deactivated",
        "Declined",
        "Deleted",
        "Described",
        "DisabledClosedCaptioning",
        "Disliked",
        "Downloaded",
        "EnabledClosedCaptioning",
        "Ended",
        "EnteredFullScreen",
        "ExitedFullScreen",
        "ForwardedTo",
        "Graded",
        "Hid",
        "Highlighted",
        "Identified",
        "JumpedTo",
        "Launched",
        "Liked",
        "Linked",
        "LoggedIn",
        "LoggedOut",
        "MarkedAsRead",
        "MarkedAsUnread",
        "Modified",
        "Muted",
        "NavigatedTo",
        "OpenedPopout",
        "OptedIn",
        "OptedOut",
        "Paused",
        "Posted",
        "Printed",
        "Published",
        "Questioned",
        "Ranked",
        "Recommended",
        "Removed",
        "Reset",
        "Restarted",
        "Restored",
        "Resumed",
        "Retrieved",
        "Returned",
        "Reviewed",
        "Rewound",
        "Saved",
        "Searched",
        "Sent",
        "Shared",
        "Showed",
        "Skipped",
        "Started",
        "Submitted",
        "Subscribed",
        "Tagged",
        "TimedOut",
        "Unmuted",
        "Unpublished",
        "Unsubscribed",
        "Uploaded",
        "Used",
        "Viewed",
    ]
)
_EVENT_TYPE = re.compile(r"^(?:[A-Z][A-Za-z]*)?Event$")
_CALIPER_CONTEXTS = "http://purl.imsglobal.org/ctx/caliper/"
_EVENT_ENTITIES = (
    "edApp",
    "generated",
    "target",
    "referrer",
    "group",
    "membership",
    "session",
    "federatedSession",
)
_ENTITY_LINKS = ("assignee", "assignable", "attempt", "isPartOf", "scoredBy", "member")
_ENTITY_NUMBERS = ("scoreGiven", "maxScore", "resultScore", "maxResultScore", "count")
_ENTITY_TIMES = ("startedAtTime", "endedAtTime", "dateCreated", "dateModified")


class UnsupportedDataVersionError(GatewayError):
    """An envelope of another Caliper version (Caliper 1.2 §6.1: 422 Unprocessable Entity)."""

    status = 422
    error = "unsupported_data_version"


@dataclass(frozen=True, slots=True)
class CaliperEvent:
    """One valid event; ``event_id`` is ``urn:uuid:`` and the UUID in lower case."""

    path: str
    event_id: str
    body: dict[str, Any]
    occurred_at: float
    fingerprint: str


@dataclass(frozen=True, slots=True)
class CaliperEnvelope:
    sensor: str
    events: list[CaliperEvent]
    entities: int  # entity descriptions carried along; nothing to apply


def parse_envelope(body: Any, now: float | None = None) -> CaliperEnvelope:
    """The envelope's events, or :class:`InvalidInputError` at the first problem. An
    ``eventTime`` must lie in the engine's window around ``now`` (default: the clock)."""
    at = time.time() if now is None else now
    found = v.obj(
        body,
        "",
        ("sensor", "sendTime", "dataVersion", "data"),
        required=("sensor", "sendTime", "dataVersion", "data"),
    )
    sensor = v.iri(found["sensor"], "sensor")
    v.timestamp(found["sendTime"], "sendTime", rfc3339=True)
    data_version = v.string(found["dataVersion"], "dataVersion", non_empty=True)
    if data_version != CALIPER_CONTEXT:
        raise UnsupportedDataVersionError(
            f"dataVersion: {data_version!r} is not supported; this endpoint takes "
            f"{CALIPER_CONTEXT} (see GET /caliper)"
        )
    events: list[CaliperEvent] = []
    entities = 0
    first: dict[str, str] = {}
    for n, item in enumerate(v.array(found["data"], "data", non_empty=True)):
        path = index("data", n)
        if (
            isinstance(item, dict)
            and isinstance(item.get("type"), str)
            and _EVENT_TYPE.match(item["type"])
        ):
            event = _event(item, path, at)
            earlier = first.setdefault(event.event_id, path)
            if earlier != path:
                raise InvalidInputError(key(path, "id"), f"repeats the id of {earlier}")
            events.append(event)
        else:
            entity(item, path)
            entities += 1
    return CaliperEnvelope(sensor=sensor, events=events, entities=entities)


def _event(found: dict[str, Any], path: str, now: float) -> CaliperEvent:
    for name in ("@context", "id", "type", "actor", "action", "object", "eventTime"):
        if name not in found:
            raise InvalidInputError(key(path, name), "is required")
    for name, item in found.items():
        if item is None:
            raise InvalidInputError(key(path, name), "must not be null")
    _context(found["@context"], key(path, "@context"))
    event_id = v.string(found["id"], key(path, "id"))
    if event_id[:9].lower() != "urn:uuid:":
        raise InvalidInputError(key(path, "id"), "must be urn:uuid:<UUID>")
    uuid = v.uuid_string(event_id[9:], key(path, "id"))
    action = v.string(found["action"], key(path, "action"))
    if action not in ACTIONS:
        raise InvalidInputError(key(path, "action"), f"is not a Caliper 1.2 action: {action!r}")
    if "profile" in found:
        v.string(found["profile"], key(path, "profile"), non_empty=True)
    entity(found["actor"], key(path, "actor"))
    entity(found["object"], key(path, "object"))
    for name in _EVENT_ENTITIES:
        if name in found:
            entity(found[name], key(path, name))
    if "extensions" in found and not isinstance(found["extensions"], dict):
        raise InvalidInputError(key(path, "extensions"), "must be an object")
    where = key(path, "eventTime")
    occurred = occurred_at(v.timestamp(found["eventTime"], where, rfc3339=True), where, now)
    text = json.dumps(found, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return CaliperEvent(
        path=path,
        event_id=f"urn:uuid:{uuid}",
        body=found,
        occurred_at=occurred,
        fingerprint=hashlib.sha256(text.encode()).hexdigest(),
    )


def _context(value: Any, path: str) -> None:
    """The 1.2 context: its IRI, an inline JSON-LD context object, or an array with either
    (the spec's "context array" and "inline context" examples). Another Caliper version's
    context is refused: the envelope said 1.2."""
    contexts = value if isinstance(value, list) else [value]
    for n, item in enumerate(contexts):
        where = index(path, n) if isinstance(value, list) else path
        if not isinstance(item, str | dict):
            raise InvalidInputError(where, "must be an IRI or an object")
        if isinstance(item, str) and item.startswith(_CALIPER_CONTEXTS) and item != CALIPER_CONTEXT:
            raise InvalidInputError(where, f"must be {CALIPER_CONTEXT}, got {item!r}")
    if not any(item == CALIPER_CONTEXT or isinstance(item, dict) for item in contexts):
        raise InvalidInputError(path, f"must be (or include) {CALIPER_CONTEXT}")


def entity(value: Any, path: str) -> None:
    """An entity: an object with an IRI ``id`` and a ``type``, or just its IRI."""
    if isinstance(value, str):
        v.iri(value, path)
        return
    if not isinstance(value, dict):
        raise InvalidInputError(path, "must be an entity (an object with id and type) or an IRI")
    for name in ("id", "type"):
        if name not in value:
            raise InvalidInputError(key(path, name), "is required")
    v.iri(value["id"], key(path, "id"))
    v.string(value["type"], key(path, "type"), non_empty=True)
    for name in _ENTITY_LINKS:
        if name in value:
            linked = value[name]
            if isinstance(linked, list):
                for n, item in enumerate(linked):
                    entity(item, index(key(path, name), n))
            else:
                entity(linked, key(path, name))
    for name in _ENTITY_NUMBERS:
        if name in value:
            v.number(value[name], key(path, name))
    for name in _ENTITY_TIMES:
        if name in value:
            v.timestamp(value[name], key(path, name), rfc3339=True)
    if "duration" in value:
        v.duration(value["duration"], key(path, "duration"))
    if isinstance(value.get("score"), dict):
        # Not a 1.2 property, but some sensors put the Score inside the Response.
        for name in _ENTITY_NUMBERS:
            if name in value["score"]:
                v.number(value["score"][name], key(key(path, "score"), name))
