"""The plain text a model reads for an item or a skill.

Item HTML is untrusted and may hold LaTeX; the model wants words. So tags go (their text
stays, an image's alt text is kept because it often says what the picture asks about), script
and style contents go, entities are decoded, ``\\frac{a}{b}`` reads ``a/b`` and other LaTeX
commands lose their backslash (``\\times`` reads ``times``). Every text is capped at
:data:`MAX_TEXT_CHARS`: a longer one says nothing more about its skill.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

from attune.content.model import ContentItem, ContentSkill

MAX_TEXT_CHARS = 2_000
_SKIPPED_TAGS = frozenset({"script", "style", "template"})
_BREAKS = frozenset({"p", "br", "div", "li", "tr", "td", "th", "h1", "h2", "h3", "h4", "h5", "h6"})
_FRACTION = re.compile(r"\\[dt]?frac\s*\{([^{}]*)\}\s*\{([^{}]*)\}")
_DELIMITERS = re.compile(r"\\[()\[\]]|\$\$")
_COMMAND = re.compile(r"\\([A-Za-z]+)")
_SPACE = re.compile(r"\s+")


class _TextParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED_TAGS:
            self._skipping += 1
        elif tag == "img":
            alt = dict(attrs).get("alt") or ""
            self.parts.append(f" {alt} ")
        elif tag in _BREAKS:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED_TAGS:
            self._skipping = max(0, self._skipping - 1)
        elif tag in _BREAKS:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def plain_text(html: str) -> str:
    """The words of an HTML fragment with LaTeX made readable, whitespace collapsed, capped."""
    parser = _TextParser()
    parser.feed(html[: MAX_TEXT_CHARS * 8])  # markup is longer than its text; cap the work
    parser.close()
    text = "".join(parser.parts)
    text = _DELIMITERS.sub(" ", text)
    text = _FRACTION.sub(r"\1/\2", text)
    text = _COMMAND.sub(r" \1 ", text).replace("{", "").replace("}", "")
    return _SPACE.sub(" ", text).strip()[:MAX_TEXT_CHARS]


def item_text(item: ContentItem) -> str:
    """What an item is about: its stem, choices, accepted typed answers and worked solution
    (or its general feedback, which importers fill where a format has no solution)."""
    parts = [plain_text(item.stem_html)]
    parts += [plain_text(choice.html) for choice in item.choices]
    parts += [answer.value for answer in item.text_answers]
    parts += [plain_text(item.solution_html), plain_text(item.general_feedback_html)]
    return _SPACE.sub(" ", " ".join(part for part in parts if part))[:MAX_TEXT_CHARS]


def skill_text(skill: ContentSkill) -> str:
    """What a skill is about: its name, then the titles of its resources."""
    parts = [skill.name, *(resource.title for resource in skill.resources)]
    return _SPACE.sub(" ", ". ".join(part.strip() for part in parts if part.strip()))[
        :MAX_TEXT_CHARS
    ]
