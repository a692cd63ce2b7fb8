"""Render an item's content reference into a fresh question, so practice never runs out.

Item ``content`` looks like ``template:frac-add-unlike?level=2``. The same content and seed
always give the same question, so a page can re-render a question it showed earlier from the
pair alone.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache
from random import Random

from attune.content import (
    templates_algebra,
    templates_decimal,
    templates_fraction,
    templates_number,
)
from attune.content.question import Question
from attune.content.templates_number import Template

__all__ = ["LEVELS", "Question", "content_ref", "parse_content", "render", "template_names"]

LEVELS = (1, 2, 3)

_CONTENT = re.compile(r"template:([a-z0-9-]+)\?level=(\d+)")


@cache
def _registry() -> Mapping[str, Template]:
    return {
        **templates_number.TEMPLATES,
        **templates_fraction.TEMPLATES,
        **templates_decimal.TEMPLATES,
        **templates_algebra.TEMPLATES,
    }


def template_names() -> tuple[str, ...]:
    """Every template name, in curriculum order."""
    return tuple(_registry())


def content_ref(template: str, level: int) -> str:
    """The content string an item stores to point at ``template`` at ``level``."""
    return f"template:{template}?level={level}"


def parse_content(content: str) -> tuple[str, int]:
    """Split a content reference into (template name, level); ``ValueError`` if malformed."""
    match = _CONTENT.fullmatch(content.strip())
    if match is None:
        raise ValueError(
            f"content {content!r} is not a template reference like 'template:NAME?level=N'"
        )
    name, level = match.group(1), int(match.group(2))
    if name not in _registry():
        raise ValueError(f"unknown template {name!r}")
    if level not in LEVELS:
        raise ValueError(f"template {name!r} has no level {level}; levels are 1, 2 and 3")
    return name, level


def render(content: str, seed: int) -> Question:
    """The question that ``content`` renders to for ``seed``. Deterministic."""
    name, level = parse_content(content)
    # The content goes into the seed too: with a bare Random(seed), every item rendered for
    # attempt n would draw the same numbers, and a learner would see the answer 7 everywhere.
    # String seeds are hashed with SHA-512, so this is stable across runs and processes.
    return _registry()[name](Random(f"{name}?level={level}#{seed}"), level)
