"""One piece of course HTML made safe to show: maths converted first, then sanitised."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from attune.content.render.maths import render_maths
from attune.content.render.sanitise import Sanitised, sanitise_with_report


def render_html(
    text: str,
    *,
    media_url: Callable[[str], str] | None = None,
    media_alt: Mapping[str, str] | None = None,
) -> Sanitised:
    """``text`` with its LaTeX as MathML, sanitised by the allow-list (MathML included).

    The order matters: the converter's output passes the same allow-list as the author's HTML.
    """
    if not any(delimiter in text for delimiter in ("\\(", "\\[", "$$")):
        return sanitise_with_report(text, media_url=media_url, media_alt=media_alt)
    maths = render_maths(text)
    clean = sanitise_with_report(maths.html, media_url=media_url, media_alt=media_alt)
    return Sanitised(clean.html, clean.images_without_alt, maths.latex_errors)
