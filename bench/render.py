"""Item rendering benchmark (issue 13: "the page's render time per item type").

Run: ``python -m bench.render [--seconds 1.0]``. For each item type, renders one realistic
item (a stem with a LaTeX formula and an image, three choices where the type has choices, two
hints, a worked solution with maths, feedback) with :func:`attune.content.render.render_item`
in a loop, and prints renders per second and microseconds per render; plus the cost of one
plain :func:`sanitise` and one :func:`latex_to_mathml` for scale. Warm-up runs first.

A benchmark, not a test: it prints numbers and asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from collections.abc import Callable
from functools import partial

from attune.content.model import (
    CHOICE_TYPES,
    ITEM_TYPES,
    Choice,
    ContentItem,
    ItemType,
    MathAnswer,
    Media,
    NumericAnswer,
    TextAnswer,
)
from attune.content.render import latex_to_mathml, render_item, sanitise

STEM = (
    "<p>A rectangle has sides \\(\\frac{3}{4}\\) m and \\(2^{3}\\) m. "
    "<strong>What is its area?</strong></p>"
    '<p><img src="media/rectangle.png" width="320" height="200"></p>'
)


def sample_item(item_type: ItemType) -> ContentItem:
    """A realistic item of ``item_type``."""
    choices = (
        Choice("a", "<p>\\(6\\) m\\(^2\\)</p>", correct=True, feedback_html="<p>Right.</p>"),
        Choice("b", "<p>\\(8.75\\) m\\(^2\\)</p>", feedback_html="<p>That is the perimeter.</p>"),
        Choice("c", "<p>\\(\\sqrt{6}\\) m\\(^2\\)</p>"),
    )
    return ContentItem(
        item_id=f"area-{item_type}",
        type=item_type,
        stem_html=STEM,
        skill_ids=("area",),
        choices=choices if item_type in CHOICE_TYPES else (),
        text_answers=(TextAnswer("six"),) if item_type == "text_entry" else (),
        numeric_answers=(NumericAnswer(6.0, units=("m^2",)),) if item_type == "numeric" else (),
        math_answer=MathAnswer("6") if item_type == "math" else None,
        hints_html=("<p>Area is length times width.</p>", "<p>\\(\\frac{3}{4} \\times 8\\)</p>"),
        solution_html="$$A = \\frac{3}{4} \\times 2^3 = 6$$<p>So the area is 6 m².</p>",
        general_feedback_html="<p>Multiply the sides.</p>",
        media=(Media("media/rectangle.png", "image/png", "A rectangle, 3/4 m by 8 m"),),
    )


def _rate(work: Callable[[], object], seconds: float) -> tuple[float, int]:
    for _ in range(50):  # warm-up
        work()
    count = 0
    start = time.perf_counter()
    deadline = start + seconds
    while True:
        for _ in range(20):
            work()
        count += 20
        now = time.perf_counter()
        if now >= deadline:
            return count / (now - start), count


def _media_url(path: str) -> str:
    return f"/content/demo/{path}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=1.0, help="measured time per row")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args()
    rows: list[dict[str, object]] = []
    for item_type in ITEM_TYPES:
        item = sample_item(item_type)
        rate, count = _rate(partial(render_item, item, media_url=_media_url), args.seconds)
        rows.append({"what": f"render_item {item_type}", "per_second": rate, "n": count})
    rate, count = _rate(lambda: sanitise(STEM), args.seconds)
    rows.append({"what": "sanitise (the stem, no maths)", "per_second": rate, "n": count})
    rate, count = _rate(lambda: latex_to_mathml("\\frac{3}{4} \\times 2^3"), args.seconds)
    rows.append({"what": "latex_to_mathml (one formula)", "per_second": rate, "n": count})
    if args.json:
        print(json.dumps({"python": platform.python_version(), "rows": rows}, indent=2))
        return
    print(f"{'what':<36} {'per second':>12} {'µs each':>9} {'runs':>8}")
    for row in rows:
        per_second = float(str(row["per_second"]))
        print(f"{row['what']!s:<36} {per_second:>12,.0f} {1e6 / per_second:>9.0f} {row['n']!s:>8}")


if __name__ == "__main__":
    main()
