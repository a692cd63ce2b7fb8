"""The supported interactions and the item type each becomes.

``choiceInteraction`` with ``maxChoices="1"`` (the default) is a ``choice``, with any other
number (0 meaning no limit) a ``multiple_response``; ``inlineChoiceInteraction`` is an
``inline_choice``; ``textEntryInteraction`` a ``numeric`` item when its response's
``baseType`` is ``float`` or ``integer``, else a ``text_entry``; ``extendedTextInteraction`` an
``extended_text``. A choice's content (``simpleChoice``, ``inlineChoice``) is its HTML, less
any ``feedbackInline`` in it, which becomes the choice's own feedback.
"""

from __future__ import annotations

from collections.abc import Callable
from xml.etree.ElementTree import Element

from attune.content.importers.moodle_answers import Body
from attune.content.importers.qti import answers
from attune.content.importers.qti.declarations import Declaration, Invalid
from attune.content.importers.qti.feedback import FEEDBACK_TAGS, Feedback
from attune.content.importers.qti.markup import HtmlWriter
from attune.content.importers.qti.scoring import Scoring, Unsupported
from attune.content.importers.qti.xmltree import QtiXml, children
from attune.content.model import ItemType

SUPPORTED = frozenset(
    {"choiceInteraction", "inlineChoiceInteraction", "textEntryInteraction",
     "extendedTextInteraction"}
)  # fmt: skip
_TYPED = frozenset({"textEntryInteraction", "extendedTextInteraction"})


def _drop_feedback(element: Element) -> str | None:
    return "" if element.tag in FEEDBACK_TAGS else None


def _options(
    doc: QtiXml,
    interaction: Element,
    writer: HtmlWriter,
    feedback: Feedback,
    skip: Callable[[str, str], None],
) -> list[tuple[str, str]]:
    tag = "simpleChoice" if interaction.tag == "choiceInteraction" else "inlineChoice"
    options: list[tuple[str, str]] = []
    for option in children(interaction, tag):
        option_id = option.get("identifier", "").strip()
        if not option_id or any(c.isspace() or c == "/" for c in option_id):
            raise Invalid(doc.name(option), f"choice identifier {option_id[:40]!r} is not usable")
        if option_id in {i for i, _ in options}:
            raise Invalid(doc.name(option), f"duplicate choice identifier {option_id[:40]!r}")
        for inline in (e for e in option.iter() if e.tag == "feedbackInline"):
            html = writer.inner(inline, where=doc.name(inline))
            if inline.get("showHide", "show") != "hide":
                feedback.add("choice", option_id, html)
            elif html:
                skip(doc.name(inline), f"feedback shown unless {option_id!r} is chosen is left out")
        options.append((option_id, writer.inner(option, _drop_feedback, doc.name(option))))
    return options


def _typed(doc: QtiXml, interaction: Element, declaration: Declaration, scoring: Scoring) -> Body:
    if declaration.cardinality != "single":
        raise Unsupported(doc.name(interaction), "several answers in one box are not supported")
    entry = interaction.tag == "textEntryInteraction"
    if entry and declaration.base_type in ("float", "integer"):
        return answers.numeric_answers(declaration, scoring)
    if declaration.base_type not in ("string", ""):
        message = f"a {declaration.base_type[:20]} response is not supported"
        raise Unsupported(f"{doc.name(interaction)}/@responseIdentifier", message)
    return answers.text_answers(declaration, scoring, required=entry)


def interaction_body(
    doc: QtiXml,
    interaction: Element,
    declaration: Declaration,
    scoring: Scoring,
    writer: HtmlWriter,
    feedback: Feedback,
    skip: Callable[[str, str], None],
) -> Body:
    """The item type and answers of the item's one interaction; raises :class:`Invalid` or
    :class:`Unsupported`. Choice feedback found on the way goes into ``feedback``."""
    if interaction.tag in _TYPED:
        return _typed(doc, interaction, declaration, scoring)
    options = _options(doc, interaction, writer, feedback, skip)
    kind: ItemType = "inline_choice"
    if interaction.tag == "choiceInteraction":
        raw = interaction.get("maxChoices", "1").strip() or "1"
        if not raw.isdigit():
            raise Invalid(f"{doc.name(interaction)}/@maxChoices", f"{raw[:20]!r} is not a count")
        kind = "choice" if int(raw) == 1 else "multiple_response"
    return answers.choices(kind, options, declaration, scoring)
