"""An item's response declaration: the correct response and the mapping of values to scores.

QTI 2.1 Information Model, "responseDeclaration": ``correctResponse`` lists the correct
value(s); ``mapping`` maps values (``mapEntry mapKey mappedValue``, with ``caseSensitive``
for strings) to scores, ``defaultValue`` scoring any value not listed, the sum clamped to
``lowerBound`` and ``upperBound``. 2.1 requires ``caseSensitive``; when it is missing (QTI 3.0
makes it optional) a key matches case-sensitively, as ``match`` does.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from xml.etree.ElementTree import Element

from attune.content.importers.qti.xmltree import QtiXml, child, children


class Invalid(Exception):
    """A malformed item: the element and what is wrong (the item is left out)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class MapEntry:
    """One value of a mapping and its score."""

    key: str
    value: float
    case_sensitive: bool = True


@dataclass(frozen=True)
class Declaration:
    """What the importer needs of a ``responseDeclaration``."""

    identifier: str
    cardinality: str
    base_type: str
    correct: tuple[str, ...]
    mapping: tuple[MapEntry, ...] = ()
    has_mapping: bool = False
    default: float = 0.0
    upper: float | None = None

    def scored_by_key(self) -> bool:
        """True when a correct response or a mapping says what earns credit."""
        return bool(self.correct) or bool(self.mapping)


def _number(doc: QtiXml, element: Element, attribute: str, default: float | None) -> float | None:
    raw = element.get(attribute)
    if raw is None or not raw.strip():
        return default
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise Invalid(f"{doc.name(element)}/@{attribute}", f"{raw.strip()[:40]!r} is not a number")
    return value


def read_declaration(doc: QtiXml, element: Element) -> Declaration:
    """The declaration's correct values and mapping; raises :class:`Invalid`."""
    correct_element = child(element, "correctResponse")
    correct = tuple(
        (value.text or "").strip()
        for value in (children(correct_element, "value") if correct_element is not None else [])
        if (value.text or "").strip()
    )
    mapping = child(element, "mapping")
    entries: list[MapEntry] = []
    default, upper = 0.0, None
    if mapping is not None:
        default = _number(doc, mapping, "defaultValue", 0.0) or 0.0
        upper = _number(doc, mapping, "upperBound", None)
        for entry in children(mapping, "mapEntry"):
            key = entry.get("mapKey", "").strip()
            value = _number(doc, entry, "mappedValue", None)
            if not key or value is None:
                raise Invalid(doc.name(entry), "a map entry needs a mapKey and a mappedValue")
            sensitive = entry.get("caseSensitive", "true").strip() != "false"
            entries.append(MapEntry(key, value, sensitive))
    return Declaration(
        identifier=element.get("identifier", ""),
        cardinality=element.get("cardinality", "single"),
        base_type=element.get("baseType", ""),
        correct=correct,
        mapping=tuple(entries),
        has_mapping=mapping is not None,
        default=default,
        upper=upper,
    )
