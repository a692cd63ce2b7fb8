"""The BKT parameter artifact that ``attune models fit-bkt`` writes, and how a course loads it.

Shape (version 1)::

    {"kind": "bkt-params", "version": 1,
     "source": {"kind": "kt-dataset" | "event-log", "path": str, "sha256": str,
                "responses": int, "rows": int, "learners": int, ...},
     "fitted_with": "pyBKT 1.4.3", "forgets": bool, "seed": int, "min_sequences": int,
     "skills": {skill_id: {"prior": num, "learn": num, "guess": num, "slip": num,
                           "forget": num, "sequences": int, "fitted": bool, "note": str}},
     "omitted": {skill_id: {"sequences": int, "note": str}}}

``skills`` holds every skill that has parameters: the fitted ones (``fitted: true``, pyBKT's
numbers unchanged) and, when a course was given, the rest at the course's defaults
(``fitted: false``, the note says why). ``omitted`` holds the skills of a bare dataset that
were not fitted and so have no parameters at all.

A course loads the artifact through :func:`apply_params`: the fitted skills' ``bkt`` is
replaced and everything else is kept.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from attune.engine.domain.bkt import BktParams
from attune.engine.domain.course_json import course_from_json
from attune.engine.domain.errors import InvalidInputError

KIND = "bkt-params"
VERSION = 1
PARAM_NAMES = ("prior", "learn", "guess", "slip", "forget")


@dataclass(frozen=True, slots=True)
class SkillResult:
    """The outcome for one skill. ``params`` is pyBKT's fit when ``fitted``, otherwise the
    course default; ``None`` when there is neither (a dataset skill left out)."""

    skill_id: str
    sequences: int
    fitted: bool
    note: str
    params: BktParams | None = None


def build_artifact(
    source: Mapping[str, Any],
    results: Iterable[SkillResult],
    *,
    fitted_with: str,
    forgets: bool,
    seed: int,
    min_sequences: int,
) -> dict[str, Any]:
    """The artifact as JSON-able data, skills in the order given."""
    skills: dict[str, Any] = {}
    omitted: dict[str, Any] = {}
    for r in results:
        if r.params is None:
            omitted[r.skill_id] = {"sequences": r.sequences, "note": r.note}
            continue
        skills[r.skill_id] = {
            **{name: getattr(r.params, name) for name in PARAM_NAMES},
            "sequences": r.sequences,
            "fitted": r.fitted,
            "note": r.note,
        }
    return {
        "kind": KIND,
        "version": VERSION,
        "source": dict(source),
        "fitted_with": fitted_with,
        "forgets": forgets,
        "seed": seed,
        "min_sequences": min_sequences,
        "skills": skills,
        "omitted": omitted,
    }


def fitted_params(params: object) -> dict[str, BktParams]:
    """Check an artifact and return the parameters of its fitted skills.

    Raises :class:`InvalidInputError` whose ``field`` names the first bad field
    (``params.skills["17"].slip``).
    """
    if not isinstance(params, Mapping):
        raise InvalidInputError("params", "must be an object")
    if params.get("kind") != KIND:
        raise InvalidInputError("params.kind", f"must be {KIND!r}, got {params.get('kind')!r}")
    if params.get("version") != VERSION:
        raise InvalidInputError(
            "params.version", f"must be {VERSION}, got {params.get('version')!r}"
        )
    skills = params.get("skills")
    if not isinstance(skills, Mapping):
        raise InvalidInputError("params.skills", "must be an object")
    out: dict[str, BktParams] = {}
    for skill_id, entry in skills.items():
        where = f"params.skills[{json.dumps(skill_id)}]"
        if not isinstance(entry, Mapping):
            raise InvalidInputError(where, "must be an object")
        fitted = entry.get("fitted")
        if not isinstance(fitted, bool):
            raise InvalidInputError(f"{where}.fitted", "must be a boolean")
        if not fitted:
            continue
        values: dict[str, float] = {}
        for name in PARAM_NAMES:
            value = entry.get(name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise InvalidInputError(f"{where}.{name}", "must be a number")
            values[name] = float(value)
        bkt = BktParams(**values)
        bkt.validate(where)
        out[str(skill_id)] = bkt
    return out


def apply_params(course_json: Mapping[str, Any], params: object) -> dict[str, Any]:
    """The course JSON with each fitted skill's ``bkt`` replaced by the artifact's.

    Skills absent from the artifact, or present but not fitted, keep theirs; artifact skills
    absent from the course are ignored. Both inputs and the result are validated: a bad
    artifact or course raises :class:`InvalidInputError` naming the field.
    """
    fitted = fitted_params(params)
    course_from_json(course_json)  # refuse a bad course before blaming the artifact
    out = copy.deepcopy(dict(course_json))
    for skill in out["skills"]:
        bkt = fitted.get(skill["skill_id"])
        if bkt is not None:
            skill["bkt"] = {name: getattr(bkt, name) for name in PARAM_NAMES}
    course_from_json(out)
    return out
