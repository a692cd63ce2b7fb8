"""The answer controls of each item type: native form controls only, each one labelled.

Native controls are keyboard operable without script (WCAG 2.2, SC 2.1.1). A group of radios
or checkboxes sits in a ``fieldset`` whose ``legend`` says what to do and which is described
by the stem (SC 1.3.1, 3.3.2; WAI-ARIA APG, "radio group"); a typed answer has a visible
``label`` and a format hint tied to it with ``aria-describedby``.
"""

from __future__ import annotations

from collections.abc import Callable

from markupsafe import Markup

from attune.content.model import Choice, ContentItem

ChoiceHtml = Callable[[Choice], str]
"""Renders a choice's HTML (maths and sanitising); the caller supplies it."""

LEGENDS = {
    "choice": "Choose one answer.",
    "multiple_response": "Choose every answer that applies.",
}
FORMAT_HINTS = {
    "text_entry": "Type your answer as a word or a short phrase.",
    "numeric": "Type a number, for example 2.5 or -3/4.",
    "math": "Type an expression, for example 2*x + 1: use * to multiply, / to divide and ^ for "
    "powers.",
    "extended_text": "Write your answer in a few sentences.",
}


def _units(item: ContentItem) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for answer in item.numeric_answers:
        seen.update(dict.fromkeys(answer.units))
    return tuple(seen)


def format_hint(item: ContentItem) -> str:
    """The plain-text hint on the expected format of a typed answer (and its units)."""
    hint = FORMAT_HINTS.get(item.type, "")
    units = _units(item)
    if item.type == "numeric" and units:
        listed = ", ".join(units)
        hint = f"Type a number followed by its unit ({listed}), for example 2.5 {units[0]}."
    return hint


def choice_group(item: ContentItem, base: str, name: str, choice_html: ChoiceHtml) -> str:
    """A fieldset of radios (choice) or checkboxes (multiple response)."""
    kind = "radio" if item.type == "choice" else "checkbox"
    rows = []
    for index, choice in enumerate(item.choices, 1):
        control = f"{base}-choice-{index}"
        rows.append(
            Markup(
                '<div class="attune-option"><input type="{}" id="{}" name="{}" value="{}">'
                ' <label for="{}">{}</label></div>'
            ).format(kind, control, name, choice.id, control, Markup(choice_html(choice)))
        )
    return str(
        Markup(
            '<fieldset class="attune-choices" id="{}-answer" aria-describedby="{}-stem">'
            "<legend>{}</legend>{}</fieldset>"
        ).format(base, base, LEGENDS[item.type], Markup("").join(rows))
    )


def inline_choice(item: ContentItem, base: str, name: str, option_text: ChoiceHtml) -> str:
    """A labelled select; an option holds text only, so each choice is given as its text."""
    options = Markup("").join(
        Markup('<option value="{}">{}</option>').format(choice.id, Markup(option_text(choice)))
        for choice in item.choices
    )
    return str(
        Markup(
            '<div class="attune-answer"><label for="{}-answer">Choose an answer</label> '
            '<select id="{}-answer" name="{}" aria-describedby="{}-stem">'
            '<option value="">Choose…</option>{}</select></div>'
        ).format(base, base, name, base, options)
    )


def typed_answer(item: ContentItem, base: str, name: str) -> str:
    """A labelled text input (a textarea for extended text) with its format hint.

    Numeric answers get ``inputmode="decimal"`` (a number pad on phones) unless a unit must be
    typed too: the decimal pad has no letters.
    """
    hint_id = f"{base}-format"
    control = f"{base}-answer"
    hint = Markup('<p class="attune-format" id="{}">{}</p>').format(hint_id, format_hint(item))
    label = Markup('<label for="{}">Your answer</label>').format(control)
    if item.type == "extended_text":
        field = Markup(
            '<textarea id="{}" name="{}" rows="6" aria-describedby="{} {}-stem"></textarea>'
        ).format(control, name, hint_id, base)
    else:
        extra = Markup(' spellcheck="false" autocapitalize="off"')
        if item.type == "numeric" and not _units(item):
            extra = Markup(' inputmode="decimal"') + extra
        field = Markup(
            '<input type="text" id="{}" name="{}" autocomplete="off"'
            ' aria-describedby="{} {}-stem"{}>'
        ).format(control, name, hint_id, base, extra)
    return str(Markup('<div class="attune-answer">{} {}{}</div>').format(label, field, hint))
