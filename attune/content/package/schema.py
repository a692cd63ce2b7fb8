"""The package's JSON Schemas (draft 2020-12, in ``schema/``) and the problems they find.

The schemas are the published description of the format; the loader checks every course,
skill and item document against them before it checks their meaning (:mod:`.semantics`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from functools import cache
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator, ValidationError
from referencing import Registry, Resource

SCHEMA_FILES = ("course.schema.json", "item.schema.json", "items.schema.json")
COURSE_ID = "urn:attune:course-package:course"
ITEM_ID = "urn:attune:course-package:item"
_MESSAGE_CHARS = 200


def load_schema(name: str) -> dict[str, Any]:
    """One of the published schemas, by file name."""
    text = (resources.files("attune.content.package") / "schema" / name).read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


@cache
def _validator(ref: str) -> Draft202012Validator:
    registry: Registry[Any] = Registry().with_resources(
        (load_schema(name)["$id"], Resource.from_contents(load_schema(name)))
        for name in SCHEMA_FILES
    )
    return Draft202012Validator({"$ref": ref}, registry=registry)


def field_path(path: Sequence[str | int]) -> str:
    """``["choices", 2, "correct"]`` as ``choices[2].correct``."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


def _join(path: Sequence[str | int], name: str) -> str:
    return field_path([*path, name])


def _short(text: str) -> str:
    return text if len(text) <= _MESSAGE_CHARS else text[: _MESSAGE_CHARS - 1] + "…"


def _explain(error: ValidationError) -> Iterator[tuple[str, str]]:
    path: list[str | int] = list(error.absolute_path)
    instance = error.instance
    rule: dict[str, Any] = error.schema if isinstance(error.schema, dict) else {}
    if error.validator == "required" and isinstance(instance, dict):
        for name in rule.get("required", ()):
            if name not in instance and error.message.startswith(repr(name)):
                yield _join(path, name), "required"
        return
    if error.validator == "additionalProperties" and isinstance(instance, dict):
        known = rule.get("properties", {})
        for name in instance:
            if name not in known:
                choices = ", ".join(sorted(known))
                yield _join(path, str(name)), f"unknown field; known: {choices}"
        return
    description = rule.get("description")
    if error.validator == "pattern" and description:
        yield field_path(path), _short(f"{instance!r} is not allowed: {description}")
        return
    if (
        error.validator == "type"
        and error.validator_value == "string"
        and not isinstance(instance, dict | list)
    ):
        yield field_path(path), _short(f"{instance!r} is not text; quote it")
        return
    yield field_path(path), _short(error.message)


def _errors(ref: str, document: Any) -> list[tuple[str, str]]:
    found = sorted(_validator(ref).iter_errors(document), key=lambda e: list(map(str, e.path)))
    return [explained for error in found for explained in _explain(error)]


def course_errors(document: Any) -> list[tuple[str, str]]:
    """(field, message) for each way ``document`` breaks the course schema."""
    return _errors(COURSE_ID, document)


def skill_errors(document: Any) -> list[tuple[str, str]]:
    """(field, message) for each way one skill breaks the course schema's skill."""
    return _errors(f"{COURSE_ID}#/$defs/skill", document)


def item_errors(document: Any) -> list[tuple[str, str]]:
    """(field, message) for each way ``document`` breaks the item schema."""
    return _errors(ITEM_ID, document)
