"""An item's stem: its ``itemBody`` as HTML, without the interaction but with its prompt.

A block interaction (choice, extended text) gives way to its ``prompt`` (a paragraph, or a
``div`` when the prompt holds blocks, as QTI 3.0 allows); an inline one (text entry, inline
choice) to a visible blank, :data:`BLANK`, where the learner's answer goes in the sentence:
Attune renders the answer control after the stem. Feedback blocks go to the feedback; a
``rubricBlock`` for the candidate stays, one for other views (scorer, tutor, author) is left
out and listed in ``skipped``.
"""

from __future__ import annotations

from collections.abc import Callable
from xml.etree.ElementTree import Element

from attune.content.importers.qti.feedback import FEEDBACK_TAGS, content
from attune.content.importers.qti.markup import HtmlWriter
from attune.content.importers.qti.xmltree import QtiXml, child

BLANK = "_____"
_INLINE = frozenset({"textEntryInteraction", "inlineChoiceInteraction"})
_BLOCKS = frozenset(
    {"p", "div", "ul", "ol", "table", "blockquote", "pre", "figure", "dl", "hr",
     "h1", "h2", "h3", "h4", "h5", "h6"}
)  # fmt: skip


def prompt_html(interaction: Element, writer: HtmlWriter, doc: QtiXml) -> str:
    """The interaction's prompt as a paragraph (or a ``div`` holding blocks); may be empty."""
    prompt = child(interaction, "prompt")
    if prompt is None:
        return ""
    html = writer.inner(prompt, where=doc.name(prompt))
    if not html:
        return ""
    tag = "div" if any(e.tag in _BLOCKS for e in prompt) else "p"
    return f"<{tag}>{html}</{tag}>"


def stem_html(
    doc: QtiXml,
    body: Element,
    interaction: Element,
    writer: HtmlWriter,
    skip: Callable[[str, str], None],
) -> str:
    """The stem's HTML; ``skip`` hears of what is left out."""

    def special(element: Element) -> str | None:
        if element is interaction:
            if element.tag in _INLINE:
                return BLANK
            return prompt_html(element, writer, doc)
        if element.tag in FEEDBACK_TAGS:
            return ""
        if element.tag == "rubricBlock":
            views = element.get("view", "").split()
            if "candidate" in views:
                return f"<div>{writer.inner(content(element), special, doc.name(element))}</div>"
            skip(
                doc.name(element), f"a rubric block for {' '.join(views) or 'no view'} is left out"
            )
            return ""
        return None

    return writer.inner(body, special, doc.name(body))
