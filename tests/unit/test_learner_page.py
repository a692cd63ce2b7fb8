"""bench/learner_page.py reads a page as a browser offers it: each form's action, method,
hidden fields, text fields and choices, and the links with an id; ``fill`` sends what a
submit of the form would."""

from __future__ import annotations

import random

from bench.learner_page import fill, read_page

PAGE = """<!doctype html><html><head><title>t</title></head><body>
<a id="next" href="/practice/abc">Next question</a> <a href="/nowhere">no id</a>
<form id="answer-form" action="/practice/abc/answer" method="POST">
  <input type="hidden" name="event_id" value="e-1">
  <input type="text" name="answer" data-item="int-sub/3" data-seed="42" required>
  <textarea name="working"></textarea>
  <input type="radio" name="pick" value="a"><input type="radio" name="pick" value="b">
  <input type="checkbox" name="boxes" value="x"><input type="checkbox" name="boxes" value="y">
  <select name="unit"><option value="cm">cm</option><option>no value</option>
    <option value="m">m</option></select>
  <input type="submit" value="Check"><input name="" value="unnamed">
</form>
<form action="/logout"><input type="hidden" name="t" value="1"></form>
</body></html>"""


def test_a_page_gives_its_forms_fields_and_links() -> None:
    page = read_page(PAGE)
    assert page.links == {"next": "/practice/abc"}
    form = page.form("answer-form")
    assert form is not None and form.action == "/practice/abc/answer" and form.method == "post"
    assert form.hidden == {"event_id": "e-1"}
    assert set(form.text) == {"answer", "working"}
    assert form.text["answer"]["data-seed"] == "42"
    assert form.choices == {"pick": ["a", "b"], "boxes": ["x", "y"], "unit": ["cm", "m"]}
    assert form.multiple == {"boxes"}
    [_, other] = page.forms
    assert other.method == "get" and other.form_id == "" and other.hidden == {"t": "1"}
    assert page.form("missing") is None


def test_fill_sends_hidden_fields_one_choice_per_group_and_the_typed_text() -> None:
    form = read_page(PAGE).form("answer-form")
    assert form is not None
    sent = fill(form, random.Random(3), "7")
    names = [name for name, _ in sent]
    assert ("event_id", "e-1") in sent and ("answer", "7") in sent and ("working", "7") in sent
    assert names.count("pick") == 1 and names.count("unit") == 1
    assert 1 <= names.count("boxes") <= 2
    assert dict(sent)["unit"] in ("cm", "m")
