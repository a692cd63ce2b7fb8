"""Untrusted QTI XML, parsed safely and read as one dialect.

QTI 3.0 (1EdTech, "QTI 3.0 ASI Information Model", namespace
``http://www.imsglobal.org/xsd/imsqtiasi_v3p0``) keeps the model of QTI 2.1 (namespace
``http://www.imsglobal.org/xsd/imsqti_v2p1``) but spells every element and attribute in kebab
case with a ``qti-`` prefix: ``choiceInteraction maxChoices`` became
``qti-choice-interaction max-choices``. :func:`parse_qti` drops namespaces and renames the
``qti-`` elements and their attributes to the 2.1 names, so the rest of the importer reads one
dialect; :attr:`QtiXml.original` keeps the name each element was written with, so that a
problem names what the author sees. HTML and MathML elements keep their local names.

defusedxml refuses DTDs, entities and external references; a file over
:data:`~attune.content.package.source.MAX_FILE_BYTES` is not parsed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal
from xml.etree.ElementTree import Element, ParseError

import defusedxml
import defusedxml.ElementTree

from attune.content.package.problems import Problem
from attune.content.package.source import MAX_FILE_BYTES

Version = Literal["2.1", "3.0"]

_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_V2 = re.compile(r"^http://www\.imsglobal\.org/xsd/imsqti_v2p[012]$")
_V3 = re.compile(r"^http://www\.imsglobal\.org/xsd/imsqtiasi_v3p0$")
_KEBAB = re.compile(r"-([a-z0-9])")


@dataclass
class QtiXml:
    """A parsed QTI (or manifest) document, in QTI 2.1 names."""

    root: Element
    version: Version | None
    original: dict[Element, str] = field(default_factory=dict)

    def name(self, element: Element) -> str:
        """The element's name as the file spells it (``qti-hotspot-interaction``)."""
        return self.original.get(element, str(element.tag))


def local(tag: str) -> str:
    """A tag without its ``{namespace}``."""
    return tag.rsplit("}", 1)[-1]


def _camel(kebab: str) -> str:
    return _KEBAB.sub(lambda m: m[1].upper(), kebab)


def _version(tag: str) -> Version | None:
    namespace = tag[1:].split("}", 1)[0] if tag.startswith("{") else ""
    name = local(tag)
    if _V3.match(namespace) or (not namespace and name.startswith("qti-")):
        return "3.0"
    if _V2.match(namespace) or (not namespace and not name.startswith("qti-")):
        return "2.1"
    return None


def _normalise(root: Element) -> dict[Element, str]:
    original: dict[Element, str] = {}
    for element in root.iter():
        name = local(str(element.tag))
        original[element] = name
        qti3 = name.startswith("qti-")
        element.tag = _camel(name[4:]) if qti3 else name
        attributes: dict[str, str] = {}
        for key, value in element.attrib.items():
            if key == _XML_LANG:
                attributes["lang"] = value
            elif not key.startswith("{"):  # xsi:schemaLocation and other namespaced ones go
                attributes[_camel(key) if qti3 else key] = value
        element.attrib = attributes
    return original


def parse_qti(data: bytes, file: str) -> tuple[QtiXml | None, list[Problem]]:
    """The document in ``data``, or the problems (located in ``file``) that stop it."""
    if len(data) > MAX_FILE_BYTES:
        return None, [Problem(file, "", "", f"larger than {MAX_FILE_BYTES} bytes")]
    try:
        root = defusedxml.ElementTree.fromstring(data, forbid_dtd=True)
    except ParseError as exc:
        line, column = getattr(exc, "position", (0, 0))
        reason = str(exc.msg).split(": line ", 1)[0]
        where = f"line {line}, column {column + 1}"
        return None, [Problem(file, where, "", f"not well-formed XML: {reason}")]
    except defusedxml.DefusedXmlException as exc:
        message = "a DTD, entity or external reference, which are refused"
        return None, [Problem(file, "", "", f"{message} ({type(exc).__name__})")]
    except (ValueError, LookupError) as exc:  # an unknown or inconsistent encoding
        return None, [Problem(file, "", "", f"unreadable XML: {exc}")]
    version = _version(str(root.tag))
    return QtiXml(root, version, _normalise(root)), []


_SPELLED = frozenset({"correctResponse", "mapping", "responseProcessing", "modalFeedback"})


def _kebab(camel: str) -> str:
    return re.sub(r"([A-Z])", lambda m: "-" + m[1].lower(), camel)


def spell(field: str, version: Version | None) -> str:
    """A problem's field as a QTI 3.0 file spells it (``qti-mapping``, ``@max-choices``); the
    importer names a few elements and every attribute in 2.1 terms."""
    if version != "3.0":
        return field
    parts = []
    for part in field.split("/"):
        if part.startswith("@"):
            part = "@" + _kebab(part[1:])
        elif part in _SPELLED:
            part = "qti-" + _kebab(part)
        parts.append(part)
    return "/".join(parts)


def children(element: Element, tag: str) -> list[Element]:
    """The direct children named ``tag`` (2.1 names)."""
    return [child for child in element if child.tag == tag]


def child(element: Element, tag: str) -> Element | None:
    """The first direct child named ``tag``, or None."""
    return next((c for c in element if c.tag == tag), None)


def text_of(element: Element | None) -> str:
    """All the text inside ``element``, stripped."""
    return "".join(element.itertext()).strip() if element is not None else ""
