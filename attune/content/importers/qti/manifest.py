"""The items a QTI content package holds, in order, from its ``imsmanifest.xml``.

IMS Content Packaging 1.1 (and the QTI 2.1 / 3.0 packaging profiles): ``resources/resource``
with a ``type`` (``imsqti_item_xmlv2p1``, ``imsqti_item_xmlv3p0``, ``imsqti_test_xmlv2p1``,
``imsqti_test_xmlv3p0``; 2.0 and 2.2 are read as 2.1) and an ``href`` relative to the
manifest. A test (``assessmentTest``) lists its items with ``assessmentItemRef href``,
relative to the test file, inside ``testPart`` and ``assessmentSection``s.

Items come in manifest order, a test's items where the test is listed, each file once;
selection and ordering rules of a test are not applied (every item it references is
imported). Skill names come from a resource's metadata: LOM ``keyword``s, the last ``taxon``
of each ``classification/taxonPath``, and the ``label`` of each curriculum standard
(``curriculumStandardsMetadata/setOfGUIDs/labelledGUID``). An item in a test also carries
its section's title (or its test part's, when the section has none). Resources of other
types (web content, stimuli, shared files) are not questions and are not reported; a QTI 1.2
resource is.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from xml.etree.ElementTree import Element

from attune.content.importers.qti.item import ItemSource
from attune.content.importers.qti.markup import resolve
from attune.content.importers.qti.xmltree import QtiXml, child, parse_qti, text_of
from attune.content.package.problems import Problem
from attune.content.package.semantics import MAX_NAME_CHARS

MANIFEST = "imsmanifest.xml"
_ITEM = re.compile(r"^imsqti_item_xmlv(?:2p[012]|3p0)$")
_TEST = re.compile(r"^imsqti_(?:test|assessment)_xmlv(?:2p[012]|3p0)$")
_QTI1 = re.compile(r"^imsqti_xmlv1p[0-2]")
_STRINGS = frozenset({"string", "langstring"})


@dataclass
class Contents:
    """The item files to import, and what stopped or was skipped on the way."""

    sources: list[ItemSource] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    skipped: list[Problem] = field(default_factory=list)


def _strings(element: Element) -> list[str]:
    found = [text_of(e) for e in element.iter() if str(e.tag).lower() in _STRINGS]
    return [s for s in (found or [text_of(element)]) if s]


def _first(element: Element, name: str) -> Element | None:
    return next((e for e in element if str(e.tag).lower() == name), None)


def skill_names(metadata: Element | None) -> tuple[str, ...]:
    """Skill names in a resource's metadata, in order, each once. Element names are compared
    without case: the IMS LOM 1.2 binding writes ``taxonpath``, IEEE LOM ``taxonPath``."""
    names: list[str] = []
    for element in metadata.iter() if metadata is not None else ():
        tag = str(element.tag).lower()
        if tag == "keyword":
            names += _strings(element)
        elif tag == "taxonpath":
            taxa = [e for e in element.iter() if str(e.tag).lower() == "taxon"]
            entry = _first(taxa[-1], "entry") if taxa else None
            names += _strings(entry) if entry is not None else []
        elif tag == "labelledguid":
            names += [text_of(_first(element, "label")) or text_of(_first(element, "guid"))]
    cleaned = (" ".join(name.split())[:MAX_NAME_CHARS] for name in names)
    return tuple(dict.fromkeys(name for name in cleaned if name))


@dataclass
class _Reader:
    files: Mapping[str, bytes]
    out: Contents = field(default_factory=Contents)

    def path(self, base: str, href: str, where: str, at: str) -> str | None:
        path = resolve(base, href.strip())
        if path is None or path not in self.files:
            shown = path or href
            self.out.problems.append(Problem(base, where, at, f"{shown!r} is not in the package"))
            return None
        return path

    def test_items(self, test: str, where: str) -> list[tuple[str, str]]:
        """The item files a test references, each with its section's title."""
        doc, problems = parse_qti(self.files[test], test)
        self.out.problems += problems
        if doc is None:
            return []
        if doc.root.tag != "assessmentTest":
            message = f"<{doc.name(doc.root)}> is not a QTI assessment test"
            self.out.problems.append(Problem(test, "", "", message))
            return []
        found: list[tuple[str, str]] = []
        self._walk(doc, test, doc.root, "", found)
        if not found:
            self.out.problems.append(Problem(test, where, "", "the test references no item"))
        return found

    def _walk(
        self, doc: QtiXml, test: str, parent: Element, title: str, out: list[tuple[str, str]]
    ) -> None:
        for element in parent:
            if element.tag in ("testPart", "assessmentSection"):
                self._walk(doc, test, element, element.get("title", "").strip() or title, out)
            elif element.tag == "assessmentItemRef":
                where = f"item ref {element.get('identifier', '')}".strip()
                path = self.path(test, element.get("href", ""), where, "@href")
                if path is not None:
                    out.append((path, title))
            elif element.tag == "assessmentSectionRef":
                where = f"section ref {element.get('identifier', '')}".strip()
                message = "a section in another file is not supported: its items are left out"
                self.out.skipped.append(Problem(test, where, doc.name(element), message))


def read_contents(files: Mapping[str, bytes]) -> Contents:
    """The package's items (see the module docstring); problems are located, never raised."""
    reader = _Reader(files)
    doc, problems = parse_qti(files[MANIFEST], MANIFEST)
    reader.out.problems += problems
    if doc is None:
        return reader.out
    if doc.root.tag != "manifest":
        message = f"the root element is <{doc.name(doc.root)}>, not <manifest>"
        reader.out.problems.append(Problem(MANIFEST, "", "", message))
        return reader.out
    metadata: dict[str, tuple[str, ...]] = {}
    sections: dict[str, str] = {}
    order: list[tuple[str, list[str]]] = []  # per resource: the item files it brings
    for resource in (e for e in doc.root.iter() if e.tag == "resource"):
        kind = resource.get("type", "").strip()
        where = f"resource {resource.get('identifier', '')}".strip()
        if _QTI1.match(kind):
            message = "QTI 1.2 is not supported by this importer (QTI 2.1 and 3.0 are)"
            reader.out.skipped.append(Problem(MANIFEST, where, "@type", message))
            continue
        if not (_ITEM.match(kind) or _TEST.match(kind)):
            continue
        path = reader.path(MANIFEST, resource.get("href", ""), where, "@href")
        if path is None:
            continue
        if _ITEM.match(kind):
            metadata.setdefault(path, skill_names(child(resource, "metadata")))
            order.append((path, [path]))
            continue
        referenced = reader.test_items(path, where)
        for item, title in referenced:
            if title:
                sections.setdefault(item, title)
        order.append((path, [item for item, _ in referenced]))
    seen: set[str] = set()
    for _, paths in order:
        for path in paths:
            if path not in seen:
                seen.add(path)
                source = ItemSource(path, metadata.get(path, ()), sections.get(path, ""))
                reader.out.sources.append(source)
    if not order and not reader.out.problems:
        message = "the manifest lists no QTI 2.1 or 3.0 item or test"
        reader.out.problems.append(Problem(MANIFEST, "", "", message))
    return reader.out
