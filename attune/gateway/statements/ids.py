"""Deterministic statement and event ids: the same engine event always gets the same id.

A retry after a timeout re-sends a statement the LRS may already hold. Because the id is a
UUIDv5 (RFC 4122 §4.3) of what the statement is about, the LRS sees an id it already has and
must not change its state (xAPI 1.0.3 Communication §2.1, PUT and POST; it answers 409 if the
content differs), instead of storing a second, random-id copy that no one can tell apart.
"""

from __future__ import annotations

import json
import uuid
from typing import Literal

from attune.gateway.statements.events import LearningEvent

# Our namespace for name-based ids. Fixed forever: changing it would re-number every
# statement and break the deduplication of anything still queued.
ATTUNE_STATEMENT_NAMESPACE = uuid.UUID("ea0a16ba-63d1-401b-acfc-db4b8a6974a4")

TargetFormat = Literal["xapi", "caliper"]


def statement_uuid(
    tenant: str, event_id: str, kind: str, target: TargetFormat, qualifier: str = ""
) -> uuid.UUID:
    """UUIDv5 of (tenant, event id, kind, target format, qualifier).

    The name is a JSON array, not a joined string, so that no two different tuples can
    produce the same name ("a:b" + "c" versus "a" + "b:c"). The tenant is part of it because
    event ids are only unique within a tenant. The target format is part of it so that an
    xAPI statement and a Caliper event about the same fact never share an id.
    """
    name = json.dumps([tenant, event_id, kind, target, qualifier], ensure_ascii=False)
    return uuid.uuid5(ATTUNE_STATEMENT_NAMESPACE, name)


def _qualifier(event: LearningEvent) -> str:
    # One response can master several skills: one statement each, told apart by skill.
    return event.mastered_skill


def xapi_statement_id(event: LearningEvent) -> str:
    """The xAPI statement id, in standard string form (xAPI 1.0.3 Data §2.4.1)."""
    return str(statement_uuid(event.tenant, event.event_id, event.kind, "xapi", _qualifier(event)))


def caliper_event_id(event: LearningEvent) -> str:
    """The Caliper event id as ``urn:uuid:<UUID>`` (Caliper 1.2 §4.2: Event ``id``)."""
    value = statement_uuid(event.tenant, event.event_id, event.kind, "caliper", _qualifier(event))
    return value.urn
