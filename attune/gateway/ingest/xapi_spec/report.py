"""Problems found in a statement, and the collector the checks write them into.

A :class:`Problem` names the JSON path of the offending value (``object.definition.
interactionType``), the rule it breaks (a code from :mod:`.rules`, with the section of the
specification of the version under check) and what is wrong. Checks never raise: they add
problems and go on, so that one pass reports everything wrong with a statement.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

from attune.gateway.ingest.problems import InvalidInputError, key
from attune.gateway.ingest.xapi_spec.rules import RULES
from attune.gateway.json_kind import json_kind

Version = Literal["1.0.3", "2.0.0"]
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Problem:
    """``path`` names the value, ``rule`` the requirement (see :data:`.rules.RULES`),
    ``section`` where the specification states it, ``message`` what is wrong."""

    path: str
    rule: str
    section: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message} ({self.section})"


@dataclass
class Report:
    """The problems found so far under one version of the specification."""

    version: Version
    problems: list[Problem] = field(default_factory=list)

    @property
    def v2(self) -> bool:
        return self.version == "2.0.0"

    def add(self, path: str, rule: str, message: str) -> None:
        """Record that the value at ``path`` breaks ``rule``."""
        sections = RULES[rule].sections
        section = sections.get(self.version) or next(iter(sections.values()))
        self.problems.append(Problem(path or "statement", rule, section, message))

    def value(self, rule: str, check: Callable[..., T], value: Any, path: str) -> T | None:
        """Run one of :mod:`attune.gateway.ingest.values`' single-value checks; its
        refusal becomes a problem under ``rule`` (``None`` is returned then)."""
        try:
            return check(value, path)
        except InvalidInputError as exc:
            self.add(exc.path, rule, exc.problem)
            return None

    def fields(
        self,
        value: Any,
        path: str,
        allowed: Collection[str],
        required: Collection[str] = (),
        *,
        what: str = "object",
    ) -> dict[str, Any] | None:
        """The object at ``path`` with its known, non-null properties, or ``None`` when it is
        not an object. Unknown properties (1.0.3 Data §2.2.s4.b1.b7, §2.2.s4.b8), nulls
        (§2.2.s4.b1.b1) and missing required ones are problems."""
        if not isinstance(value, dict):
            self.add(path, "json.object", f"must be a JSON {what}, got {json_kind(value)}")
            return None
        kept: dict[str, Any] = {}
        for name, item in value.items():
            if name not in allowed:
                self.add(key(path, name), "json.unknown", "is not a known property here")
            elif item is None:
                self.add(key(path, name), "json.null", "must not be null")
            else:
                kept[name] = item
        for name in required:
            if name not in value:
                self.add(key(path, name), "json.required", "is required")
        return kept

    def items(self, value: Any, path: str, *, non_empty: bool = False) -> list[Any]:
        """The array at ``path`` (an empty list, and a problem, when it is not one)."""
        if not isinstance(value, list):
            self.add(path, "json.array", f"must be an array, got {json_kind(value)}")
            return []
        if non_empty and not value:
            self.add(path, "json.array", "must not be empty")
        return value
