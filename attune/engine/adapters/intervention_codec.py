"""Compact JSON of an intervention's audit entry and of a class's pins, as the stores keep
them (the learner state's pins and exemption are in codec.py, with the rest of the state).

``intervention_id`` is left out of the entry: a store assigns it where the entry lands in
the tenant's trail, and gives it back on decoding.
"""

from __future__ import annotations

import json
from typing import Any

from attune.engine.domain.interventions import InterventionEntry, Kind, Scope, SkillChange

ENTRY_VERSION = 1


def encode_entry(entry: InterventionEntry) -> str:
    """Serialise an audit entry."""
    body: dict[str, Any] = {
        "v": ENTRY_VERSION,
        "t": entry.tenant,
        "q": entry.request_id,
        "c": entry.course_id,
        "o": entry.scope.value,
        "l": entry.learner_id,
        "k": entry.kind.value,
        "s": entry.skill_id,
        "a": entry.actor,
        "r": entry.reason,
        "at": entry.recorded_at,
        "p": list(entry.pinned),
        "x": int(entry.exempt),
    }
    if entry.change is not None:
        c = entry.change
        body["d"] = [
            c.skill_id,
            c.p_before,
            c.p_after,
            int(c.mastered_before),
            int(c.mastered_after),
            c.attempts_before,
            c.attempts_after,
        ]
    return json.dumps(body, separators=(",", ":"))


def decode_entry(text: str | bytes, intervention_id: int) -> InterventionEntry:
    """Inverse of :func:`encode_entry`, with the id the store gave the entry."""
    body = json.loads(text)
    if body.get("v") != ENTRY_VERSION:
        raise ValueError(f"unknown intervention entry version {body.get('v')!r}")
    d = body.get("d")
    change = (
        SkillChange(d[0], d[1], d[2], bool(d[3]), bool(d[4]), d[5], d[6]) if d is not None else None
    )
    return InterventionEntry(
        tenant=body["t"],
        request_id=body["q"],
        course_id=body["c"],
        scope=Scope(body["o"]),
        learner_id=body["l"],
        kind=Kind(body["k"]),
        skill_id=body["s"],
        actor=body["a"],
        reason=body["r"],
        recorded_at=body["at"],
        change=change,
        pinned=tuple(body["p"]),
        exempt=bool(body["x"]),
        intervention_id=intervention_id,
    )


def encode_pins(skills: tuple[str, ...]) -> str:
    """A class's pinned skills."""
    return json.dumps(list(skills), separators=(",", ":"))


def decode_pins(text: str | bytes) -> tuple[str, ...]:
    """Inverse of :func:`encode_pins`."""
    return tuple(json.loads(text))
