"""Activities and Activity Definitions, interaction activities included (xAPI 1.0.3 Data
§2.4.4.1 and its "Interaction Activities" tables; Appendix C has examples of each type)."""

from __future__ import annotations

import re
from typing import Any

from attune.gateway.ingest import values as v
from attune.gateway.ingest.problems import index, key
from attune.gateway.ingest.xapi_spec.actors import extensions, language_map
from attune.gateway.ingest.xapi_spec.report import Report

INTERACTION_TYPES = (
    "true-false",
    "choice",
    "fill-in",
    "long-fill-in",
    "matching",
    "performance",
    "sequencing",
    "likert",
    "numeric",
    "other",
)
# The interaction component lists and the types that use each (Interaction Components table).
COMPONENTS: dict[str, tuple[str, ...]] = {
    "choices": ("choice", "sequencing"),
    "scale": ("likert",),
    "source": ("matching",),
    "target": ("matching",),
    "steps": ("performance",),
}
_DEFINITION_KEYS = (
    "name",
    "description",
    "type",
    "moreInfo",
    "extensions",
    "interactionType",
    "correctResponsesPattern",
    *COMPONENTS,
)
# A response pattern may open with the delimited parameters of the "Correct Responses Pattern"
# section: {case_matters=..}, {order_matters=..}, {lang=..}.
_PARAMETERS = re.compile(r"^(?:\{(?:case_matters|order_matters|lang)=[^}]*\})*")
_NUMBER = r"-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"
_NUMERIC = re.compile(rf"^(?:{_NUMBER}|(?:{_NUMBER})?\[:\](?:{_NUMBER})?)$")


def activity(r: Report, value: Any, path: str) -> None:
    """An Activity: objectType Activity when present, an IRI id, an optional definition."""
    found = r.fields(value, path, ("objectType", "id", "definition"), required=("id",))
    if found is None:
        return
    if found.get("objectType", "Activity") != "Activity":
        r.add(key(path, "objectType"), "json.enum", "must be Activity here")
    if "id" in found:
        r.value("activity", v.iri, found["id"], key(path, "id"))
    if "definition" in found:
        definition(r, found["definition"], key(path, "definition"))


def definition(r: Report, value: Any, path: str) -> None:
    """An Activity Definition and, with an interactionType, its interaction properties."""
    found = r.fields(value, path, _DEFINITION_KEYS)
    if found is None:
        return
    for name in ("name", "description"):
        if name in found:
            language_map(r, found[name], key(path, name))
    for name in ("type", "moreInfo"):
        if name in found:
            r.value("definition", v.iri, found[name], key(path, name))
    if "extensions" in found:
        extensions(r, found["extensions"], key(path, "extensions"))
    kind = found.get("interactionType")
    if kind is not None and (not isinstance(kind, str) or kind not in INTERACTION_TYPES):
        # An object here (issue 19) is a problem like any other value, never a crash.
        r.add(
            key(path, "interactionType"),
            "interaction.type",
            f"must be one of {', '.join(INTERACTION_TYPES)}",
        )
        kind = None
    elif kind is None:
        for name in ("correctResponsesPattern", *COMPONENTS):
            if name in found:
                r.add(key(path, name), "interaction.needs-type", "needs an interactionType")
        return
    ids: dict[str, set[str]] = {}
    for name, kinds in COMPONENTS.items():
        if name in found:
            if kind is not None and kind not in kinds:
                r.add(
                    key(path, name),
                    "interaction.components",
                    f"is only allowed with interactionType {' or '.join(kinds)}",
                )
            ids[name] = _components(r, found[name], key(path, name))
    if "correctResponsesPattern" in found:
        where = key(path, "correctResponsesPattern")
        for n, pattern in enumerate(r.items(found["correctResponsesPattern"], where)):
            if not isinstance(pattern, str):
                r.add(index(where, n), "interaction.pattern", "must be a string")
            elif kind is not None:
                _pattern(r, kind, pattern, ids, index(where, n))


def _components(r: Report, value: Any, path: str) -> set[str]:
    seen: set[str] = set()
    for n, component in enumerate(r.items(value, path)):
        where = index(path, n)
        found = r.fields(component, where, ("id", "description"), required=("id",))
        if found is None:
            continue
        ident = found.get("id")
        if "id" in found and (not isinstance(ident, str) or not ident):
            r.add(key(where, "id"), "json.string", "must be a non-empty string")
        elif isinstance(ident, str):
            if ident in seen:
                r.add(key(where, "id"), "interaction.component-id", f"repeats {ident!r}")
            seen.add(ident)
        if "description" in found:
            language_map(r, found["description"], key(where, "description"))
    return seen


def _pattern(r: Report, kind: str, pattern: str, ids: dict[str, set[str]], path: str) -> None:
    """A response pattern of its interaction type ("Correct Responses Pattern" table). Ids are
    checked against the component lists the definition carries; free text is not checked."""
    body = _PARAMETERS.sub("", pattern, count=1)
    if kind == "true-false" and body not in ("true", "false"):
        r.add(path, "interaction.pattern", "must be true or false for a true-false interaction")
    elif kind == "numeric" and not _NUMERIC.match(body):
        r.add(path, "interaction.pattern", "must be a number or a range min[:]max")
    elif kind in ("choice", "sequencing", "likert") and body:
        lists = "scale" if kind == "likert" else "choices"
        _ids(r, body.split("[,]"), ids.get(lists), lists, path)
        if kind == "likert" and "[,]" in body:
            r.add(path, "interaction.pattern", "a likert response is a single scale id")
    elif kind in ("matching", "performance") and body:
        first, second = ("source", "target") if kind == "matching" else ("steps", None)
        for pair in body.split("[,]"):
            left, dot, right = pair.partition("[.]")
            if not dot:
                r.add(path, "interaction.pattern", "pairs are written id[.]id")
                return
            _ids(r, [left], ids.get(first), first, path)
            if second is not None:
                _ids(r, [right], ids.get(second), second, path)


def _ids(r: Report, given: list[str], known: set[str] | None, name: str, path: str) -> None:
    if known is None:
        return  # without the list nothing can be checked
    for ident in given:
        if ident not in known:
            r.add(path, "interaction.pattern", f"{ident!r} is not an id of {name}")
