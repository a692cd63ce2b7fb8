"""Pieces of the Moodle XML importer: one question's context, its texts, embedded files and
numbers, and the slugs that become ids.

Moodle XML (MoodleDocs, "Moodle XML format"): a text-holding element (``questiontext``,
``generalfeedback``, ``answer``, ``feedback``, ``hint``) has a ``format`` attribute
(``html``, ``moodle_auto_format``, ``plain_text``, ``markdown``), a ``<text>`` child and any
number of ``<file name=".." path="/" encoding="base64">`` children that its HTML links as
``@@PLUGINFILE@@/name``. Pure: no I/O; every problem is collected, never raised.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import html
import math
import re
import unicodedata
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import PurePosixPath
from urllib.parse import unquote
from xml.etree.ElementTree import Element

from attune.content.model import Media
from attune.content.package.problems import Problem

_PLUGINFILE = re.compile(r"@@PLUGINFILE@@/([^\"'\s<>?#]+)")
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")
_NOT_SLUG = re.compile(r"[^a-z0-9]+")
_MEDIA_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".svg": "image/svg+xml",
    ".webp": "image/webp",
    ".mp3": "audio/mpeg",
    ".ogg": "audio/ogg",
    ".wav": "audio/wav",
    ".mp4": "video/mp4",
    ".webm": "video/webm",
    ".pdf": "application/pdf",
}
HTML_FORMATS = frozenset({"html", "moodle_auto_format"})
TEXT_FORMATS = frozenset({"plain_text", "markdown"})


def short_hash(text: str | bytes) -> str:
    """Eight hex digits of SHA-256: stable across runs and machines."""
    raw = text.encode() if isinstance(text, str) else text
    return hashlib.sha256(raw).hexdigest()[:8]


def slug(text: str, limit: int = 48) -> str:
    """Lower-case ASCII letters and digits joined by ``-`` (accents dropped); may be empty."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return _NOT_SLUG.sub("-", ascii_text.lower()).strip("-")[:limit].strip("-")


def skill_id_for(text: str) -> str:
    """The skill id of a tag or category name: its slug, or a hash when nothing is left."""
    return slug(text) or f"skill-{short_hash(text)}"


def media_type_for(name: str) -> str:
    """The media type of a file, by its extension."""
    return _MEDIA_TYPES.get(PurePosixPath(name).suffix.lower(), "application/octet-stream")


def element_paths(question: Element) -> dict[Element, str]:
    """Every element under a question, to its XPath relative to the question (``answer[2]``,
    ``answer[2]/feedback``; an index only where a tag repeats among its siblings, from 1)."""
    paths: dict[Element, str] = {question: ""}
    stack = [question]
    while stack:
        parent = stack.pop()
        prefix = f"{paths[parent]}/" if paths[parent] else ""
        counts: dict[str, int] = {}
        for child in parent:
            counts[str(child.tag)] = counts.get(str(child.tag), 0) + 1
        seen: dict[str, int] = {}
        for child in parent:
            tag = str(child.tag)
            seen[tag] = seen.get(tag, 0) + 1
            step = f"{tag}[{seen[tag]}]" if counts[tag] > 1 else tag
            paths[child] = prefix + step
            stack.append(child)
    return paths


class _Images(HTMLParser):
    """The ``src`` and ``alt`` of every ``<img>`` in a fragment."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "img":
            values = dict(attrs)
            self.found.append((values.get("src") or "", values.get("alt") or ""))


@dataclass
class MediaStore:
    """The package's media, path to bytes; a name reused for other bytes gets a hash suffix."""

    files: dict[str, bytes] = field(default_factory=dict)

    def add(self, name: str, data: bytes) -> str:
        """Store ``data`` under a safe ``media/`` path made from ``name``; that path."""
        safe = _UNSAFE_NAME.sub("-", name).strip(".-")[:100] or "file"
        path = f"media/{safe}"
        if path in self.files and self.files[path] != data:
            pure = PurePosixPath(safe)
            path = f"media/{pure.stem}-{short_hash(data)}{pure.suffix}"
        self.files[path] = data
        return path


@dataclass
class Question:
    """One ``<question>`` being read: where it is, what it embeds and what went wrong."""

    file: str
    number: int
    name: str
    element: Element
    store: MediaStore
    problems: list[Problem] = field(default_factory=list)
    skipped: list[Problem] = field(default_factory=list)
    files: dict[str, str] = field(default_factory=dict)  # Moodle file name -> package path
    media: dict[str, Media] = field(default_factory=dict)  # package path -> Media
    used: set[str] = field(default_factory=set)  # package paths the question links
    paths: dict[Element, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.paths = element_paths(self.element)

    @property
    def where(self) -> str:
        """``question N (name)``; N counts ``<question>`` elements from 1."""
        shown = self.name if len(self.name) <= 80 else self.name[:79] + "…"
        return f"question {self.number} ({shown})" if shown else f"question {self.number}"

    def path(self, element: Element, *rest: str) -> str:
        """The XPath of ``element`` (and ``rest``) within the question."""
        return "/".join(part for part in (self.paths.get(element, ""), *rest) if part)

    def problem(self, field: str, message: str) -> None:
        """Record what is wrong with the question (it is left out of the package)."""
        self.problems.append(Problem(self.file, self.where, field, message))

    def skip(self, field: str, message: str) -> None:
        """Record what of the question Attune cannot represent and so leaves out."""
        self.skipped.append(Problem(self.file, self.where, field, message))

    def number_at(self, element: Element, child: str, default: float | None = None) -> float | None:
        """The finite number in ``element``'s child (or attribute ``@name``), else a problem."""
        raw = element.get(child[1:]) if child.startswith("@") else element.findtext(child)
        if raw is None or not raw.strip():
            if default is None:
                self.problem(self.path(element, child), "a number is missing")
            return default
        try:
            value = float(raw.strip())
        except ValueError:
            value = math.nan
        if not math.isfinite(value):
            self.problem(self.path(element, child), f"{raw.strip()[:40]!r} is not a number")
            return None
        return value

    def read_files(self) -> None:
        """Decode every embedded ``<file>`` of the question into the media store."""
        for holder in self.element.iter():
            for file_element in holder.findall("file"):
                where = self.path(file_element)
                name = file_element.get("name", "")
                folder = file_element.get("path", "/").strip("/")
                if not name or "/" in name or "\\" in name:
                    self.problem(where, f"a file name must be a plain name, not {name!r}")
                    continue
                if file_element.get("encoding", "base64") != "base64":
                    self.problem(where, "only base64-encoded files are supported")
                    continue
                try:
                    data = base64.b64decode(
                        "".join((file_element.text or "").split()), validate=True
                    )
                except (binascii.Error, ValueError):
                    self.problem(where, f"{name!r} is not valid base64")
                    continue
                key = f"{folder}/{name}" if folder else name
                self.files[key] = self.store.add(name, data)

    def rich(self, element: Element | None) -> str:
        """The HTML of a text-holding element: plain text escaped, HTML kept (sanitised when
        rendered), embedded files linked as package media."""
        if element is None:
            return ""
        text = (element.findtext("text") or "").strip()
        kind = element.get("format", "html")
        if kind in TEXT_FORMATS:
            if kind == "markdown" and text:
                self.skip(self.path(element, "@format"), "markdown is imported as plain text")
            return html.escape(text).replace("\n", "<br>")
        if kind not in HTML_FORMATS:
            self.problem(self.path(element, "@format"), f"unknown text format {kind!r}")
            return ""
        return self._link(text, self.path(element, "text"))

    def _link(self, fragment: str, where: str) -> str:
        images = _Images()
        images.feed(fragment)
        images.close()
        alts = {
            unquote(src.removeprefix("@@PLUGINFILE@@/")): alt
            for src, alt in images.found
            if src.startswith("@@PLUGINFILE@@/")
        }

        def linked(match: re.Match[str]) -> str:
            name = unquote(match[1])
            path = self.files.get(name)
            if path is None:
                self.problem(where, f"{name!r} is linked but not embedded in the file")
                return match[0]
            media_type = media_type_for(path)
            alt = alts.get(name)
            if alt is not None and not alt.strip():
                self.problem(where, f"the image {name!r} has no alt text")
            elif alt is not None or not media_type.startswith("image/"):
                # An image shown is listed with its alt text; an image only linked to is not.
                self.media[path] = Media(path, media_type, (alt or "").strip())
            self.used.add(path)
            return path

        return _PLUGINFILE.sub(linked, fragment)
