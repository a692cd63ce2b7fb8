"""Safe, accessible rendering of course items (issue 13): pure functions returning HTML.

- :func:`sanitise`: the allow-list for untrusted course HTML (nh3);
- :func:`render_maths` / :func:`latex_to_mathml`: LaTeX to MathML on the server;
- :func:`render_html`: both, in the right order, for one fragment;
- :func:`render_item`: an item's stem, labelled native controls, hints, solution, feedback.

Flask-free: the gateway's pages embed these strings.
"""

from attune.content.render.fragment import render_html
from attune.content.render.item import RenderedItem, dom_id, render_item
from attune.content.render.maths import LatexError, MathsResult, latex_to_mathml, render_maths
from attune.content.render.sanitise import (
    Sanitised,
    images_without_alt,
    sanitise,
    sanitise_with_report,
)

__all__ = [
    "LatexError",
    "MathsResult",
    "RenderedItem",
    "Sanitised",
    "dom_id",
    "images_without_alt",
    "latex_to_mathml",
    "render_html",
    "render_item",
    "render_maths",
    "sanitise",
    "sanitise_with_report",
]
