"""One ``assessmentItem`` file into a :class:`~attune.content.model.ContentItem`.

An item is imported when it has exactly one supported interaction (choice, inline choice,
text entry, extended text) whose response Attune can score the same way (see
:mod:`~attune.content.importers.qti.scoring`). Otherwise it is skipped with the reason,
located at the item file, ``item <identifier>`` and the element (as the file spells it):
another interaction type, several interactions or blanks, ``adaptive`` items, template
(cloned) items, shared stimuli, audio, video and other embedded media. A malformed item (no
identifier, a missing declaration or image, an image without alt text) is a problem instead;
either way the item is left out and the rest imported.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from xml.etree.ElementTree import Element

from attune.content.importers.moodle_text import MediaStore, short_hash, skill_id_for, slug
from attune.content.importers.qti.declarations import Invalid, read_declaration
from attune.content.importers.qti.feedback import (
    FEEDBACK_TAGS,
    Feedback,
    applied,
    classify,
    content,
)
from attune.content.importers.qti.interactions import SUPPORTED, interaction_body
from attune.content.importers.qti.markup import HtmlWriter
from attune.content.importers.qti.scoring import Unsupported, analyse
from attune.content.importers.qti.stem import stem_html
from attune.content.importers.qti.xmltree import QtiXml, child, children, parse_qti, spell
from attune.content.model import ContentItem, Media
from attune.content.package.problems import Problem

_MEDIA = frozenset({"audio", "video", "iframe", "embed", "object"})
_TEMPLATE = frozenset({"templateDeclaration", "templateProcessing"})
_TEMPLATE_BODY = frozenset({"templateBlock", "templateInline", "printedVariable"})
TEMPLATE_REASON = "cloned/template items are not supported"
_MAX_ID = 128


@dataclass(frozen=True)
class ItemSource:
    """An item file to read and what its package says about it."""

    path: str
    skill_names: tuple[str, ...] = ()  # from the manifest's metadata
    section: str = ""  # the test section (or test part) title that holds it


@dataclass
class ItemRead:
    """The outcome of reading one item file."""

    item: ContentItem | None
    identifier: str = ""
    skills: dict[str, str] = field(default_factory=dict)  # skill id -> name
    problems: list[Problem] = field(default_factory=list)
    skipped: list[Problem] = field(default_factory=list)
    used: set[str] = field(default_factory=set)
    media: dict[str, Media] = field(default_factory=dict)


@dataclass
class _Item:
    doc: QtiXml
    source: ItemSource
    writer: HtmlWriter
    read: ItemRead

    @property
    def where(self) -> str:
        return f"item {self.read.identifier}" if self.read.identifier else "item"

    def skip(self, field: str, message: str) -> None:
        field = spell(field, self.doc.version)
        self.read.skipped.append(Problem(self.source.path, self.where, field, message))

    def problem(self, field: str, message: str) -> None:
        field = spell(field, self.doc.version)
        self.read.problems.append(Problem(self.source.path, self.where, field, message))


def unique_item_id(identifier: str, path: str, taken: set[str]) -> str:
    """The item's identifier as its id when it is a usable id not yet ``taken``; else one made
    from it, the file's path and a hash (stable across runs)."""
    usable = (
        identifier
        and len(identifier) <= _MAX_ID
        and not any(c.isspace() or c == "/" for c in identifier)
    )
    item_id = identifier if usable else f"{slug(identifier) or 'item'}-{short_hash(identifier)}"
    if item_id in taken:
        item_id = f"{item_id}-{short_hash(path)}"
    while item_id in taken:
        item_id = f"{item_id}-{short_hash(item_id)}"
    taken.add(item_id)
    return item_id


def read_item(
    source: ItemSource,
    files: Mapping[str, bytes],
    store: MediaStore,
    taken: set[str],
    default_skill: str,
) -> ItemRead:
    """The item in ``source.path`` (or why not); never raises on bad input. Its id is its
    identifier (see :func:`unique_item_id`; ``taken`` holds the ids given so far).

    Its skills: the manifest's metadata, else the item's ``label`` (unless that only repeats
    its title or identifier), else the test section holding it, else ``default_skill``.
    """
    doc, problems = parse_qti(files.get(source.path, b""), source.path)
    if doc is None:
        return ItemRead(None, problems=problems)
    root = doc.root
    read = ItemRead(None, identifier=root.get("identifier", "").strip())
    item = _Item(doc, source, HtmlWriter(source.path, files, store), read)
    if root.tag != "assessmentItem" or doc.version is None:
        item.problem("", f"<{doc.name(root)}> is not a QTI 2.1 or 3.0 assessment item")
        return read
    try:
        read.item = _build(item, default_skill)
    except Unsupported as exc:
        item.skip(exc.field, exc.message)
    except Invalid as exc:
        item.problem(exc.field, exc.message)
    for where, message in item.writer.problems:
        item.problem(where, message)
    if read.problems:
        read.item = None
    if read.item is not None:  # only an imported item takes an id
        read.item = replace(read.item, item_id=unique_item_id(read.identifier, source.path, taken))
    read.used, read.media = item.writer.used, item.writer.media
    return read


def _check(item: _Item, body: Element) -> Element:
    """The one supported interaction, or why the item is skipped."""
    doc, root = item.doc, item.doc.root
    if root.get("adaptive", "false").strip() == "true":
        raise Unsupported("@adaptive", "adaptive items are not supported")
    for element in root:
        if element.tag in _TEMPLATE:
            raise Unsupported(doc.name(element), TEMPLATE_REASON)
        if element.tag == "assessmentStimulusRef":
            raise Unsupported(doc.name(element), "a shared stimulus is not supported")
    found = [e for e in body.iter() if str(e.tag).endswith("Interaction")]
    other = [e for e in found if e.tag not in SUPPORTED]
    if other:
        names = ", ".join(dict.fromkeys(f"<{doc.name(e)}>" for e in other))
        raise Unsupported(doc.name(other[0]), f"unsupported interaction {names}")
    if not found:
        raise Unsupported(doc.name(body), "no interaction: nothing to answer")
    if len(found) > 1:
        if all(e.tag == "inlineChoiceInteraction" for e in found):
            message = f"{len(found)} blanks (inline choices) in one item are not supported"
        else:
            message = "more than one interaction in one item is not supported"
        raise Unsupported(doc.name(found[1]), message)
    for element in body.iter():
        if element.tag in _TEMPLATE_BODY:
            raise Unsupported(doc.name(element), TEMPLATE_REASON)
        if element.tag == "include":
            raise Unsupported(doc.name(element), "an XInclude is not supported")
        if element.tag in _MEDIA and not element.get("type", "").startswith("image/"):
            raise Unsupported(doc.name(element), f"<{doc.name(element)}> media is not supported")
    return found[0]


def _build(item: _Item, default_skill: str) -> ContentItem:
    doc, root, writer = item.doc, item.doc.root, item.writer
    if not item.read.identifier:
        raise Invalid("@identifier", "an item needs an identifier")
    body = child(root, "itemBody")
    if body is None:
        raise Invalid(doc.name(root), "the item has no itemBody")
    interaction = _check(item, body)
    response = interaction.get("responseIdentifier", "")
    declared = [d for d in children(root, "responseDeclaration") if d.get("identifier") == response]
    if not declared:
        field = f"{doc.name(interaction)}/@responseIdentifier"
        raise Invalid(field, f"no response declaration {response[:40]!r}")
    declaration = read_declaration(doc, declared[0])
    scoring = analyse(doc, child(root, "responseProcessing"), response)
    feedback = Feedback()
    answers_body = interaction_body(
        doc, interaction, declaration, scoring, writer, feedback, item.skip
    )
    choice_ids = frozenset(c.id for c in answers_body.choices)
    inside = _inside(interaction)
    blocks = [e for e in body.iter() if e.tag in FEEDBACK_TAGS and e not in inside]
    for element in [*children(root, "modalFeedback"), *blocks]:
        kind, key = classify(element, choice_ids)
        html = writer.inner(content(element), where=doc.name(element))
        if kind == "unplaced" and html:
            item.skip(doc.name(element), f"feedback shown unless {key!r} is chosen is left out")
        feedback.add(kind, key, html)
    stem = stem_html(item.doc, body, interaction, writer, item.skip)
    if not stem:
        raise Invalid(doc.name(body), "the item has no text")
    final, left_out = applied(answers_body, feedback)
    if left_out:
        message = "feedback on right or wrong answers that no answer can carry is left out"
        item.skip("modalFeedback", message)
    section = (item.source.section,) if item.source.section else ()
    names = item.source.skill_names or _label(root) or section or (default_skill,)
    for name in names:
        item.read.skills.setdefault(skill_id_for(name), name)
    return ContentItem(
        item_id=item.read.identifier,
        type=final.type,
        stem_html=stem,
        skill_ids=tuple(item.read.skills),
        choices=final.choices,
        text_answers=final.text_answers,
        numeric_answers=final.numeric_answers,
        hints_html=tuple(feedback.hints),
        solution_html="".join(feedback.solution),
        general_feedback_html="".join(feedback.general),
        partial_credit=final.partial_credit,
        media=tuple(writer.media.values()),
    )


def _inside(interaction: Element) -> set[Element]:
    return {e for choice in interaction for e in choice.iter() if e.tag == "feedbackInline"}


def _label(root: Element) -> tuple[str, ...]:
    # A label that only repeats the title or identifier names the item, not a skill.
    label = root.get("label", "").strip()
    names = {root.get("title", "").strip(), root.get("identifier", "").strip()}
    return (label,) if label and label not in names else ()
