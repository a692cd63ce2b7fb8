"""How an item's response processing scores its one response, when Attune can say the same.

QTI 2.1 (Information Model, "Response Processing") and 3.0 score an item by a small program
that sets the ``SCORE`` outcome. Recognised:

* the standard templates by URI (the last segment of a ``.../rptemplates/...`` URI, with or
  without ``.xml``, so the 2.1 ``http://www.imsglobal.org/question/qti_v2p1/rptemplates/``
  and 3.0 ``https://purl.imsglobal.org/spec/qti/v3p0/rptemplates/`` forms both match):
  ``match_correct``, ``map_response``, ``map_response_point``;
* the same written out: ``SCORE = mapResponse`` (after an optional ``isNull`` guard that
  scores an empty response 0);
* conditions ``responseIf`` / ``responseElseIf`` that set ``SCORE`` to a number when the
  response ``match``es the correct response or a value, is ``equal`` to it within a
  tolerance (``toleranceMode`` absolute or relative, QTI's relative tolerance being in
  percent), ``stringMatch``es it (``caseSensitive``), or lies in a range (``and`` of
  ``gte``/``gt`` and ``lte``/``lt``); a final ``responseElse`` may only score 0.

Setting any other outcome (feedback identifiers, MAXSCORE) does not change the score and is
allowed; an outcome set to the response itself is remembered, because feedback keyed by it
is per choice. Anything else is :class:`Unsupported`, and the item is skipped with the reason.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal
from xml.etree.ElementTree import Element

from attune.content.importers.qti.xmltree import QtiXml
from attune.content.model import ToleranceMode

ScoringKind = Literal["absent", "match_correct", "map_response", "map_response_point", "rules"]
TEMPLATES: dict[str, ScoringKind] = {
    "match_correct": "match_correct",
    "map_response": "map_response",
    "map_response_point": "map_response_point",
}
ConditionOp = Literal["match", "equal", "stringMatch", "range"]


class Unsupported(Exception):
    """Something Attune cannot score the same way: the element and why."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Condition:
    """The response compared with ``value`` (None: the declared correct response)."""

    op: ConditionOp
    value: str | None = None
    case_sensitive: bool = True
    tolerance: float = 0.0
    tolerance_mode: ToleranceMode = "absolute"
    low: float = 0.0
    high: float = 0.0


@dataclass(frozen=True)
class Rule:
    """A condition and the score it sets."""

    condition: Condition
    score: float


@dataclass(frozen=True)
class Scoring:
    """What the response processing does with the response."""

    kind: ScoringKind
    rules: tuple[Rule, ...] = ()
    sets_score: bool = True
    echoes: frozenset[str] = field(default_factory=frozenset)


@dataclass
class _Walk:
    doc: QtiXml
    response: str
    rules: list[Rule] = field(default_factory=list)
    mapped: bool = False
    echoes: set[str] = field(default_factory=set)

    def fail(self, element: Element, message: str) -> Unsupported:
        return Unsupported(self.doc.name(element), message)

    def block(self, elements: list[Element]) -> None:
        for element in elements:
            if element.tag == "setOutcomeValue":
                self.assign(element, None)
            elif element.tag == "responseCondition":
                self.condition(element)
            else:
                raise self.fail(element, f"<{self.doc.name(element)}> is not supported here")

    def assign(self, element: Element, condition: Condition | None) -> None:
        expression = next(iter(element), None)
        if element.get("identifier") != "SCORE":
            if expression is not None and self.is_response(expression):
                self.echoes.add(element.get("identifier", ""))
            return
        if expression is not None and expression.tag == "mapResponse":
            if expression.get("identifier") != self.response or condition is not None:
                raise self.fail(element, "a mapResponse under a condition is not supported")
            self.mapped = True
            return
        score = self.number(expression, element)
        if condition is not None:
            self.rules.append(Rule(condition, score))
        elif score != 0.0:
            raise self.fail(element, f"a score of {score:g} for any response is not supported")

    def number(self, expression: Element | None, owner: Element) -> float:
        try:
            value = float((expression.text or "").strip()) if expression is not None else math.nan
        except ValueError:
            value = math.nan
        if expression is None or expression.tag != "baseValue" or not math.isfinite(value):
            raise self.fail(owner, "SCORE must be set to a number")
        return value

    def is_response(self, element: Element) -> bool:
        return element.tag == "variable" and element.get("identifier") == self.response

    def condition(self, element: Element) -> None:
        guarded = True  # only isNull guards so far: an else branch is then unconditional
        for branch in element:
            parts = list(branch)
            if branch.tag == "responseElse":
                if guarded:
                    self.block(parts)
                else:
                    self.otherwise(parts)
                continue
            if branch.tag not in ("responseIf", "responseElseIf") or not parts:
                raise self.fail(branch, f"<{self.doc.name(branch)}> is not supported here")
            test, actions = parts[0], parts[1:]
            if test.tag == "isNull" and any(self.is_response(e) for e in test):
                self.otherwise(actions)  # an empty response scores 0
                continue
            guarded = False
            found = self.compare(test)
            for action in actions:
                if action.tag != "setOutcomeValue":
                    raise self.fail(action, "nested conditions are not supported")
                self.assign(action, found)

    def otherwise(self, actions: list[Element]) -> None:
        for action in actions:
            if action.tag != "setOutcomeValue":
                raise self.fail(action, "nested conditions are not supported")
            if action.get("identifier") == "SCORE":
                score = self.number(next(iter(action), None), action)
                if score != 0.0:
                    raise self.fail(
                        action, f"a score of {score:g} for any other response is not supported"
                    )
            else:
                self.assign(action, None)

    def operand(self, test: Element) -> str | None:
        """The value the response is compared with (None: its correct response)."""
        operands = list(test)
        if len(operands) != 2 or sum(self.is_response(e) for e in operands) != 1:
            raise self.fail(test, "a comparison must involve the response and one value")
        other = operands[1] if self.is_response(operands[0]) else operands[0]
        if other.tag == "correct" and other.get("identifier") == self.response:
            return None
        if other.tag == "baseValue":
            return (other.text or "").strip()
        raise self.fail(other, f"comparing with <{self.doc.name(other)}> is not supported")

    def compare(self, test: Element) -> Condition:
        if test.tag == "match":
            return Condition("match", self.operand(test))
        if test.tag == "stringMatch":
            if test.get("substring", "false") == "true":
                raise self.fail(test, "substring matching is not supported")
            sensitive = test.get("caseSensitive", "true") != "false"
            return Condition("stringMatch", self.operand(test), case_sensitive=sensitive)
        if test.tag == "equal":
            return self.equal(test)
        if test.tag == "and":
            return self.range(test)
        raise self.fail(test, f"the condition <{self.doc.name(test)}> is not supported")

    def equal(self, test: Element) -> Condition:
        value = self.operand(test)
        mode = test.get("toleranceMode", "exact")
        if mode == "exact":
            return Condition("equal", value)
        try:
            bounds = [float(t) for t in test.get("tolerance", "").split()]
        except ValueError:
            bounds = []
        if not 1 <= len(bounds) <= 2 or not all(math.isfinite(b) and b >= 0 for b in bounds):
            raise self.fail(test, f"tolerance {test.get('tolerance', '')[:40]!r} is not supported")
        if len(bounds) == 2 and bounds[0] != bounds[1]:
            raise self.fail(test, "a different tolerance below and above is not supported")
        if mode == "absolute":
            return Condition("equal", value, tolerance=bounds[0])
        if mode == "relative":
            return Condition("equal", value, tolerance=bounds[0] / 100.0, tolerance_mode="relative")
        raise self.fail(test, f"toleranceMode {mode[:40]!r} is not supported")

    def range(self, test: Element) -> Condition:
        low = high = math.nan
        for part in test:
            if part.tag not in ("gte", "gt", "lte", "lt") or len(part) != 2:
                raise self.fail(part, f"the condition <{self.doc.name(part)}> is not supported")
            first, second = part
            if not self.is_response(first) or second.tag != "baseValue":
                raise self.fail(part, "a range must compare the response with a number")
            bound = self.number(second, part)
            if part.tag in ("gte", "gt"):
                low = bound
            else:
                high = bound
        if not (math.isfinite(low) and math.isfinite(high) and low <= high):
            raise self.fail(test, "a range needs a lower and an upper bound")
        return Condition("range", low=low, high=high)


def template_kind(uri: str) -> ScoringKind | None:
    """``match_correct`` for any spelling of that standard template's URI, else None."""
    if "rptemplates/" not in uri:
        return None
    return TEMPLATES.get(uri.strip().rstrip("/").rsplit("/", 1)[-1].removesuffix(".xml"))


def analyse(doc: QtiXml, processing: Element | None, response: str) -> Scoring:
    """How ``processing`` scores the response ``response``; raises :class:`Unsupported`."""
    if processing is None:
        return Scoring("absent")
    uri = processing.get("template", "").strip()
    if uri:
        kind = template_kind(uri)
        if kind is None:
            message = f"the response processing template {uri[:120]!r} is not supported"
            raise Unsupported(doc.name(processing), message)
        return Scoring(kind)
    walk = _Walk(doc, response)
    walk.block(list(processing))
    echoes = frozenset(walk.echoes - {""})
    if walk.mapped and walk.rules:
        raise Unsupported(doc.name(processing), "mapResponse mixed with conditions")
    if walk.mapped:
        return Scoring("map_response", echoes=echoes)
    return Scoring("rules", tuple(walk.rules), sets_score=bool(walk.rules), echoes=echoes)
