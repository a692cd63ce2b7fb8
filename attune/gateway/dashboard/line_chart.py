"""A small line chart (e.g. one skill's P(L) after each of a learner's answers), with its data
table.

Points are joined in order by a line and each is marked, so a single answer still shows. A
point is marked filled or hollow (e.g. a right or a wrong answer): shape, not colour, carries
that difference (WCAG 2.2 SC 1.4.1), and the table says it in words. A reference line (e.g.
the mastery threshold) is dashed and labelled. Each point has a ``<title>`` tooltip.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from attune.gateway.dashboard import markup as m
from attune.gateway.dashboard import palette
from attune.gateway.dashboard.axes import Frame, nice_ticks, scale
from attune.gateway.dashboard.model import Marker

WIDTH: Final = 640
HEIGHT: Final = 200
FRAME: Final = Frame(left=56, top=16, right=WIDTH - 16, bottom=HEIGHT - 44)
LIGHT_GRID: Final = "#d9d9d9"  # decorative guide lines; the axes themselves are black
MAX_X_LABELS: Final = 10
RADIUS: Final = 3.5


@dataclass(frozen=True, slots=True)
class Point:
    """One point: ``x`` and ``y``, its tooltip (``label``), and whether it is drawn filled."""

    x: float
    y: float
    label: str
    filled: bool = True

    def __post_init__(self) -> None:
        if not (math.isfinite(self.x) and math.isfinite(self.y)):
            raise ValueError(f"a point must be finite, got ({self.x!r}, {self.y!r})")


def describe_line(points: Sequence[Point], x_label: str, y_label: str) -> str:
    """A one-sentence summary of a line chart, for its ``<desc>``."""
    if not points:
        return f"{y_label}: no values yet."
    low = min(points, key=lambda p: p.y)
    high = max(points, key=lambda p: p.y)
    return (
        f"{y_label} at {len(points)} values of {x_label}: from {m.num(points[0].y)} to "
        f"{m.num(points[-1].y)}, lowest {m.num(low.y)}, highest {m.num(high.y)}."
    )


def line_chart_svg(
    points: Sequence[Point],
    *,
    title: str,
    x_label: str,
    y_label: str,
    x_domain: tuple[float, float] | None = None,
    y_domain: tuple[float, float] = (0.0, 1.0),
    reference: Marker | None = None,
    description: str | None = None,
    id_prefix: str = "line",
) -> str:
    """``points`` (in order) joined by a line on a fixed ``y_domain`` (P(L): 0 to 1);
    ``x_domain`` defaults to the points' range, so charts of one learner can share an axis.
    ``reference`` is drawn as a dashed horizontal line with its label."""
    p = m.check_id(id_prefix)
    desc = description if description is not None else describe_line(points, x_label, y_label)
    if not points:
        return (
            m.svg_open(WIDTH, 40, p, title, desc) + '<text x="8" y="24">No values yet.</text></svg>'
        )
    f = FRAME
    x_low, x_high = x_domain or (min(pt.x for pt in points), max(pt.x for pt in points))
    x_ticks = nice_ticks(x_low, x_high, count=MAX_X_LABELS, whole=True)
    y_ticks = nice_ticks(*y_domain, count=4)
    xl, xh, yl, yh = x_ticks[0], x_ticks[-1], y_ticks[0], y_ticks[-1]

    def at(pt: Point) -> tuple[str, str]:
        return m.coord(scale(pt.x, xl, xh, f.left, f.right)), m.coord(
            scale(min(yh, max(yl, pt.y)), yl, yh, f.bottom, f.top)
        )

    parts = [m.svg_open(WIDTH, HEIGHT, p, title, desc), '<g font-size="11">']
    for t in y_ticks:
        y = m.coord(scale(t, yl, yh, f.bottom, f.top))
        parts.append(
            f'<path d="M{m.coord(f.left)} {y}H{m.coord(f.right)}" stroke="{LIGHT_GRID}"/>'
            f'<text x="{m.coord(f.left - 6)}" y="{y}" dy="4" text-anchor="end">{m.num(t)}</text>'
        )
    for t in x_ticks:
        parts.append(
            f'<text x="{m.coord(scale(t, xl, xh, f.left, f.right))}" y="{m.coord(f.bottom + 16)}"'
            f' text-anchor="middle">{m.num(t)}</text>'
        )
    parts.append(
        f'<path d="M{m.coord(f.left)} {m.coord(f.top)}V{m.coord(f.bottom)}H{m.coord(f.right)}"'
        f' fill="none" stroke="{m.INK}"/></g>'
        f'<text x="{m.coord(f.left + f.plot_width / 2)}" y="{HEIGHT - 8}"'
        f' text-anchor="middle">{m.text(x_label)}</text>'
        f'<text transform="translate(12 {m.coord(f.top + f.plot_height / 2)}) rotate(-90)"'
        f' text-anchor="middle">{m.text(y_label)}</text>'
    )
    if reference is not None:
        ry = m.coord(scale(min(yh, max(yl, reference.value)), yl, yh, f.bottom, f.top))
        words = m.text(f"{reference.label}: {m.num(reference.value)}")
        parts.append(
            f"<g><title>{words}</title>"
            f'<path d="M{m.coord(f.left)} {ry}H{m.coord(f.right)}" stroke="{m.INK}"'
            f' stroke-dasharray="6 4"/>'
            f'<text x="{m.coord(f.right)}" y="{ry}" dy="-4" text-anchor="end"'
            f' font-size="11">{words}</text></g>'
        )
    path = "".join(("M" if i == 0 else "L") + " ".join(at(pt)) for i, pt in enumerate(points))
    parts.append(f'<path d="{path}" fill="none" stroke="{palette.BAR_COLOUR}" stroke-width="2"/>')
    for pt in points:
        x, y = at(pt)
        fill = palette.BAR_COLOUR if pt.filled else palette.WHITE
        parts.append(
            f'<circle cx="{x}" cy="{y}" r="{RADIUS}" fill="{fill}" stroke="{palette.BAR_COLOUR}"'
            f' stroke-width="1.5"><title>{m.text(pt.label)}</title></circle>'
        )
    parts.append("</svg>")
    return "".join(parts)


def line_chart_table(
    points: Sequence[Point],
    *,
    caption: str,
    x_label: str,
    y_label: str,
    filled_text: tuple[str, str] = ("filled", "hollow"),
) -> str:
    """The chart's data: one row per point (its x, its y, what its mark means in words,
    ``filled_text`` = (filled, hollow), and its tooltip)."""
    out = [m.table_open(caption, [x_label, y_label, "Mark", "Details"])]
    out.extend(
        f'<tr><th scope="row">{m.num(pt.x)}</th><td>{m.num(pt.y)}</td>'
        f"<td>{m.text(filled_text[0] if pt.filled else filled_text[1])}</td>"
        f"<td>{m.text(pt.label)}</td></tr>"
        for pt in points
    )
    out.append("</tbody></table>")
    return "".join(out)
