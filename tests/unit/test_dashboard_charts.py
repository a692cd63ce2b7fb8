"""The dashboard's charts, tables and CSV (issue 14): escaping of hostile names, the contrast
rule on every colour, status shown without colour, the 500 x 60 heatmap's size and tooltips,
valid XML, the histogram's median marker, and CSV that neither runs formulas nor loses data."""

from __future__ import annotations

import csv
import io
import random
import re
from collections.abc import Iterator
from xml.etree.ElementTree import Element

import pytest
from defusedxml.ElementTree import fromstring
from hypothesis import given
from hypothesis import strategies as st

from attune.gateway.dashboard import markup, palette
from attune.gateway.dashboard.axes import nice_ticks
from attune.gateway.dashboard.csv_export import (
    BOM,
    CSV_MEDIA_TYPE,
    csv_filename,
    field,
    neutralise,
    to_csv,
)
from attune.gateway.dashboard.heatmap import (
    CELL_MAX,
    CELL_MIN,
    LABEL_CHARS,
    heatmap_svg,
    heatmap_table,
)
from attune.gateway.dashboard.histogram import (
    HISTOGRAM_FRAME,
    bar_chart_svg,
    bar_chart_table,
    describe_histogram,
    histogram_svg,
    histogram_table,
)
from attune.gateway.dashboard.model import STATUSES, Bar, Bin, HeatCell, Label, Marker

SVG = "{http://www.w3.org/2000/svg}"
HOSTILE = (
    '<script>alert("x")</script>',
    '" onload="alert(1)',
    "O'Brien & <b>Sons</b>",
    "]]><!-- \x00\x1b\ufffe\u202eevil",
)


def _parse(markup_text: str) -> Element:
    return fromstring(markup_text)  # defusedxml: refuses entities and DTDs


def _tag(element: Element) -> str:
    return element.tag.removeprefix(SVG)


def _text(parent: Element, tag: str) -> str | None:
    child = parent.find(tag)
    return None if child is None else child.text


def _walk(root: Element) -> Iterator[Element]:
    yield from root.iter()


def _assert_no_script_style_or_handlers(root: Element) -> None:
    for element in _walk(root):
        assert _tag(element) not in ("script", "style", "foreignObject")
        assert "style" not in element.attrib
        assert not [a for a in element.attrib if a.lower().startswith("on")]


def _grid_cells(root: Element) -> list[Element]:
    """The heatmap's cells: the <use> elements that carry a tooltip."""
    return [e for e in _walk(root) if _tag(e) == "use" and e.find(f"{SVG}title") is not None]


def _defs(root: Element) -> dict[str, Element]:
    return {e.attrib["id"]: e for e in _walk(root) if "id" in e.attrib}


def _class(
    n_rows: int, n_cols: int, seed: int = 7
) -> tuple[list[Label], list[Label], dict[tuple[str, str], HeatCell]]:
    rng = random.Random(seed)
    rows = [Label(f"l{i}", f"Learner {i:03d}") for i in range(n_rows)]
    cols = [Label(f"s{j}", f"Skill {j:02d}") for j in range(n_cols)]
    cells = {
        (r.key, c.key): HeatCell(rng.random(), rng.choice(STATUSES)) for r in rows for c in cols
    }
    return rows, cols, cells


# ---- palette ---------------------------------------------------------------------------


def test_wcag_formulas_match_published_reference_values() -> None:
    assert palette.relative_luminance("#ffffff") == pytest.approx(1.0)
    assert palette.relative_luminance("#000000") == 0.0
    assert palette.contrast_ratio("#000000", "#ffffff") == pytest.approx(21.0)
    # Well-known pairs: #767676 is the lightest grey passing 4.5:1 on white, #777777 fails.
    assert palette.contrast_ratio("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)
    assert palette.contrast_ratio("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)
    assert palette.contrast_ratio("#ffffff", "#767676") == palette.contrast_ratio(
        "#767676", "#ffffff"
    )


def _every_palette_colour() -> list[str]:
    return [
        *(c for _, c in palette.CIVIDIS),
        *(palette.sequential(k / 100) for k in range(101)),
        *palette.OKABE_ITO.values(),
        *palette.STATUS_COLOURS.values(),
        palette.FLAG_COLOUR,
        palette.BAR_COLOUR,
    ]


@pytest.mark.parametrize("colour", _every_palette_colour())
def test_text_on_every_palette_step_reaches_4_5_to_1(colour: str) -> None:
    ink = palette.text_colour(colour)
    assert ink in (palette.BLACK, palette.WHITE)
    assert palette.contrast_ratio(colour, ink) >= palette.MIN_TEXT_CONTRAST
    other = palette.WHITE if ink == palette.BLACK else palette.BLACK
    assert palette.contrast_ratio(colour, ink) >= palette.contrast_ratio(colour, other)


@given(st.floats(min_value=0.0, max_value=1.0))
def test_any_p_gets_a_readable_text_colour(p: float) -> None:
    colour = palette.sequential(p)
    assert palette.contrast_ratio(colour, palette.text_colour(colour)) >= 4.5


def test_the_sequential_scale_hits_its_control_points_and_gets_lighter() -> None:
    for position, colour in palette.CIVIDIS:
        assert palette.sequential(position) == colour
    lightness = [palette.relative_luminance(palette.sequential(k / 100)) for k in range(101)]
    assert lightness == sorted(lightness)  # a sequential scale: it reads in greyscale too
    assert palette.sequential(-3) == palette.CIVIDIS[0][1]
    assert palette.sequential(7) == palette.CIVIDIS[-1][1]
    assert palette.text_colour(palette.sequential(0)) == palette.WHITE  # dark navy
    assert palette.text_colour(palette.sequential(1)) == palette.BLACK  # yellow
    with pytest.raises(ValueError):
        palette.sequential(float("nan"))


# ---- markup ------------------------------------------------------------------------------


def test_markup_helpers() -> None:
    assert markup.text("<a> & b") == "&lt;a&gt; &amp; b"
    assert markup.attr("\"x'") == "&quot;x&#x27;"
    assert markup.clean("a\x00b\u202ec\ud800d") == "abcd"
    assert markup.truncate("abcdefghij", 5) == "abcd\u2026"
    assert markup.truncate("abc", 5) == "abc"
    assert [markup.num(v) for v in (0.0, -0.001, 0.5, 1.0, 12.345, -0.21)] == [
        "0", "0", "0.5", "1", "12.35", "-0.21"
    ]  # fmt: skip
    for bad in ("", "1x", "a b", 'x"', "x" * 40):
        with pytest.raises(ValueError):
            markup.check_id(bad)
    assert nice_ticks(0, 7, whole=True) == [0, 2, 4, 6, 8]
    assert nice_ticks(0, 3, whole=True) == [0, 1, 2, 3]
    assert nice_ticks(-0.3, 0.8) == [-0.5, 0.0, 0.5, 1.0]
    assert nice_ticks(0, 1) == [0, 0.2, 0.4, 0.6, 0.8, 1.0]


# ---- heatmap -----------------------------------------------------------------------------


def test_heatmap_is_an_accessible_image_with_a_legend() -> None:
    rows, cols, cells = _class(3, 4)
    root = _parse(heatmap_svg(rows, cols, cells, title="Mastery", description="Three learners"))
    assert _tag(root) == "svg"
    assert root.attrib["role"] == "img"
    assert re.fullmatch(r"0 0 [\d.]+ [\d.]+", root.attrib["viewBox"])
    ids = _defs(root)
    assert ids[root.attrib["aria-labelledby"]].text == "Mastery"
    assert _tag(ids[root.attrib["aria-labelledby"]]) == "title"
    assert ids[root.attrib["aria-describedby"]].text == "Three learners"
    assert _tag(ids[root.attrib["aria-describedby"]]) == "desc"
    words = {e.text for e in _walk(root) if _tag(e) == "text"}
    assert {"P(L)", "mastered", "in progress", "ready", "locked"} <= words
    assert "no data" not in words  # only listed when a cell has no data
    _assert_no_script_style_or_handlers(root)


def test_every_cell_has_a_tooltip_in_words() -> None:
    rows = [Label("a", "Ann Lee"), Label("b", "Bo Chen")]
    cols = [Label("f", "Fractions"), Label("d", "Decimals")]
    cells = {
        ("a", "f"): HeatCell(0.734, "in_progress"),
        ("a", "d"): HeatCell(0.97, "mastered"),
        ("b", "f"): HeatCell(0.1, "locked"),
    }
    root = _parse(heatmap_svg(rows, cols, cells, title="t", description="d"))
    tips = [c.find(f"{SVG}title").text for c in _grid_cells(root)]  # type: ignore[union-attr]
    assert tips == [
        "Ann Lee, Fractions: P(L) 0.73, in progress",
        "Ann Lee, Decimals: P(L) 0.97, mastered",
        "Bo Chen, Fractions: P(L) 0.10, locked",
        "Bo Chen, Decimals: no data",
    ]
    assert "no data" in {e.text for e in _walk(root) if _tag(e) == "text"}


def _glyphs_of(root: Element, cell: Element) -> set[str]:
    """The glyph ids a cell draws, read through its shared definition."""
    prefix = root.attrib["aria-labelledby"].removesuffix("-title")
    definition = _defs(root)[cell.attrib["href"].removeprefix("#")]
    refs = {u.attrib["href"].removeprefix(f"#{prefix}-") for u in definition.iter(f"{SVG}use")}
    return refs - {"c"}  # the cell's square itself


def test_each_status_has_its_own_glyph_so_colour_is_not_the_only_cue() -> None:
    rows = [Label("r", "R")]
    cols = [Label(s, s) for s in (*STATUSES, "missing")]
    # The same P(L) for every status: only the glyph can tell them apart.
    cells = {("r", s): HeatCell(0.5, s) for s in STATUSES}
    root = _parse(heatmap_svg(rows, cols, cells, title="t", description="d"))
    glyphs = [_glyphs_of(root, c) for c in _grid_cells(root)]
    assert glyphs == [{"k"}, {"o"}, set(), {"x"}, {"z"}]  # check, dot, none, hatch, dash
    shapes = _defs(root)  # the default id prefix is "hm"
    assert _tag(shapes["hm-k"]) == "path" and _tag(shapes["hm-o"]) == "circle"


def test_glyph_ink_contrasts_with_the_cell_it_sits_on() -> None:
    rows = [Label("r", "R")]
    cols = [Label(str(k), str(k)) for k in range(0, 101, 5)]
    cells = {("r", c.key): HeatCell(int(c.key) / 100, "mastered") for c in cols}
    root = _parse(heatmap_svg(rows, cols, cells, title="t", description="d"))
    defs = _defs(root)
    for cell in _grid_cells(root):
        square, mark = defs[cell.attrib["href"][1:]].iter(f"{SVG}use")
        ratio = palette.contrast_ratio(square.attrib["fill"], mark.attrib["stroke"])
        assert ratio >= 4.5


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_names_are_escaped_everywhere(name: str) -> None:
    rows = [Label("x", name), Label("y", "plain")]
    cols = [Label("s", name)]
    cells = {("x", "s"): HeatCell(0.5, "ready")}
    svg = heatmap_svg(rows, cols, cells, title=name, description=name, id_prefix="hostile")
    table = heatmap_table(rows, cols, cells, caption=name)
    for out in (svg, table):
        assert "<script" not in out and "<b>" not in out
        root = _parse(out)  # valid XML, whatever the names hold
        _assert_no_script_style_or_handlers(root)
        texts = "".join(root.itertext())
        assert markup.clean(name) in texts  # shown as text, minus unsafe characters
        assert "\u202e" not in texts and "\x1b" not in texts


def test_the_data_table_has_scoped_headers_and_status_words() -> None:
    rows = [Label("a", "Ann"), Label("b", "Bo")]
    cols = [Label("f", "Fractions")]
    cells = {("a", "f"): HeatCell(0.734, "in_progress")}
    root = _parse(heatmap_table(rows, cols, cells, caption="Class 7B"))
    assert root.find("caption").text == "Class 7B"  # type: ignore[union-attr]
    scopes = [(th.attrib["scope"], th.text) for th in root.iter("th")]
    assert scopes == [("col", "Learner"), ("col", "Fractions"), ("row", "Ann"), ("row", "Bo")]
    assert [td.text for td in root.iter("td")] == ["0.73, in progress", "no data"]


def test_a_500_by_60_class_stays_small_and_every_cell_has_a_title() -> None:
    rows, cols, cells = _class(500, 60)
    svg = heatmap_svg(rows, cols, cells, title="Mastery", description="500 learners")
    size = len(svg.encode())
    root = _parse(svg)
    grid = _grid_cells(root)
    assert len(grid) == 500 * 60
    tips = [c.find(f"{SVG}title").text or "" for c in grid]  # type: ignore[union-attr]
    assert tips[0].startswith("Learner 000, Skill 00: P(L) ")
    assert tips[-1].startswith("Learner 499, Skill 59: P(L) ")
    # The tooltips' words are data; the rest (cells, labels, legend) costs ~51 bytes a cell.
    words = sum(len(t.encode()) for t in tips)
    assert (size - words) / len(grid) < 52
    assert size < 2_900_000  # 2.78 MB: see bench/dashboard_charts.py for realistic names
    shared = {c.attrib["href"] for c in grid}
    assert len(shared) <= 4 * 101  # cells share (status, P(L) to 0.01) definitions
    _assert_no_script_style_or_handlers(root)


def test_an_empty_class_still_renders_a_named_image() -> None:
    root = _parse(heatmap_svg([], [], {}, title="Mastery", description="No learners yet"))
    assert root.attrib["role"] == "img"
    assert "No learners or skills to show." in "".join(root.itertext())


def test_cells_refuse_values_outside_their_range() -> None:
    for bad in (-0.01, 1.01, float("nan")):
        with pytest.raises(ValueError):
            HeatCell(bad, "ready")
    with pytest.raises(ValueError):
        HeatCell(0.5, "unknown")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        Bin(2, 1, 0)
    with pytest.raises(ValueError):
        Bin(0, 1, -1)


def _cell_size(root: Element) -> float:
    grids = [g for g in root.iter(f"{SVG}g") if "scale(" in g.attrib.get("transform", "")]
    scales = [float(re.findall(r"scale\(([\d.]+)\)", g.attrib["transform"])[0]) for g in grids]
    return max(scales)  # the grid's scale is its cell size (legend swatches are smaller)


def test_cell_size_adapts_and_long_labels_are_cut_with_their_full_text_in_a_title() -> None:
    small = _parse(heatmap_svg(*_class(8, 12), title="t", description="d"))
    large = _parse(heatmap_svg(*_class(500, 60), title="t", description="d"))
    assert CELL_MIN <= _cell_size(large) < _cell_size(small) <= CELL_MAX
    long_name = "Adding and subtracting fractions with unlike denominators"
    rows = [Label("a", long_name)]
    cols = [Label("s", long_name)]
    root = _parse(heatmap_svg(rows, cols, {}, title="t", description="d"))
    labels = [e for e in root.iter(f"{SVG}text") if e.find(f"{SVG}title") is not None]
    assert len(labels) == 2
    for label in labels:
        assert label.text is not None and label.text.endswith("\u2026")
        assert len(label.text) <= LABEL_CHARS
        assert long_name.startswith(label.text[:-1])
        assert label.find(f"{SVG}title").text == long_name  # type: ignore[union-attr]


# ---- histogram and bars ------------------------------------------------------------------

BINS = [Bin(2 * i, 2 * i + 2, c) for i, c in enumerate([1, 4, 9, 14, 11, 7, 3, 2, 0, 1])]


def _dashed_x(root: Element) -> float:
    (line,) = [e for e in root.iter(f"{SVG}path") if "stroke-dasharray" in e.attrib]
    return float(re.findall(r"M([\d.]+) ", line.attrib["d"])[0])


def test_histogram_marks_the_class_median_where_it_falls() -> None:
    median = Marker(7.4, "class median")
    svg = histogram_svg(
        BINS, title="Time to mastery", x_label="Items", y_label="Learners", marker=median
    )
    root = _parse(svg)
    f = HISTOGRAM_FRAME
    # 7.4 lies 70% into the fourth bin (6-8): 3.7 bin widths from the left edge.
    assert _dashed_x(root) == pytest.approx(f.left + 3.7 * f.plot_width / 10, abs=0.05)
    texts = [e.text for e in root.iter(f"{SVG}text")]
    assert "class median: 7.4" in texts
    bars = [e for e in root.iter(f"{SVG}rect") if e.find(f"{SVG}title") is not None]
    assert len(bars) == len(BINS)
    assert bars[3].find(f"{SVG}title").text == "Items 6\u20138: 14"  # type: ignore[union-attr]
    heights = [float(b.attrib["height"]) for b in bars]
    assert heights[3] == max(heights) and heights[8] == 0
    desc = root.find(f"{SVG}desc").text  # type: ignore[union-attr]
    assert desc == describe_histogram(BINS, "Items", "Learners", median)
    assert "52 (Learners)" in desc and "class median: 7.4" in desc
    _assert_no_script_style_or_handlers(root)


@pytest.mark.parametrize(("value", "edge"), [(-5.0, "left"), (0.0, "left"), (99.0, "right")])
def test_a_marker_outside_the_bins_sits_on_the_nearest_edge(value: float, edge: str) -> None:
    root = _parse(
        histogram_svg(BINS, title="t", x_label="x", y_label="y", marker=Marker(value, "m"))
    )
    f = HISTOGRAM_FRAME
    assert _dashed_x(root) == pytest.approx(f.left if edge == "left" else f.right, abs=0.05)


def test_histogram_without_marker_or_bins() -> None:
    root = _parse(histogram_svg(BINS, title="t", x_label="x", y_label="y"))
    assert not [e for e in root.iter(f"{SVG}path") if "stroke-dasharray" in e.attrib]
    empty = _parse(histogram_svg([], title="t", x_label="Items", y_label="y"))
    assert "No values yet." in "".join(empty.itertext())
    assert empty.find(f"{SVG}desc").text == "Items: no values yet."  # type: ignore[union-attr]


def test_histogram_table_lists_bins_and_the_marker() -> None:
    root = _parse(
        histogram_table(
            BINS, caption="<i>c</i>", x_label="Items", y_label="Learners",
            marker=Marker(7.4, "class median"),
        )
    )  # fmt: skip
    assert root.find("caption").text == "<i>c</i>"  # type: ignore[union-attr]
    body = [(_text(tr, "th"), _text(tr, "td")) for tr in root.iter("tr") if _text(tr, "td")]
    assert body[0] == ("0\u20132", "1") and body[3] == ("6\u20138", "14")
    assert body[-1] == ("class median", "7.4")
    assert root.find("tfoot") is not None


ITEMS = [
    Bar("Q1 place value", 0.92),
    Bar('Q2 <script>alert("x")</script>', 0.41),
    Bar("Q3", 1.0, "everyone right"),
    Bar("Q4", -0.21, "negative discrimination"),
]


def test_bar_chart_draws_negative_values_left_of_zero_and_flags_without_colour() -> None:
    root = _parse(
        bar_chart_svg(ITEMS, title="Items", category_label="Item", value_label="Discrimination")
    )
    _assert_no_script_style_or_handlers(root)
    groups = [g for g in root.iter(f"{SVG}g") if g.find(f"{SVG}rect") is not None]
    assert len(groups) == len(ITEMS)
    (zero,) = [p for p in root.iter(f"{SVG}path") if p.attrib.get("stroke") == markup.INK]
    zero_x = float(re.findall(r"M([\d.]+) ", zero.attrib["d"])[0])
    rects = [g.find(f"{SVG}rect") for g in groups]
    x = [float(r.attrib["x"]) for r in rects]  # type: ignore[union-attr]
    w = [float(r.attrib["width"]) for r in rects]  # type: ignore[union-attr]
    assert x[0] == pytest.approx(zero_x) and x[3] + w[3] == pytest.approx(zero_x, abs=0.1)
    assert w[2] > w[0] > w[1]
    for group, bar in zip(groups, ITEMS, strict=True):
        label = group.find(f"{SVG}text")
        assert label is not None and label.text is not None
        flagged = bool(bar.flag)
        # Not only the fill: a warning sign and bold type mark a flagged bar.
        assert label.text.startswith("\u26a0") is flagged
        assert (label.attrib.get("font-weight") == "bold") is flagged
        tip = group.find(f"{SVG}title").text  # type: ignore[union-attr]
        assert tip == f"{bar.label}: {markup.num(bar.value)}" + (f" ({bar.flag})" * flagged)
    fills = {r.attrib["fill"] for r in rects}  # type: ignore[union-attr]
    assert fills == {palette.BAR_COLOUR, palette.FLAG_COLOUR}


def test_bar_chart_domain_and_table() -> None:
    root = _parse(
        bar_chart_svg(ITEMS[:3], title="t", category_label="Item", value_label="Difficulty",
                      domain=(0.0, 1.0))
    )  # fmt: skip
    ticks = [e.text for e in root.iter(f"{SVG}text") if e.text and re.fullmatch(r"[\d.]+", e.text)]
    assert ticks[:6] == ["0", "0.2", "0.4", "0.6", "0.8", "1"]
    table = _parse(bar_chart_table(ITEMS, caption="c", category_label="Item", value_label="d"))
    rows = [[c.text or "" for c in tr] for tr in table.iter("tr")]
    assert rows[0] == ["Item", "d", "Flag"]
    assert rows[2] == ['Q2 <script>alert("x")</script>', "0.41", ""]
    assert rows[4] == ["Q4", "-0.21", "negative discrimination"]
    assert [th.attrib["scope"] for th in table.iter("th")] == ["col"] * 3 + ["row"] * 4
    empty = _parse(bar_chart_svg([], title="t", category_label="items", value_label="v"))
    assert "No items yet." in "".join(empty.itertext())


# ---- CSV ---------------------------------------------------------------------------------


def _read(text: str) -> list[list[str]]:
    assert text.startswith(BOM)
    return list(csv.reader(io.StringIO(text.removeprefix(BOM), newline="")))


@pytest.mark.parametrize(
    "cell", ["=1+1", "+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1", '=HYPERLINK("http://x","y")']
)
def test_formula_cells_are_neutralised(cell: str) -> None:
    text = to_csv(["name"], [[cell]])
    assert _read(text)[1] == ["'" + cell]


def test_csv_round_trips_with_rfc_4180_quoting_and_keeps_numbers_numeric() -> None:
    header = ["Learner", "Skill, with comma", "P(L)", "Answers", "Note"]
    rows = [
        ['Ann "the best" Lee', "Fractions", 0.73, 12, "line one\nline two"],
        ["Zoë Ødegård", "Décimales", -0.21, 0, None],
        ["Bo", "x", float("nan"), True, ""],
    ]
    text = to_csv(header, rows)
    assert text.encode("utf-8").startswith(b"\xef\xbb\xbf")
    assert text.endswith("\r\n") and text.count("\r\n") == 4  # the LF inside stays an LF
    assert '"Ann ""the best"" Lee"' in text and '"Skill, with comma"' in text
    assert _read(text) == [
        header,
        ['Ann "the best" Lee', "Fractions", "0.73", "12", "line one\nline two"],
        ["Zoë Ødegård", "Décimales", "-0.21", "0", ""],
        ["Bo", "x", "", "true", ""],
    ]
    assert not to_csv(["a"], [], bom=False).startswith(BOM)
    assert CSV_MEDIA_TYPE.startswith("text/csv; charset=utf-8")


@given(st.lists(st.text(alphabet=st.characters(blacklist_characters="\x00")), min_size=1))
def test_any_text_round_trips_and_never_starts_a_formula(cells: list[str]) -> None:
    header = [f"c{i}" for i in range(len(cells))]
    (parsed,) = _read(to_csv(header, [cells]))[1:]
    assert parsed == [neutralise(c) for c in cells]
    assert not [c for c in parsed if c[:1] in ("=", "+", "-", "@", "\t", "\r")]


def test_csv_refuses_ragged_rows_and_names_files_safely() -> None:
    with pytest.raises(ValueError, match="at least one column"):
        to_csv([], [])
    assert to_csv([""], [[""], [None]], bom=False) == '""\r\n""\r\n""\r\n'
    with pytest.raises(ValueError, match="row 2"):
        to_csv(["a", "b"], [[1, 2], [3]])
    assert field("-0.21") == "'-0.21" and field(-0.21) == "-0.21"
    assert csv_filename("Maths 7B: Décimales", "heatmap") == "Maths-7B-Decimales-heatmap.csv"
    assert csv_filename('../../etc/passwd"; x', "") == "etc-passwd-x.csv"
    assert csv_filename("", "\u202e") == "export.csv"
