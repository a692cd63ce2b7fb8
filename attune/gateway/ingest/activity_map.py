"""Which course item an inbound activity id is: a tenant's configured map first, then our own
item IRIs (``{activity_base}/courses/{course}/items/{item}``, as ``gateway.statements.iris``
builds them), which map back without configuration."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from attune.gateway.ingest import values as v
from attune.gateway.ingest.problems import InvalidInputError

MAX_ENTRIES = 10_000
MAX_ID_LEN = 200  # the engine's limit on course and item ids


@dataclass(frozen=True, slots=True)
class ItemRef:
    """One item of one course."""

    course_id: str
    item_id: str


def parse_activity_map(body: Any) -> dict[str, ItemRef]:
    """``{"<activity IRI>": {"course_id": ..., "item_id": ...}, ...}`` from the admin API."""
    if not isinstance(body, dict):
        raise InvalidInputError("body", "must be a JSON object of activity IRI -> item")
    if len(body) > MAX_ENTRIES:
        raise InvalidInputError("body", f"has {len(body)} entries; at most {MAX_ENTRIES}")
    mapping: dict[str, ItemRef] = {}
    for activity, target in body.items():
        path = f"[{json.dumps(activity)}]"
        v.iri(activity, path)
        found = v.obj(target, path, ("course_id", "item_id"), required=("course_id", "item_id"))
        ids = []
        for name in ("course_id", "item_id"):
            value = v.string(found[name], f"{path}.{name}", non_empty=True)
            if len(value) > MAX_ID_LEN:
                raise InvalidInputError(
                    f"{path}.{name}", f"must be at most {MAX_ID_LEN} characters"
                )
            ids.append(value)
        mapping[activity] = ItemRef(*ids)
    return mapping


def activity_map_json(mapping: Mapping[str, ItemRef]) -> dict[str, dict[str, str]]:
    """The stored/JSON form, the same shape the admin API takes."""
    return {
        activity: {"course_id": ref.course_id, "item_id": ref.item_id}
        for activity, ref in sorted(mapping.items())
    }


def own_item(activity: str, bases: Iterable[str]) -> ItemRef | None:
    """The item an IRI of ours names, or ``None``.

    Our builder percent-encodes each id as one path segment, so an IRI of ours has exactly
    ``courses/<segment>/items/<segment>`` after the base, and no raw ``?`` or ``#``.
    """
    for base in bases:
        prefix = base.rstrip("/") + "/courses/"
        if not activity.startswith(prefix):
            continue
        rest = activity[len(prefix) :]
        if "?" in rest or "#" in rest:
            return None
        segments = rest.split("/")
        if len(segments) != 3 or segments[1] != "items" or not segments[0] or not segments[2]:
            return None
        try:
            course_id = unquote(segments[0], errors="strict")
            item_id = unquote(segments[2], errors="strict")
        except UnicodeDecodeError:
            return None
        return ItemRef(course_id, item_id)
    return None


def resolve(activity: str, mapping: Mapping[str, ItemRef], bases: Iterable[str]) -> ItemRef | None:
    """The configured item for ``activity``, else the one our own IRI names, else ``None``."""
    return mapping.get(activity) or own_item(activity, bases)
