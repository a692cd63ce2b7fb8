"""The practice page read as a browser reads it: its forms (action, method, the fields a
submit would send) and its links. Pure: HTML in, :class:`Page` out (``bench.learners`` uses it).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from html.parser import HTMLParser


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


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page = Page()
        self._form: Form | None = None
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._form = Form(a.get("action", ""), a.get("method", "get").lower(), a.get("id", ""))
            self.page.forms.append(self._form)
        elif tag == "a" and a.get("id") and a.get("href"):
            self.page.links[a["id"]] = a["href"]
        elif self._form is None:
            return
        elif tag == "input" and a.get("name"):
            self._input(self._form, a)
        elif tag == "textarea" and a.get("name"):
            self._form.text[a["name"]] = a
        elif tag == "select" and a.get("name"):
            self._select = a["name"]
            self._form.choices.setdefault(a["name"], [])
        elif tag == "option" and self._select is not None and "value" in a:
            self._form.choices[self._select].append(a["value"])

    def _input(self, form: Form, a: dict[str, str]) -> None:
        kind = a.get("type", "text").lower()
        name = a["name"]
        if kind == "hidden":
            form.hidden[name] = a.get("value", "")
        elif kind in ("radio", "checkbox"):
            form.choices.setdefault(name, []).append(a.get("value", "on"))
            if kind == "checkbox":
                form.multiple.add(name)
        elif kind not in ("submit", "button", "reset", "image", "file"):
            form.text[name] = a

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None


def read_page(html: str) -> Page:
    """The forms and identified links of ``html``."""
    reader = _Reader()
    reader.feed(html)
    reader.close()
    return reader.page


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
