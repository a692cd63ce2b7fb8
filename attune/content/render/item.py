"""Rendering a :class:`~attune.content.model.ContentItem` into safe, accessible HTML fragments.

Every piece of author HTML goes through :func:`~attune.content.render.fragment.render_html`
(LaTeX to MathML, then the allow-list). The fragments are separate so the page decides when to
show them: hints one at a time on request, the solution and feedback after answering.
Element ids are derived from the item id (a readable slug and a digest, so two ids never
collide however the item ids are spelled), never taken from the content.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from markupsafe import Markup

from attune.content.model import Choice, ContentItem, ItemType
from attune.content.render.controls import choice_group, inline_choice, typed_answer
from attune.content.render.fragment import render_html
from attune.content.render.sanitise import Sanitised, plain_text

_SLUG = re.compile(r"[^A-Za-z0-9_-]+")


@dataclass(frozen=True)
class RenderedItem:
    """The HTML fragments of one item, each sanitised, with maths as MathML."""

    item_id: str
    item_type: ItemType
    dom_id: str
    """The prefix of every element id in these fragments."""
    stem_html: str
    controls_html: str
    hints_html: tuple[str, ...] = ()
    """One fragment per hint, in order: show them one at a time, on request."""
    solution_html: str = ""
    general_feedback_html: str = ""
    choice_feedback_html: Mapping[str, str] = field(default_factory=dict)
    """Feedback per choice id, for the options the package gives feedback for."""
    images_without_alt: tuple[str, ...] = ()
    latex_errors: tuple[str, ...] = ()

    @property
    def question_html(self) -> str:
        """The stem and the answer controls, as they sit inside the page's form."""
        return self.stem_html + self.controls_html


def dom_id(item_id: str, field_prefix: str = "answer") -> str:
    """A safe, unique element-id prefix for an item (``attune-<slug>-<digest>``)."""
    slug = _SLUG.sub("-", item_id).strip("-")[:40] or "item"
    digest = hashlib.sha256(f"{field_prefix}\0{item_id}".encode()).hexdigest()[:10]
    return f"attune-{slug}-{digest}"


class _Collector:
    """Renders fragments and gathers what the validator may want to hear about."""

    def __init__(self, media_url: Callable[[str], str], media_alt: Mapping[str, str]) -> None:
        self._media_url = media_url
        self._media_alt = media_alt
        self.missing_alt: list[str] = []
        self.latex_errors: list[str] = []

    def html(self, text: str) -> str:
        if not text.strip():
            return ""
        result: Sanitised = render_html(text, media_url=self._media_url, media_alt=self._media_alt)
        self.missing_alt.extend(result.images_without_alt)
        self.latex_errors.extend(result.latex_errors)
        return result.html

    def section(self, kind: str, label: str, text: str, section_id: str) -> str:
        body = self.html(text)
        if not body:
            return ""
        return str(
            Markup('<section class="attune-{}" id="{}" aria-label="{}">{}</section>').format(
                kind, section_id, label, Markup(body)
            )
        )


def render_item(
    item: ContentItem, *, media_url: Callable[[str], str], field_prefix: str = "answer"
) -> RenderedItem:
    """The stem, answer controls, hints, solution and feedback of ``item`` as safe HTML.

    ``media_url`` maps a package path (``media/graph.png``) to the URL serving it;
    ``field_prefix`` is the form field name of the answer (one name; checkboxes repeat it).
    """
    base = dom_id(item.item_id, field_prefix)
    out = _Collector(media_url, {m.path: m.alt for m in item.media if m.alt.strip()})

    def choice_html(choice: Choice) -> str:
        return out.html(choice.html)

    def option_text(choice: Choice) -> str:
        return plain_text(choice.html)

    stem = str(
        Markup('<div class="attune-stem" id="{}-stem">{}</div>').format(
            base, Markup(out.html(item.stem_html))
        )
    )
    if item.type in ("choice", "multiple_response"):
        controls = choice_group(item, base, field_prefix, choice_html)
    elif item.type == "inline_choice":
        controls = inline_choice(item, base, field_prefix, option_text)
    else:
        controls = typed_answer(item, base, field_prefix)
    total = len(item.hints_html)
    hints = tuple(
        out.section("hint", f"Hint {n} of {total}", hint, f"{base}-hint-{n}")
        for n, hint in enumerate(item.hints_html, 1)
    )
    feedback = {
        choice.id: out.section("feedback", "Feedback", choice.feedback_html, f"{base}-fb-{n}")
        for n, choice in enumerate(item.choices, 1)
        if choice.feedback_html.strip()
    }
    return RenderedItem(
        item_id=item.item_id,
        item_type=item.type,
        dom_id=base,
        stem_html=stem,
        controls_html=controls,
        hints_html=tuple(h for h in hints if h),
        solution_html=out.section(
            "solution", "Worked solution", item.solution_html, f"{base}-solution"
        ),
        general_feedback_html=out.section(
            "feedback", "Feedback", item.general_feedback_html, f"{base}-feedback"
        ),
        choice_feedback_html=MappingProxyType(feedback),
        images_without_alt=tuple(out.missing_alt),
        latex_errors=tuple(out.latex_errors),
    )
