"""The practice page's progress rows, rendered in Python: the same bytes as the template loop
they replaced, whatever the names, probabilities and statuses."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st
from jinja2 import Environment
from markupsafe import Markup

from attune.gateway.progress import SkillProgress
from attune.gateway.web.progress_html import _row, forget_rows, percent, progress_rows_html

# The loop as practice.html had it, with its surrounding whitespace.
LOOP = (
    "<tbody>\n    {% for row in progress %}\n"
    '      <tr data-skill="{{ row.skill_id }}" data-status="{{ row.status }}">\n'
    "        <td>{{ row.name }}</td>\n"
    '        <td><progress max="100" value="{{ (row.p_mastery * 100) | round | int }}" '
    'aria-label="{{ row.name }} mastery">{{ (row.p_mastery * 100) | round | int }}%</progress>\n'
    "            {{ (row.p_mastery * 100) | round | int }}%</td>\n"
    "        <td>{{ row.status }}</td>\n"
    "      </tr>\n    {% endfor %}\n    </tbody>"
)
FILTERED = "<tbody>\n    {{ progress | progress_rows_html }}\n    </tbody>"


def _env() -> Environment:
    env = Environment(autoescape=True)
    env.filters["progress_rows_html"] = progress_rows_html
    return env


rows = st.lists(
    st.builds(
        SkillProgress,
        skill_id=st.text(max_size=12),
        name=st.text(max_size=12),
        p_mastery=st.floats(min_value=-2, max_value=2)
        | st.sampled_from([math.nan, 0.0, 0.005, 0.015, 0.125, 0.335, 0.5, 0.995, 1.0]),
        status=st.sampled_from(["mastered", "ready", "locked", '<b>"&']),
    ),
    max_size=6,
)


@given(rows)
def test_the_rows_are_the_template_loops_bytes(progress: list[SkillProgress]) -> None:
    env = _env()
    before = env.from_string(LOOP).render(progress=progress)
    after = env.from_string(FILTERED).render(progress=progress)
    assert after == before


def test_names_are_escaped_and_percentages_rounded() -> None:
    html = progress_rows_html([SkillProgress("a&b", "<Fractions>", 0.4951, "ready")])
    assert isinstance(html, Markup)
    assert 'data-skill="a&amp;b"' in html and "<td>&lt;Fractions&gt;</td>" in html
    assert 'value="50"' in html and ">50%</progress>" in html
    assert percent(math.nan) == 0 and percent(0.125) == 12  # Jinja's round: half to even


def test_no_rows_render_nothing() -> None:
    assert progress_rows_html([]) == ""


def test_forgotten_rows_are_dropped() -> None:
    progress_rows_html([SkillProgress("a", "A", 0.5, "ready")])
    assert _row.cache_info().currsize > 0
    forget_rows()
    assert _row.cache_info().currsize == 0
