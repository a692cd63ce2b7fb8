"""The mastery heatmap, learners (rows) x skills (columns), as inline SVG and as a table.

Each cell is coloured by P(L) on the cividis scale and also marks its status with a shape, so
colour is never the only cue (WCAG 2.2 SC 1.4.1): a check for mastered, a dot for in
progress, nothing for ready, a diagonal hatch (a "barred" cell) for locked, a dash for no
data. The glyph is drawn in black or white, whichever contrasts more with the cell (>= 4.5:1,
see ``palette``). Every cell has a ``<title>`` tooltip with the learner, the skill, P(L) and
the status in words; labels are cut to fit and carry their full text in a ``<title>``.

Size: a class of 500 x 60 is 30,000 cells, so a cell is one ``<use>`` of a shared definition
(its colour and glyph, with P(L) quantised to 0.01, the tooltips' own precision) inside a
row group that holds its y offset, in a coordinate system where a cell is 1 x 1. What is
left per cell is the element, its column number and its tooltip: see bench/dashboard_charts.py
for the bytes measured.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from attune.gateway.dashboard import markup as m
from attune.gateway.dashboard import palette
from attune.gateway.dashboard.model import STATUS_TEXT, STATUSES, HeatCell, Label, Status

Cells = Mapping[tuple[str, str], HeatCell]  # keyed by (row key, column key)

CELL_MIN: Final = 10  # px: below this the glyphs stop being legible
CELL_MAX: Final = 28
GRID_WIDTH: Final = 840  # px the columns share before the cell size is capped
GRID_HEIGHT: Final = 8000  # px the rows share (a tall class scrolls; the viewBox scales)
LABEL_CHARS: Final = 24  # labels longer than this are cut (full text in their title)
LEVELS: Final = 100  # P(L) quantised to 1/LEVELS for the shared cell definitions
ANGLE: Final = 60  # degrees the column labels rise
LEGEND_HEIGHT: Final = 48
LEGEND_WIDTH: Final = 640
_LETTER: Final[dict[Status, str]] = {
    "mastered": "m",
    "in_progress": "p",
    "ready": "r",
    "locked": "l",
}
# Glyphs in cell units (a cell is 1 x 1); ``fill``/``stroke`` come from the referencing <use>.
_GLYPHS: Final = (
    '<path id="{p}-k" d="M.24 .52L.43 .71L.77 .3" fill="none" stroke-width=".13"'
    ' stroke-linecap="round" stroke-linejoin="round"/>'
    '<circle id="{p}-o" cx=".5" cy=".5" r=".16" stroke="none"/>'
    '<path id="{p}-x" d="M.04 .5L.5 .04M.04 .96L.96 .04M.5 .96L.96 .5" fill="none"'
    ' stroke-width=".08"/>'
    '<path id="{p}-z" d="M.3 .5H.7" fill="none" stroke-width=".08"/>'
    '<rect id="{p}-c" x=".04" y=".04" width=".92" height=".92"/>'
)
_MARK: Final[dict[Status, str]] = {
    "mastered": '<use href="#{p}-k" stroke="{ink}"/>',
    "in_progress": '<use href="#{p}-o" fill="{ink}"/>',
    "ready": "",
    "locked": '<use href="#{p}-x" stroke="{ink}"/>',
}


@dataclass(frozen=True, slots=True)
class _Layout:
    cell: int
    font: int
    label_width: float  # the row labels' column
    top: float  # where the grid starts
    width: float
    height: float
    row_chars: int
    column_chars: int


def _layout(rows: Sequence[Label], columns: Sequence[Label]) -> _Layout:
    n_rows, n_cols = max(1, len(rows)), max(1, len(columns))
    cell = max(CELL_MIN, min(CELL_MAX, GRID_WIDTH // n_cols, GRID_HEIGHT // n_rows))
    font = max(9, min(13, cell - 2))
    char = 0.6 * font  # a sans-serif character's average advance, in ems
    row_chars = min(LABEL_CHARS, max((len(m.clean(r.name)) for r in rows), default=1))
    column_chars = min(LABEL_CHARS, max((len(m.clean(c.name)) for c in columns), default=1))
    label_width = row_chars * char + 12
    rise = column_chars * char
    top = LEGEND_HEIGHT + rise * math.sin(math.radians(ANGLE)) + 10
    overhang = rise * math.cos(math.radians(ANGLE))
    width = max(label_width + n_cols * cell + overhang + 8, LEGEND_WIDTH)
    return _Layout(
        cell, font, label_width, top, width, top + n_rows * cell + 8, row_chars, column_chars
    )


def _cell_def(prefix: str, status: Status, level: int) -> str:
    fill = palette.sequential(level / LEVELS)
    mark = _MARK[status].format(p=prefix, ink=palette.text_colour(fill))
    return (
        f'<g id="{prefix}-{_LETTER[status]}{level}"><use href="#{prefix}-c" fill="{fill}"/>'
        f"{mark}</g>"
    )


def _no_data_def(prefix: str) -> str:
    return (
        f'<g id="{prefix}-n"><use href="#{prefix}-c" fill="{palette.WHITE}" stroke="{m.GRID}"'
        f' stroke-width=".06"/><use href="#{prefix}-z" stroke="{m.GRID}"/></g>'
    )


def _gradient(prefix: str) -> str:
    stops = "".join(f'<stop offset="{x}" stop-color="{c}"/>' for x, c in palette.CIVIDIS)
    return f'<linearGradient id="{prefix}-grad">{stops}</linearGradient>'


def _legend(prefix: str, with_no_data: bool) -> str:
    """P(L)'s scale as a gradient bar, then one key per status (a white cell, black glyph)."""
    parts = [
        '<g font-size="11">',
        '<text x="8" y="22">P(L)</text>',
        f'<rect x="42" y="12" width="160" height="12" fill="url(#{prefix}-grad)"'
        f' stroke="{m.GRID}"/>',
        '<text x="42" y="38" text-anchor="middle">0</text>',
        '<text x="122" y="38" text-anchor="middle">0.5</text>',
        '<text x="202" y="38" text-anchor="middle">1</text>',
    ]
    x = 230.0
    keys: list[tuple[str, str]] = [
        (_MARK[s].format(p=prefix, ink=palette.BLACK), STATUS_TEXT[s]) for s in STATUSES
    ]
    if with_no_data:
        keys.append((f'<use href="#{prefix}-z" stroke="{m.GRID}"/>', "no data"))
    for mark, words in keys:
        parts.append(
            f'<g transform="translate({m.coord(x)} 9) scale(18)"><use href="#{prefix}-c"'
            f' fill="{palette.WHITE}" stroke="{m.GRID}" stroke-width=".06"/>{mark}</g>'
            f'<text x="{m.coord(x + 22)}" y="22">{m.text(words)}</text>'
        )
        x += 22 + 6.6 * len(words) + 18
    parts.append("</g>")
    return "".join(parts)


def heatmap_svg(
    rows: Sequence[Label],
    columns: Sequence[Label],
    cells: Cells,
    *,
    title: str,
    description: str,
    id_prefix: str = "hm",
) -> str:
    """The heatmap as one inline ``<svg>`` (rows and columns drawn in the order given).

    A (row, column) pair missing from ``cells`` is drawn as "no data". ``id_prefix`` starts
    every id of the chart: give each chart on a page its own."""
    p = m.check_id(id_prefix)
    lay = _layout(rows, columns)
    if not rows or not columns:
        return (
            m.svg_open(LEGEND_WIDTH, 40, p, title, description)
            + '<text x="8" y="24">No learners or skills to show.</text></svg>'
        )
    row_names = [m.text(r.name) for r in rows]
    column_names = [m.text(c.name) for c in columns]
    used: dict[str, str] = {}  # definition id -> its markup, only for the cells drawn
    grid: list[str] = []
    for i, (row, row_name) in enumerate(zip(rows, row_names, strict=True)):
        grid.append(f'<g transform="translate(0 {i})">')
        for j, (column, column_name) in enumerate(zip(columns, column_names, strict=True)):
            x = f' x="{j}"' if j else ""
            value = cells.get((row.key, column.key))
            if value is None:
                ref, tip = f"{p}-n", "no data"
                if ref not in used:
                    used[ref] = _no_data_def(p)
            else:
                level = round(value.p_mastery * LEVELS)
                ref = f"{p}-{_LETTER[value.status]}{level}"
                if ref not in used:
                    used[ref] = _cell_def(p, value.status, level)
                tip = f"P(L) {value.p_mastery:.2f}, {STATUS_TEXT[value.status]}"
            grid.append(
                f'<use href="#{ref}"{x}><title>{row_name}, {column_name}: {tip}</title></use>'
            )
        grid.append("</g>")
    return "".join(
        (
            m.svg_open(lay.width, lay.height, p, title, description),
            "<defs>",
            _gradient(p),
            _GLYPHS.format(p=p),
            *used.values(),
            "</defs>",
            _legend(p, f"{p}-n" in used),
            _labels(rows, columns, lay),
            f'<g transform="translate({m.coord(lay.label_width)} {m.coord(lay.top)})'
            f' scale({lay.cell})">',
            *grid,
            "</g></svg>",
        )
    )


def _labels(rows: Sequence[Label], columns: Sequence[Label], lay: _Layout) -> str:
    """Row labels right-aligned left of the grid; column labels rising above it."""
    parts = [f'<g font-size="{lay.font}">']
    nudge = lay.font * 0.35  # from the baseline to the middle of the lowercase letters
    for i, row in enumerate(rows):
        y = lay.top + (i + 0.5) * lay.cell + nudge
        parts.append(
            f'<text x="{m.coord(lay.label_width - 6)}" y="{m.coord(y)}" text-anchor="end">'
            f"{m.text(m.truncate(row.name, lay.row_chars))}<title>{m.text(row.name)}</title>"
            "</text>"
        )
    for j, column in enumerate(columns):
        x = lay.label_width + (j + 0.5) * lay.cell + nudge
        parts.append(
            f'<text transform="translate({m.coord(x)} {m.coord(lay.top - 6)})'
            f' rotate(-{ANGLE})">{m.text(m.truncate(column.name, lay.column_chars))}'
            f"<title>{m.text(column.name)}</title></text>"
        )
    parts.append("</g>")
    return "".join(parts)


def heatmap_table(
    rows: Sequence[Label],
    columns: Sequence[Label],
    cells: Cells,
    *,
    caption: str,
    row_header: str = "Learner",
) -> str:
    """The data behind the heatmap as an HTML table: a row per learner (``scope="row"``), a
    column per skill (``scope="col"``), each cell "P(L), status" in words."""
    out = [m.table_open(caption, [row_header, *(c.name for c in columns)])]
    for row in rows:
        out.append(f'<tr><th scope="row">{m.text(row.name)}</th>')
        for column in columns:
            value = cells.get((row.key, column.key))
            words = (
                "no data"
                if value is None
                else f"{value.p_mastery:.2f}, {STATUS_TEXT[value.status]}"
            )
            out.append(f"<td>{words}</td>")
        out.append("</tr>")
    out.append("</tbody></table>")
    return "".join(out)
