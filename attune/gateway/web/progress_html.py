"""The practice page's progress table rows, rendered in Python (the ``progress_rows_html``
filter of the pages' templates).

The page shows every skill of the activity (47 on the demo course), and the template loop
that drew them (three ``round | int`` filters and five escapes per row) was most of the
page's rendering. This writes the very same bytes: the template's whitespace, each field
escaped as Jinja's autoescaping does, and the percentage through Jinja's own ``round`` and
``int`` filters (tests/unit/test_progress_html.py compares it with the loop).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from functools import lru_cache

from jinja2.filters import do_int, do_round
from markupsafe import Markup, escape

from attune.gateway.progress import SkillProgress

_ROW = (
    '\n      <tr data-skill="{skill_id}" data-status="{status}">'
    "\n        <td>{name}</td>"
    '\n        <td><progress max="100" value="{pct}" aria-label="{name} mastery">{pct}%</progress>'
    "\n            {pct}%</td>"
    "\n        <td>{status}</td>"
    "\n      </tr>\n    "
)


ROW_CACHE = 8192  # rows by (skill, name, percentage, status): a few MB at most


def percent(p_mastery: float) -> int:
    """``(p_mastery * 100) | round | int``, as the template wrote it."""
    value = p_mastery * 100
    if math.isfinite(value):
        return int(round(value, 0))  # what the two filters do with a finite float
    return do_int(do_round(value))


@lru_cache(maxsize=ROW_CACHE)
def _row(skill_id: str, name: str, pct: int, status: str) -> str:
    return _ROW.format(skill_id=escape(skill_id), status=escape(status), name=escape(name), pct=pct)


def progress_rows_html(rows: Iterable[SkillProgress]) -> Markup:
    """The table body's rows, exactly as the template's ``{% for row in progress %}`` loop
    rendered them. A row is a pure function of its four fields, and learners share most
    of them (priors, and the same percentages), so rows are cached."""
    return Markup(
        "".join(_row(row.skill_id, row.name, percent(row.p_mastery), row.status) for row in rows)
    )


def forget_rows() -> None:
    """Drop every cached row (a tenant was deleted: its skill names go with it)."""
    _row.cache_clear()
