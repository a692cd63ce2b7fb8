"""Distributions and per-item values: a histogram (e.g. time to mastery, with the class median
marked) and a horizontal bar chart (e.g. item difficulty), each with its data table.

Histogram bins are drawn at equal widths whatever their edges, so log-spaced bins (times)
stay readable; the edges are printed on the axis, and a marker is placed by linear
interpolation inside the bin that holds it. Bars are horizontal so long item names fit, one
row each, with the value axis at the top where a long list still shows it. Flagged bars
differ by more than colour (WCAG 2.2 SC 1.4.1): their name is bold and starts with a warning
sign, and the flag is in their tooltip and in the table.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Final

from attune.gateway.dashboard import markup as m
from attune.gateway.dashboard import palette
from attune.gateway.dashboard.axes import Frame, nice_ticks, scale
from attune.gateway.dashboard.model import Bar, Bin, Marker

WIDTH: Final = 640
HEIGHT: Final = 320
HISTOGRAM_FRAME: Final = Frame(left=64, top=40, right=WIDTH - 20, bottom=HEIGHT - 56)
MAX_EDGE_LABELS: Final = 12
MAX_COUNT_LABELS: Final = 24  # above this many bins the counts stay in the tooltips
BAR_ROW: Final = 22
BAR_LABEL_CHARS: Final = 28
WARNING: Final = "\u26a0 "
LIGHT_GRID: Final = "#d9d9d9"  # decorative guide lines; the axes themselves are black


def _range(low: float, high: float) -> str:
    return f"{m.num(low)}{m.EN_DASH}{m.num(high)}"


def _empty(prefix: str, title: str, description: str, words: str) -> str:
    return (
        m.svg_open(WIDTH, 40, prefix, title, description)
        + f'<text x="8" y="24">{m.text(words)}</text></svg>'
    )


def describe_histogram(
    bins: Sequence[Bin], x_label: str, y_label: str, marker: Marker | None = None
) -> str:
    """A one-paragraph summary of a histogram, for its ``<desc>``."""
    total = sum(b.count for b in bins)
    if not bins or total == 0:
        return f"{x_label}: no values yet."
    top = max(bins, key=lambda b: b.count)
    out = (
        f"{x_label}: {total} ({y_label}) in {len(bins)} bins from {m.num(bins[0].low)} to "
        f"{m.num(bins[-1].high)}; the largest bin, {_range(top.low, top.high)}, has {top.count}."
    )
    return out + (f" {marker.label}: {m.num(marker.value)}." if marker else "")


def _marker_x(bins: Sequence[Bin], value: float, frame: Frame) -> float:
    width = frame.plot_width / len(bins)
    if value <= bins[0].low:
        return frame.left
    for i, b in enumerate(bins):
        if value <= b.high:
            inside = (value - b.low) / (b.high - b.low) if b.high > b.low else 0.5
            return frame.left + (i + min(1.0, max(0.0, inside))) * width
    return frame.right


def histogram_svg(
    bins: Sequence[Bin],
    *,
    title: str,
    x_label: str,
    y_label: str,
    marker: Marker | None = None,
    description: str | None = None,
    id_prefix: str = "hist",
) -> str:
    """A histogram of ``bins`` (in order) with ``marker`` (e.g. the class median) drawn as a
    dashed line with its value; ``description`` defaults to :func:`describe_histogram`."""
    p = m.check_id(id_prefix)
    desc = (
        description
        if description is not None
        else describe_histogram(bins, x_label, y_label, marker)
    )
    if not bins:
        return _empty(p, title, desc, "No values yet.")
    f = HISTOGRAM_FRAME
    ticks = nice_ticks(0, max(1, max(b.count for b in bins)), whole=True)
    peak = ticks[-1]
    width = f.plot_width / len(bins)
    parts = [m.svg_open(WIDTH, HEIGHT, p, title, desc), '<g font-size="11">']
    for t in ticks:
        tick_y = m.coord(scale(t, 0, peak, f.bottom, f.top))
        parts.append(
            f'<path d="M{m.coord(f.left)} {tick_y}H{m.coord(f.right)}" stroke="{LIGHT_GRID}"/>'
            f'<text x="{m.coord(f.left - 6)}" y="{tick_y}" dy="4" text-anchor="end">'
            f"{m.num(t)}</text>"
        )
    for i, b in enumerate(bins):
        x, y = f.left + i * width, scale(b.count, 0, peak, f.bottom, f.top)
        parts.append(
            f'<rect x="{m.coord(x + 0.5)}" y="{m.coord(y)}" width="{m.coord(max(1, width - 1))}"'
            f' height="{m.coord(f.bottom - y)}" fill="{palette.BAR_COLOUR}"><title>'
            f"{m.text(x_label)} {_range(b.low, b.high)}: {b.count}</title></rect>"
        )
        if len(bins) <= MAX_COUNT_LABELS and b.count:
            parts.append(
                f'<text x="{m.coord(x + width / 2)}" y="{m.coord(y - 4)}"'
                f' text-anchor="middle">{b.count}</text>'
            )
    edges = [b.low for b in bins] + [bins[-1].high]
    every = math.ceil(len(edges) / MAX_EDGE_LABELS)
    for i in range(0, len(edges), every):
        parts.append(
            f'<text x="{m.coord(f.left + i * width)}" y="{m.coord(f.bottom + 16)}"'
            f' text-anchor="middle">{m.num(edges[i])}</text>'
        )
    parts.append(
        f'<path d="M{m.coord(f.left)} {m.coord(f.top)}V{m.coord(f.bottom)}H{m.coord(f.right)}"'
        f' fill="none" stroke="{m.INK}"/></g>'
        f'<text x="{m.coord(f.left + f.plot_width / 2)}" y="{HEIGHT - 12}"'
        f' text-anchor="middle">{m.text(x_label)}</text>'
        f'<text transform="translate(16 {m.coord(f.top + f.plot_height / 2)}) rotate(-90)"'
        f' text-anchor="middle">{m.text(y_label)}</text>'
    )
    if marker is not None:
        parts.append(_marker(bins, marker, f))
    parts.append("</svg>")
    return "".join(parts)


def _marker(bins: Sequence[Bin], marker: Marker, f: Frame) -> str:
    x = _marker_x(bins, marker.value, f)
    anchor = (
        "start"
        if x < f.left + f.plot_width / 4
        else "end"
        if x > f.right - f.plot_width / 4
        else "middle"
    )
    words = m.text(f"{marker.label}: {m.num(marker.value)}")
    return (
        f"<g><title>{words}</title>"
        f'<path d="M{m.coord(x)} {m.coord(f.top - 8)}V{m.coord(f.bottom)}" stroke="{m.INK}"'
        f' stroke-width="2" stroke-dasharray="6 4"/>'
        f'<text x="{m.coord(x)}" y="{m.coord(f.top - 14)}" text-anchor="{anchor}"'
        f' font-weight="bold">{words}</text></g>'
    )


def histogram_table(
    bins: Sequence[Bin],
    *,
    caption: str,
    x_label: str,
    y_label: str,
    marker: Marker | None = None,
) -> str:
    """The histogram's data: one row per bin (its range, its count), the marker in a footer."""
    out = [m.table_open(caption, [x_label, y_label])]
    out.extend(
        f'<tr><th scope="row">{_range(b.low, b.high)}</th><td>{b.count}</td></tr>' for b in bins
    )
    out.append("</tbody>")
    if marker is not None:
        out.append(
            f'<tfoot><tr><th scope="row">{m.text(marker.label)}</th>'
            f"<td>{m.num(marker.value)}</td></tr></tfoot>"
        )
    out.append("</table>")
    return "".join(out)


def describe_bars(bars: Sequence[Bar], category_label: str, value_label: str) -> str:
    """A one-paragraph summary of a bar chart, for its ``<desc>``."""
    if not bars:
        return f"{value_label}: no {category_label} yet."
    low, high = min(bars, key=lambda b: b.value), max(bars, key=lambda b: b.value)
    flagged = sum(1 for b in bars if b.flag)
    return (
        f"{value_label} of {len(bars)} ({category_label}), from {m.num(low.value)} "
        f"({low.label}) to {m.num(high.value)} ({high.label}); {flagged} flagged."
    )


def bar_chart_svg(
    bars: Sequence[Bar],
    *,
    title: str,
    category_label: str,
    value_label: str,
    domain: tuple[float, float] | None = None,
    description: str | None = None,
    id_prefix: str = "bars",
) -> str:
    """Horizontal bars, one row per ``Bar`` in order, from zero to each value (negative values
    go left). ``domain`` fixes the value axis (e.g. (0, 1) for a proportion); by default it
    spans zero and every value. ``description`` defaults to :func:`describe_bars`."""
    p = m.check_id(id_prefix)
    desc = (
        description if description is not None else describe_bars(bars, category_label, value_label)
    )
    if not bars:
        return _empty(p, title, desc, f"No {category_label} yet.")
    values = [b.value for b in bars]
    low, high = domain if domain else (min(0.0, *values), max(0.0, *values))
    ticks = nice_ticks(low, high)
    low, high = ticks[0], ticks[-1]
    chars = min(BAR_LABEL_CHARS, max(len(m.clean(b.label)) for b in bars) + len(WARNING))
    f = Frame(left=chars * 7.2 + 16, top=52, right=WIDTH - 64, bottom=52 + len(bars) * BAR_ROW)
    height = f.bottom + 12

    def at(value: float) -> float:
        return scale(min(high, max(low, value)), low, high, f.left, f.right)

    parts = [
        m.svg_open(WIDTH, height, p, title, desc),
        f'<text x="{m.coord(f.left + f.plot_width / 2)}" y="16" text-anchor="middle">'
        f"{m.text(value_label)}</text>",
        f'<text x="{m.coord(f.left - 8)}" y="16" text-anchor="end"'
        f' font-weight="bold">{m.text(category_label)}</text><g font-size="11">',
    ]
    for t in ticks:
        x = m.coord(at(t))
        parts.append(
            f'<path d="M{x} {m.coord(f.top)}V{m.coord(f.bottom)}" stroke="{LIGHT_GRID}"/>'
            f'<text x="{x}" y="{m.coord(f.top - 8)}" text-anchor="middle">{m.num(t)}</text>'
        )
    parts.append("</g>")
    zero = at(0.0)
    for i, b in enumerate(bars):
        parts.append(_bar(b, f.top + i * BAR_ROW, at(b.value), zero, f.left, chars))
    parts.append(
        f'<path d="M{m.coord(zero)} {m.coord(f.top)}V{m.coord(f.bottom)}" stroke="{m.INK}"/></svg>'
    )
    return "".join(parts)


def _bar(bar: Bar, top: float, end: float, zero: float, left: float, chars: int) -> str:
    flagged = bool(bar.flag)
    label = (WARNING if flagged else "") + bar.label
    tip = f"{bar.label}: {m.num(bar.value)}" + (f" ({bar.flag})" if flagged else "")
    weight = ' font-weight="bold"' if flagged else ""
    x0, x1 = min(zero, end), max(zero, end)
    mid = m.coord(top + BAR_ROW / 2 + 4)
    value_x, anchor = (x1 + 4, "start") if bar.value >= 0 else (x0 - 4, "end")
    return (
        f"<g><title>{m.text(tip)}</title>"
        f'<text x="{m.coord(left - 8)}" y="{mid}" text-anchor="end"{weight}>'
        f"{m.text(m.truncate(label, chars))}</text>"
        f'<rect x="{m.coord(x0)}" y="{m.coord(top + 3)}" width="{m.coord(max(0.5, x1 - x0))}"'
        f' height="{BAR_ROW - 6}"'
        f' fill="{palette.FLAG_COLOUR if flagged else palette.BAR_COLOUR}"/>'
        f'<text x="{m.coord(value_x)}" y="{mid}" text-anchor="{anchor}" font-size="11">'
        f"{m.num(bar.value)}</text></g>"
    )


def bar_chart_table(
    bars: Sequence[Bar], *, caption: str, category_label: str, value_label: str
) -> str:
    """The bar chart's data: one row per bar (its name, its value, its flag in words)."""
    out = [m.table_open(caption, [category_label, value_label, "Flag"])]
    out.extend(
        f'<tr><th scope="row">{m.text(b.label)}</th><td>{m.num(b.value)}</td>'
        f"<td>{m.text(b.flag)}</td></tr>"
        for b in bars
    )
    out.append("</tbody></table>")
    return "".join(out)
