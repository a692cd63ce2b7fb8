"""The line chart of the learner page (issue 14, part 2): well-formed SVG, points placed on
the axes, right and wrong told apart by shape, hostile labels escaped, and a data table that
carries the same values."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from attune.gateway.dashboard.line_chart import (
    FRAME,
    Point,
    describe_line,
    line_chart_svg,
    line_chart_table,
)
from attune.gateway.dashboard.model import Marker

NS = {"s": "http://www.w3.org/2000/svg"}
POINTS = [
    Point(1, 0.2, "first <b>", filled=False),
    Point(2, 0.6, "second"),
    Point(3, 1.0, "third"),
]


def _svg(**kwargs: object) -> ET.Element:
    return ET.fromstring(
        line_chart_svg(
            POINTS,
            title="P(L) of A",
            x_label="answer",
            y_label="P(L)",
            **kwargs,  # type: ignore[arg-type]
        )
    )


def test_points_sit_on_the_axes_and_shape_tells_right_from_wrong() -> None:
    root = _svg(x_domain=(1.0, 3.0))
    circles = root.findall(".//s:circle", NS)
    assert len(circles) == 3
    xs = [float(c.get("cx", "nan")) for c in circles]
    ys = [float(c.get("cy", "nan")) for c in circles]
    assert xs[0] == pytest.approx(FRAME.left) and xs[-1] == pytest.approx(FRAME.right)
    assert ys[-1] == pytest.approx(FRAME.top)  # P(L) 1 at the top
    assert ys[0] == pytest.approx(FRAME.bottom - 0.2 * (FRAME.bottom - FRAME.top), abs=0.1)
    fills = [c.get("fill") for c in circles]
    assert fills[0] == "#ffffff" and fills[1] == fills[2] != "#ffffff"
    tips = [c.findtext("s:title", namespaces=NS) for c in circles]
    assert tips == ["first <b>", "second", "third"]  # escaped in the source, text once parsed


def test_a_reference_line_is_drawn_and_labelled() -> None:
    root = _svg(reference=Marker(0.95, "mastery threshold"))
    texts = [t.text or "" for t in root.iter(f"{{{NS['s']}}}text")]
    assert "mastery threshold: 0.95" in texts
    assert {"answer", "P(L)"} <= set(texts)  # both axes are named
    assert any(p.get("stroke-dasharray") for p in root.iter(f"{{{NS['s']}}}path"))


def test_empty_and_non_finite_inputs() -> None:
    empty = line_chart_svg([], title="t", x_label="x", y_label="P(L)")
    assert "No values yet." in empty and ET.fromstring(empty) is not None
    assert describe_line([], "x", "P(L)") == "P(L): no values yet."
    with pytest.raises(ValueError):
        Point(float("nan"), 0.5, "bad")
    with pytest.raises(ValueError):
        line_chart_svg(POINTS, title="t", x_label="x", y_label="y", id_prefix="1bad")


def test_the_table_carries_every_point_in_words() -> None:
    table = line_chart_table(
        POINTS, caption="c", x_label="Answer", y_label="P(L)", filled_text=("right", "wrong")
    )
    root = ET.fromstring(table)
    rows = root.findall("./tbody/tr")
    assert [[c.text for c in r] for r in rows] == [
        ["1", "0.2", "wrong", "first <b>"],
        ["2", "0.6", "right", "second"],
        ["3", "1", "right", "third"],
    ]
    assert "&lt;b&gt;" in table and "<b>" not in table
    assert describe_line(POINTS, "answer", "P(L)").startswith("P(L) at 3 values of answer")
