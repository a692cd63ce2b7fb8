"""Sanitising untrusted course HTML with an explicit allow-list (nh3, the binding of ammonia).

Content is untrusted input (issue 13, "Sanitise every piece of HTML"): an imported package
may carry scripts, event handlers, ``javascript:`` links, styles, iframes and forms. Only the
tags and attributes listed here survive; ``script``, ``style`` and other active containers go
with their content. Links keep only ``http``, ``https`` and relative URLs, and get
``rel="noopener noreferrer"``. An image without ``alt`` gets ``alt=""`` and is reported, so
the package validator can ask the author for a text alternative (WCAG 2.2, SC 1.1.1).

MathML is allowed as the maths step emits it (MathML Core, https://www.w3.org/TR/mathml-core/),
with presentation attributes only: no ``href`` (MathML 3 allowed it on any element), no
``annotation-xml`` (it can hold HTML), no colours or sizes.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache

import nh3

HTML_TAGS = frozenset(
    {
        "p", "br", "hr", "div", "span", "strong", "em", "b", "i", "u", "s", "small",
        "sub", "sup", "code", "pre", "kbd", "samp", "var", "blockquote", "q",
        "ul", "ol", "li", "dl", "dt", "dd", "figure", "figcaption",
        "table", "caption", "colgroup", "col", "thead", "tbody", "tfoot", "tr", "th", "td",
        "img", "a",
    }
)  # fmt: skip

MATHML_TAGS = frozenset(
    {
        "math", "mi", "mn", "mo", "ms", "mtext", "mrow", "mfrac", "msqrt", "mroot",
        "msup", "msub", "msubsup", "mover", "munder", "munderover",
        "mtable", "mtr", "mtd", "mspace", "mstyle", "mpadded", "mphantom", "menclose",
        "semantics", "annotation",
    }
)  # fmt: skip

_TOKEN_ATTRS = {"mathvariant"}
_MO_ATTRS = {
    "form", "fence", "separator", "stretchy", "symmetric", "largeop", "movablelimits",
    "accent", "lspace", "rspace", "minsize", "maxsize",
}  # fmt: skip
_TABLE_ALIGN = {"columnalign", "rowalign"}
_SPACE = {"width", "height", "depth"}

ATTRIBUTES: Mapping[str, frozenset[str]] = {
    "*": frozenset({"title", "lang"}),
    "a": frozenset({"href"}),  # rel is set by nh3 itself (link_rel)
    "img": frozenset({"src", "alt", "width", "height"}),
    "ol": frozenset({"start", "reversed"}),
    "td": frozenset({"colspan", "rowspan", "headers"}),
    "th": frozenset({"colspan", "rowspan", "headers", "scope", "abbr"}),
    "col": frozenset({"span"}),
    "colgroup": frozenset({"span"}),
    "math": frozenset({"display", "alttext"}),
    "mi": frozenset(_TOKEN_ATTRS),
    "mn": frozenset(_TOKEN_ATTRS),
    "ms": frozenset(_TOKEN_ATTRS),
    "mtext": frozenset(_TOKEN_ATTRS),
    "mo": frozenset(_TOKEN_ATTRS | _MO_ATTRS),
    "mfrac": frozenset({"linethickness"}),
    "mover": frozenset({"accent"}),
    "munder": frozenset({"accentunder"}),
    "munderover": frozenset({"accent", "accentunder"}),
    "mstyle": frozenset({"displaystyle", "scriptlevel", "mathvariant"}),
    "mtable": frozenset(_TABLE_ALIGN | {"columnspacing", "rowspacing", "columnlines", "rowlines"}),
    "mtr": frozenset(_TABLE_ALIGN),
    "mtd": frozenset(_TABLE_ALIGN | {"columnspan", "rowspan"}),
    "mspace": frozenset(_SPACE),
    "mpadded": frozenset(_SPACE | {"lspace", "voffset"}),
    "menclose": frozenset({"notation"}),
    "annotation": frozenset({"encoding"}),
}

# Removed together with everything inside them (the rest of the unknown tags are unwrapped,
# their text kept and escaped).
DROPPED_WITH_CONTENT = frozenset(
    {
        "script", "style", "template", "iframe", "frame", "frameset", "object", "embed",
        "applet", "svg", "noscript", "noembed", "noframes", "xmp", "textarea", "select",
        "button", "head", "title", "annotation-xml",
    }
)  # fmt: skip

URL_SCHEMES = frozenset({"http", "https"})

_IMG = re.compile(r"<img\b[^>]*>")  # nh3 escapes < and > in attribute values
_ALT = re.compile(r'\salt="')
_SRC = re.compile(r'\ssrc="([^"]*)"')
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


@dataclass(frozen=True)
class Sanitised:
    """Sanitised HTML, and what the validator may want to tell the author about it."""

    html: str
    images_without_alt: tuple[str, ...] = ()
    """The ``src`` of every image that had no ``alt`` (it now has ``alt=""``)."""
    latex_errors: tuple[str, ...] = ()
    """LaTeX sources that could not be converted (they are shown as code instead)."""


def is_package_path(url: str) -> bool:
    """True for a relative reference without a scheme or a leading slash (``media/a.png``)."""
    return bool(url) and not url.startswith(("/", "\\")) and not _SCHEME.match(url.strip())


@cache
def _cleaner() -> nh3.Cleaner:
    # Built once, on first use: nh3 converts its options on every ``clean`` call otherwise
    # (about 8 times the cost of cleaning a short stem).
    return nh3.Cleaner(
        tags=set(HTML_TAGS | MATHML_TAGS),
        clean_content_tags=set(DROPPED_WITH_CONTENT),
        attributes={tag: set(names) for tag, names in ATTRIBUTES.items()},
        strip_comments=True,
        link_rel="noopener noreferrer",
        url_schemes=set(URL_SCHEMES),
    )


def allow_list(text: str) -> str:
    """``text`` reduced to the allow-list by nh3 (no alt handling: see :func:`sanitise`)."""
    return _cleaner().clean(text)


MAX_PASSES = 4


def _settle(cleaned: str) -> str:
    """Clean again until nothing changes: removing a tag can re-parent what was inside it
    (``<math><mi><mglyph><mtext>`` loses ``mtext`` only on the second pass), and sanitising
    must be idempotent. Every pass's output is already safe; this only makes it stable."""
    for _ in range(MAX_PASSES):
        again = allow_list(cleaned)
        if again == cleaned:
            break
        cleaned = again
    return cleaned


def _safe_url(url: str) -> str | None:
    scheme = _SCHEME.match("".join(url.split()))
    if scheme and scheme.group(0).lower() not in {"http:", "https:"}:
        return None
    return url


def sanitise_with_report(
    text: str,
    *,
    media_url: Callable[[str], str] | None = None,
    media_alt: Mapping[str, str] | None = None,
) -> Sanitised:
    """Keep only the allow-listed tags and attributes of ``text``; report images without alt.

    ``media_url`` maps an image's package path (``media/x.png``) to the URL that serves it
    (the URL it returns must be http(s) or relative, or the image loses its ``src``);
    ``media_alt`` gives the alt text of a package path, for images the HTML leaves without one.
    """
    alt_by_path = media_alt or {}
    missing: list[str] = []

    def fix_image(match: re.Match[str]) -> str:
        tag = match.group(0)
        found = _SRC.search(tag)
        path = html.unescape(found.group(1)) if found else ""
        url: str | None = path
        if found and media_url is not None and is_package_path(path):
            url = _safe_url(media_url(path))
            replacement = "" if url is None else f' src="{html.escape(url, quote=True)}"'
            tag = tag[: found.start()] + replacement + tag[found.end() :]
        if _ALT.search(tag):
            return tag
        alt = alt_by_path.get(path, "")
        if not alt:
            missing.append(url or "")
        return f'{tag[:4]} alt="{html.escape(alt, quote=True)}"{tag[4:]}'

    return Sanitised(_IMG.sub(fix_image, _settle(allow_list(text))), tuple(missing))


def sanitise(text: str) -> str:
    """The allow-listed, inert form of untrusted HTML ``text`` (idempotent)."""
    return sanitise_with_report(text).html


def images_without_alt(text: str) -> tuple[str, ...]:
    """The ``src`` of every image in ``text`` that has no ``alt`` attribute (for the validator)."""
    return sanitise_with_report(text).images_without_alt


def plain_text(text: str) -> str:
    """The text of an HTML fragment, tags dropped, escaped for use as HTML text (e.g. in an
    ``<option>``, which cannot hold markup)."""
    return nh3.clean(text, tags=set(), clean_content_tags=set(DROPPED_WITH_CONTENT)).strip()
