"""An item's XHTML content (stem, choices, feedback) written out as HTML text.

QTI keeps a subset of XHTML (and MathML) inside ``itemBody``; the renderer sanitises HTML
later, so this only serialises: local names, escaped text and attributes, runs of white space
collapsed (outside ``pre``), void elements without an end tag. MathML stays MathML.

Images are the package's files: an ``img src`` (and an ``a href`` to a file) is resolved
relative to the item file inside the zip, as a relative URL is, and stored once in the package
media; the link is rewritten to the media path (a link leaving the package is a problem).
An ``object`` whose ``type`` is an image (QTI 2.1 items often embed pictures that way)
becomes an ``img`` with the object's text as alt text. A URL with a scheme is kept as written
and never fetched.
"""

from __future__ import annotations

import html
import posixpath
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from urllib.parse import unquote
from xml.etree.ElementTree import Element

from attune.content.importers.moodle_text import MediaStore, media_type_for
from attune.content.model import Media

VOID = frozenset({"img", "br", "hr", "col", "wbr"})
_SCHEME = re.compile(r"^(?:[a-z][a-z0-9+.-]*:|//|#)", re.IGNORECASE)
_SPACE = re.compile(r"\s+")

Special = Callable[[Element], str | None]
"""Returns the HTML to write instead of an element (an interaction, a feedback block), or
None to write the element itself."""


def resolve(base_file: str, link: str) -> str | None:
    """The package path ``link`` names from ``base_file``, or None when it leaves the package."""
    path = unquote(link.split("#", 1)[0].split("?", 1)[0])
    if not path or path.startswith("/") or "\\" in path:
        return None
    joined = posixpath.normpath(posixpath.join(posixpath.dirname(base_file), path))
    if joined == ".." or joined.startswith("../") or joined.startswith("/"):
        return None
    return joined


@dataclass
class HtmlWriter:
    """Serialises the content of one item file, gathering its media and link problems."""

    file: str
    files: Mapping[str, bytes]
    store: MediaStore
    problems: list[tuple[str, str]] = field(default_factory=list)  # (field, message)
    media: dict[str, Media] = field(default_factory=dict)  # package path -> Media
    used: set[str] = field(default_factory=set)  # every package path linked

    def inner(self, element: Element, special: Special | None = None, where: str = "") -> str:
        """The HTML of ``element``'s content."""
        return self._content(element, special, where or str(element.tag), False).strip()

    def _content(self, element: Element, special: Special | None, where: str, pre: bool) -> str:
        parts = [self._text(element.text, pre)]
        for node in element:
            replaced = special(node) if special is not None else None
            parts.append(
                replaced if replaced is not None else self._outer(node, special, where, pre)
            )
            parts.append(self._text(node.tail, pre))
        return "".join(parts)

    @staticmethod
    def _text(text: str | None, pre: bool) -> str:
        if not text:
            return ""
        return html.escape(text if pre else _SPACE.sub(" ", text), quote=False)

    def _outer(self, element: Element, special: Special | None, where: str, pre: bool) -> str:
        tag = str(element.tag)
        attributes = dict(element.attrib)
        if tag == "object" and attributes.get("type", "").startswith("image/"):
            alt = " ".join("".join(element.itertext()).split())
            tag, attributes = "img", {"src": attributes.get("data", ""), "alt": alt}
        if tag == "img":
            alt = attributes.get("alt", "")
            attributes["src"] = self._link(attributes.get("src", ""), alt, where)
        elif tag == "a" and "href" in attributes:
            attributes["href"] = self._link(attributes["href"], None, where)
        written = "".join(f' {key}="{html.escape(value)}"' for key, value in attributes.items())
        if tag in VOID:
            return f"<{tag}{written}>"
        body = "" if tag == "img" else self._content(element, special, where, pre or tag == "pre")
        return f"<{tag}{written}>{body}</{tag}>"

    def _link(self, link: str, alt: str | None, where: str) -> str:
        if not link.strip():
            self.problems.append((where, "a link or image without a target"))
            return link
        if _SCHEME.match(link.strip()):
            return link
        path = resolve(self.file, link.strip())
        if path is None:
            self.problems.append((where, f"{link[:80]!r} points outside the package"))
            return link
        data = self.files.get(path)
        if data is None:
            self.problems.append((where, f"{path!r} is not in the package"))
            return link
        stored = self.store.add(posixpath.basename(path), data)
        self.used.add(stored)
        media_type = media_type_for(stored)
        if alt is not None and not alt.strip():
            self.problems.append((where, f"the image {path!r} has no alt text"))
        elif alt is not None or not media_type.startswith("image/"):
            # An image shown is listed with its alt text; an image only linked to is not.
            self.media[stored] = Media(stored, media_type, (alt or "").strip())
        return stored
