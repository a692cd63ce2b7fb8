"""The practice page read as a browser reads it: its forms (action, method, the fields a
submit would send) and its links. Pure: HTML in, :class:`Page` out (``bench.learners`` uses it).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

import lxml.html


@dataclass
class Form:
    """One ``<form>``: where it posts, its hidden fields, and the fields a learner fills."""

    action: str
    method: str
    form_id: str = ""
    hidden: dict[str, str] = field(default_factory=dict)
    text: dict[str, dict[str, str]] = field(default_factory=dict)  # name -> its attributes
    choices: dict[str, list[str]] = field(default_factory=dict)  # radio/checkbox/select values
    multiple: set[str] = field(default_factory=set)  # names whose choices are checkboxes


@dataclass
class Page:
    """What a browser would offer the learner on one page."""

    forms: list[Form] = field(default_factory=list)
    links: dict[str, str] = field(default_factory=dict)  # element id -> href

    def form(self, form_id: str) -> Form | None:
        """The form with this id, if the page has it."""
        return next((f for f in self.forms if f.form_id == form_id), None)


def read_page(html: str) -> Page:
    """The forms and identified links of ``html``, parsed as a browser's HTML parser would
    (libxml2's, through lxml: about 15x cheaper than html.parser here, so the generator is
    less of the machine's load)."""
    page = Page()
    root = lxml.html.fromstring(html)
    for link in root.iter("a"):
        if link.get("id") and link.get("href"):
            page.links[link.get("id", "")] = link.get("href", "")
    for element in root.iter("form"):
        form = Form(
            element.get("action", ""),
            (element.get("method") or "get").lower(),
            element.get("id", ""),
        )
        page.forms.append(form)
        for control in element.iter("input", "textarea", "select"):
            name = control.get("name")
            if not name:
                continue
            attrs = {str(k): str(v) for k, v in control.attrib.items()}
            if control.tag == "input":
                _input(form, name, attrs)
            elif control.tag == "textarea":
                form.text[name] = attrs
            else:
                values = [o.get("value", "") for o in control.iter("option") if "value" in o.attrib]
                form.choices.setdefault(name, []).extend(values)
    return page


def _input(form: Form, name: str, a: dict[str, str]) -> None:
    kind = a.get("type", "text").lower()
    if kind == "hidden":
        form.hidden[name] = a.get("value", "")
    elif kind in ("radio", "checkbox"):
        form.choices.setdefault(name, []).append(a.get("value", "on"))
        if kind == "checkbox":
            form.multiple.add(name)
    elif kind not in ("submit", "button", "reset", "image", "file"):
        form.text[name] = a


def fill(form: Form, rng: random.Random, typed: str) -> list[tuple[str, str]]:
    """The fields a submit of ``form`` sends: its hidden fields, one choice per radio group or
    select (some of the boxes of a checkbox group), and ``typed`` in each text field."""
    fields = list(form.hidden.items())
    for name, values in form.choices.items():
        if not values:
            continue
        if name in form.multiple:
            fields += [(name, v) for v in values if rng.random() < 0.5] or [(name, values[0])]
        else:
            fields.append((name, rng.choice(values)))
    fields += [(name, typed) for name in form.text]
    return fields
