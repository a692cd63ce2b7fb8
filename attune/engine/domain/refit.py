"""A course with refitted parameters adopted (models/refit decides which; the command and
the engine's background job apply them through the engine's normal put_course path)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from attune.engine.domain.bkt import BktParams
from attune.engine.domain.course import Course, IrtParams
from attune.engine.domain.errors import InvalidInputError


def adopt(course: Course, bkt: Mapping[str, BktParams], irt: Mapping[str, IrtParams]) -> Course:
    """``course`` with these skills' BKT and these items' IRT parameters replaced, every
    other field as it was. Raises :class:`InvalidInputError` naming an unknown skill or item
    or a parameter out of range (``refit.skills["s"].bkt.slip``)."""
    skills = dict(course.skills)
    for sid, params in bkt.items():
        if sid not in skills:
            raise InvalidInputError(f"refit.skills[{sid!r}]", "not a skill of the course")
        params.validate(f"refit.skills[{sid!r}].bkt")
        skills[sid] = replace(skills[sid], bkt=params)
    items = dict(course.items)
    for iid, params_irt in irt.items():
        if iid not in items:
            raise InvalidInputError(f"refit.items[{iid!r}]", "not an item of the course")
        params_irt.validate(f"refit.items[{iid!r}].irt")
        items[iid] = replace(items[iid], irt=params_irt)
    by_skill = {
        sid: tuple(items[item.item_id] for item in found) for sid, found in course.by_skill.items()
    }
    return replace(course, skills=skills, items=items, by_skill=by_skill)
