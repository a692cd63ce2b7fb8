"""One QTI ``<item>`` being read: where it is, its texts as HTML, the files they link, and
what went wrong.

QTI 1.2 ASI, section 3.6 (``material``): a ``mattext`` holds text whose ``texttype`` says how
to read it; Canvas writes ``text/html`` (the HTML escaped once inside the XML, which the XML
parser undoes) or ``text/plain``. Canvas links a course file as
``$IMS-CC-FILEBASE$/<path under web_resources, URL-encoded>`` (older exports spell it
``$IMS_CC_FILEBASE$``, and rich-text editors may percent-encode the dollars); such a file
becomes package media. Links to other Canvas objects (``$CANVAS_OBJECT_REFERENCE$``,
``$WIKI_REFERENCE$``, ...) cannot be followed outside Canvas: they are cut and reported.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from urllib.parse import unquote
from xml.etree.ElementTree import Element, tostring

from attune.content.importers.canvas.archive import web_resource
from attune.content.importers.moodle_text import MediaStore, element_paths, media_type_for
from attune.content.model import Media
from attune.content.package.problems import Problem

_TAG = re.compile(r"<([a-zA-Z][a-zA-Z0-9]*)\b([^>]*)>")
_LINK_ATTR = re.compile(r"""(\b(?:src|href)\s*=\s*)(["'])(.*?)\2""", re.IGNORECASE | re.DOTALL)
_ALT = re.compile(r"""\balt\s*=\s*(["'])(.*?)\1""", re.IGNORECASE | re.DOTALL)
_FILEBASE = re.compile(r"^(?:\$|%24)IMS[-_]CC[-_]FILEBASE(?:\$|%24)/(.*)$", re.IGNORECASE)
_CANVAS_TOKEN = re.compile(r"^(?:\$|%24)([A-Z_]+)(?:\$|%24)", re.IGNORECASE)
_TEXT_MATERIAL = {"mattext", "matemtext"}


@dataclass
class Files:
    """What every item of an import shares: the export's files and the package's media."""

    files: dict[str, bytes]
    store: MediaStore = field(default_factory=MediaStore)


@dataclass
class Entry:
    """One ``<item>``: its place, and the problems, skips and media found while reading it."""

    file: str
    where: str
    element: Element
    shared: Files
    problems: list[Problem] = field(default_factory=list)
    skipped: list[Problem] = field(default_factory=list)
    media: dict[str, Media] = field(default_factory=dict)  # package path -> Media
    used: set[str] = field(default_factory=set)  # package paths the item links
    paths: dict[Element, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.paths = element_paths(self.element)

    def path(self, element: Element, *rest: str) -> str:
        """The XPath of ``element`` (and ``rest``) within the item."""
        return "/".join(part for part in (self.paths.get(element, ""), *rest) if part)

    def problem(self, field: str, message: str) -> None:
        """Record what is wrong with the item (it is left out of the package)."""
        self.problems.append(Problem(self.file, self.where, field, message))

    def skip(self, field: str, message: str) -> None:
        """Record what of the item Attune cannot represent and so leaves out."""
        self.skipped.append(Problem(self.file, self.where, field, message))

    def html(self, holder: Element | None) -> str:
        """The HTML of every ``material`` in ``holder`` (or of ``holder`` itself when it is
        one), plain text escaped, course files linked as package media."""
        if holder is None:
            return ""
        materials = [holder] if holder.tag == "material" else list(holder.iter("material"))
        return "".join(self._material(material) for material in materials).strip()

    def _material(self, material: Element) -> str:
        parts: list[str] = []
        for child in material:
            if child.tag in _TEXT_MATERIAL:
                # HTML written as XML (not escaped, not in CDATA) is taken as it stands.
                text = (child.text or "") + "".join(
                    tostring(inner, encoding="unicode") for inner in child
                )
                if child.get("texttype", "text/plain").strip().lower() == "text/html":
                    parts.append(self._link(text, self.path(child)))
                else:
                    parts.append(html.escape(text).replace("\n", "<br>"))
            elif child.tag == "matbreak":
                parts.append("<br>")
            else:
                self.skip(self.path(child), f"<{child.tag}> material is left out")
        return "".join(parts)

    def _link(self, fragment: str, where: str) -> str:
        """``fragment`` with each course-file link pointing at its package media."""

        def tag(match: re.Match[str]) -> str:
            name, attributes = match[1].lower(), match[2]
            alt_match = _ALT.search(attributes)
            alt = html.unescape(alt_match[2]) if alt_match else None

            def attribute(found: re.Match[str]) -> str:
                target = self._target(html.unescape(found[3]), name, alt, where)
                return found[0] if target is None else f"{found[1]}{found[2]}{target}{found[2]}"

            return f"<{match[1]}{_LINK_ATTR.sub(attribute, attributes)}>"

        return _TAG.sub(tag, fragment)

    def _target(self, link: str, tag: str, alt: str | None, where: str) -> str | None:
        """The new value of a ``src`` or ``href``; None keeps it as it is."""
        filebase = _FILEBASE.match(link)
        if filebase is None:
            token = _CANVAS_TOKEN.match(link)
            if token is not None:
                self.skip(
                    where, f"a link to another part of the Canvas course ({link[:80]}) is cut"
                )
                return "#"
            return None
        name = unquote(re.split(r"[?#]", filebase[1], maxsplit=1)[0])
        found = web_resource(self.shared.files, name)
        if found is None:
            self.problem(where, f"{name!r} is linked but not in the export")
            return None
        path = self.shared.store.add(PurePosixPath(name).name, found[1])
        media_type = media_type_for(path)
        if tag == "img" and not (alt or "").strip():
            self.problem(where, f"the image {name!r} has no alt text")
        elif tag == "img" or not media_type.startswith("image/"):
            # An image shown is listed with its alt text; an image only linked to is not.
            self.media[path] = Media(path, media_type, (alt or "").strip())
        self.used.add(path)
        return path
