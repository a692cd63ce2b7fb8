"""Parsing the XML of a Canvas export: untrusted, so defusedxml with DTDs and entities refused.

IMS QTI 1.2 (ASI, "IMS Question & Test Interoperability: ASI XML Binding", v1.2) puts its
elements in the ``http://www.imsglobal.org/xsd/ims_qtiasiv1p2`` namespace when a schema is
named (Canvas names it) and in none when a DTD is; the Common Cartridge manifest uses
``imscp_v1p1``. Tags are read without their namespace so that both spellings work.
"""

from __future__ import annotations

from xml.etree.ElementTree import Element, ParseError

import defusedxml
import defusedxml.ElementTree

from attune.content.package.problems import Problem
from attune.content.package.source import MAX_FILE_BYTES

QTI_ROOT = "questestinterop"


def local(tag: object) -> str:
    """A tag without its ``{namespace}``."""
    return str(tag).rsplit("}", 1)[-1]


def parse_xml(
    data: bytes, file: str, roots: tuple[str, ...]
) -> tuple[Element | None, Problem | None]:
    """The root of ``data`` with namespaces stripped, or the located reason it is refused:
    too large, not well-formed, a DTD or entity, or a root not among ``roots``."""
    if len(data) > MAX_FILE_BYTES:
        return None, Problem(file, "", "", f"larger than {MAX_FILE_BYTES} bytes")
    try:
        root = defusedxml.ElementTree.fromstring(data, forbid_dtd=True)
    except ParseError as exc:
        line, column = getattr(exc, "position", (0, 0))
        reason = str(exc.msg).split(": line ", 1)[0]
        where = f"line {line}, column {column + 1}"
        return None, Problem(file, where, "", f"not well-formed XML: {reason}")
    except defusedxml.DefusedXmlException as exc:
        message = "a DTD, entity or external reference, which are refused"
        return None, Problem(file, "", "", f"{message} ({type(exc).__name__})")
    except (ValueError, LookupError) as exc:  # an unknown or inconsistent encoding
        return None, Problem(file, "", "", f"unreadable XML: {exc}")
    for element in root.iter():
        element.tag = local(element.tag)
    if root.tag not in roots:
        wanted = " or ".join(f"<{name}>" for name in roots)
        return None, Problem(file, "", "", f"the root element is <{root.tag}>, not {wanted}")
    return root, None


def metadata(element: Element) -> dict[str, str]:
    """The ``qtimetadatafield``s of an item, assessment or object bank: label to entry (the
    first of a repeated label), e.g. ``question_type`` -> ``multiple_choice_question``."""
    found: dict[str, str] = {}
    for holder in (element.find("itemmetadata/qtimetadata"), element.find("qtimetadata")):
        for field in holder.findall("qtimetadatafield") if holder is not None else ():
            label = (field.findtext("fieldlabel") or "").strip()
            if label:
                found.setdefault(label, (field.findtext("fieldentry") or "").strip())
    return found


def text_of(element: Element | None) -> str:
    """All the text inside an element, stripped."""
    return "".join(element.itertext()).strip() if element is not None else ""
