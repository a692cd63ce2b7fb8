"""A course as plain JSON data, and back: the format of a ``--course FILE.json``.

Shape::

    {"course_id": str, "title": str,
     "mastery": {"threshold": num, "min_attempts": int, "consecutive_correct": int,
                 "individual_sd": num},  # optional (0: plain BKT); or {"preset": name, ...}
     "skills": [{"skill_id": str, "name": str,
                 "bkt": {"prior": num, "learn": num, "guess": num, "slip": num, "forget": num},
                 "prerequisites": [str, ...],
                 "mastery": {...}}],          # optional per-skill override
     "diagnostic": {"enabled": bool, "min_items": int, "max_items": int,
                    "target_se": num},        # optional: cold start (defaults apply)
     "items": [{"item_id": str, "skill_ids": [str, ...],
                "irt": {"a": num, "b": num, "c": num}, "content": str}],
     "experiment": {"experiment_id": str, "started_at": num,   # optional: arms side by side
                    "arms": [{"arm_id": str, "weight": num, "description": str,
                              "mastery": {...}}]}}          # an arm's mastery is optional

Every key is required except a skill's ``mastery``, ``diagnostic``, ``dkt_model`` and
``experiment``, a mastery policy's ``individual_sd`` (0), or every other key of a policy that
names a ``preset`` (``classic``, ``eight-attempts``, ``adaptive``; keys beside it override
the preset's values) (and in ``experiment`` ``started_at``, an arm's ``weight`` (1),
``description`` and ``mastery``), and unknown keys are rejected: a typo
such as ``"lern"`` must not silently fall back to a default. Type and presence are checked
here; ranges, duplicates, dangling references and cycles are left to :func:`build_course`,
which reports them with the same field paths (``course.skills[3].bkt.slip``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from attune.engine.domain.bkt import BktParams
from attune.engine.domain.course import (
    Course,
    DiagnosticPolicy,
    IrtParams,
    Item,
    MasteryPolicy,
    Skill,
    build_course,
    check_count,
    mastery_preset,
)
from attune.engine.domain.errors import InvalidInputError
from attune.engine.domain.experiments import Arm, Experiment
from attune.engine.domain.limits import MAX_ITEMS_PER_COURSE, MAX_SKILLS_PER_COURSE

_COURSE_KEYS = frozenset(
    {"course_id", "title", "mastery", "skills", "items", "diagnostic", "dkt_model", "experiment"}
)
_EXPERIMENT_KEYS = frozenset({"experiment_id", "started_at", "arms"})
_ARM_KEYS = frozenset({"arm_id", "weight", "description", "mastery"})
_DIAGNOSTIC_KEYS = frozenset({"enabled", "min_items", "max_items", "target_se"})
_SKILL_KEYS = frozenset({"skill_id", "name", "bkt", "prerequisites", "mastery"})
_ITEM_KEYS = frozenset({"item_id", "skill_ids", "irt", "content"})
_MASTERY_KEYS = frozenset(
    {"threshold", "min_attempts", "consecutive_correct", "individual_sd", "preset"}
)
_BKT_KEYS = frozenset({"prior", "learn", "guess", "slip", "forget"})
_IRT_KEYS = frozenset({"a", "b", "c"})


def course_to_json(course: Course) -> dict[str, Any]:
    """The course as JSON-able data; skills and items keep their original order."""
    out: dict[str, Any] = {
        "course_id": course.course_id,
        "title": course.title,
        "mastery": _mastery_to_json(course.mastery),
        "skills": [_skill_to_json(skill) for skill in course.skills.values()],
        "items": [
            {
                "item_id": item.item_id,
                "skill_ids": list(item.skill_ids),
                "irt": {"a": item.irt.a, "b": item.irt.b, "c": item.irt.c},
                "content": item.content,
            }
            for item in course.items.values()
        ],
    }
    if course.diagnostic != DiagnosticPolicy():  # written only when not the default
        d = course.diagnostic
        out["diagnostic"] = {
            "enabled": d.enabled,
            "min_items": d.min_items,
            "max_items": d.max_items,
            "target_se": d.target_se,
        }
    if course.dkt_model:
        out["dkt_model"] = course.dkt_model
    if course.experiment is not None:
        out["experiment"] = _experiment_to_json(course.experiment)
    return out


def course_from_json(data: object, enforce_limits: bool = True) -> Course:
    """Parse data in the shape above (normally from ``json.load``) into a validated course.

    Raises :class:`InvalidInputError` whose ``field`` names the first bad field. A store
    reading back a course it holds passes ``enforce_limits=False`` (see build_course).
    """
    root = _object(data, "course", _COURSE_KEYS)
    # Read in document order so the error names the first bad field a reader would meet.
    course_id = _str(root, "course_id", "course")
    title = _str(root, "title", "course")
    mastery = _mastery_from_json(_required(root, "mastery", "course"), "course.mastery")
    raw_skills = _list(root, "skills", "course")
    raw_items = _list(root, "items", "course")
    if enforce_limits:  # before any of them is parsed
        check_count("course.skills", len(raw_skills), MAX_SKILLS_PER_COURSE, "skills")
        check_count("course.items", len(raw_items), MAX_ITEMS_PER_COURSE, "items")
    skills = [_skill_from_json(raw, f"course.skills[{n}]") for n, raw in enumerate(raw_skills)]
    items = [_item_from_json(raw, f"course.items[{n}]") for n, raw in enumerate(raw_items)]
    raw_diag = root.get("diagnostic")
    diagnostic = None if raw_diag is None else _diagnostic_from_json(raw_diag, "course.diagnostic")
    dkt_model = root.get("dkt_model", "")
    if not isinstance(dkt_model, str):
        raise InvalidInputError("course.dkt_model", "must be a string")
    raw_experiment = root.get("experiment")
    experiment = (
        None
        if raw_experiment is None
        else _experiment_from_json(raw_experiment, "course.experiment")
    )
    return build_course(
        course_id,
        skills,
        items,
        mastery=mastery,
        title=title,
        diagnostic=diagnostic,
        dkt_model=dkt_model,
        enforce_limits=enforce_limits,
        experiment=experiment,
    )


def _experiment_to_json(experiment: Experiment) -> dict[str, Any]:
    arms = []
    for arm in experiment.arms:
        out: dict[str, Any] = {"arm_id": arm.arm_id, "weight": arm.weight}
        if arm.description:
            out["description"] = arm.description
        if arm.mastery is not None:
            out["mastery"] = _mastery_to_json(arm.mastery)
        arms.append(out)
    data: dict[str, Any] = {"experiment_id": experiment.experiment_id, "arms": arms}
    if experiment.started_at:
        data["started_at"] = experiment.started_at
    return data


def _experiment_from_json(raw: object, field: str) -> Experiment:
    obj = _object(raw, field, _EXPERIMENT_KEYS)
    experiment_id = _str(obj, "experiment_id", field)
    started_at = _number(obj, "started_at", field) if "started_at" in obj else 0.0
    arms = []
    for n, raw_arm in enumerate(_list(obj, "arms", field)):
        where = f"{field}.arms[{n}]"
        arm = _object(raw_arm, where, _ARM_KEYS)
        mastery = arm.get("mastery")
        arms.append(
            Arm(
                arm_id=_str(arm, "arm_id", where),
                weight=_number(arm, "weight", where) if "weight" in arm else 1.0,
                description=_str(arm, "description", where) if "description" in arm else "",
                mastery=None
                if mastery is None
                else _mastery_from_json(mastery, f"{where}.mastery"),
            )
        )
    return Experiment(experiment_id=experiment_id, arms=tuple(arms), started_at=started_at)


def _diagnostic_from_json(raw: object, field: str) -> DiagnosticPolicy:
    obj = _object(raw, field, _DIAGNOSTIC_KEYS)
    enabled = _required(obj, "enabled", field)
    if not isinstance(enabled, bool):
        raise InvalidInputError(f"{field}.enabled", "must be a boolean")
    return DiagnosticPolicy(
        enabled=enabled,
        min_items=_int(obj, "min_items", field),
        max_items=_int(obj, "max_items", field),
        target_se=_number(obj, "target_se", field),
    )


def _mastery_to_json(policy: MasteryPolicy) -> dict[str, Any]:
    return {
        "threshold": policy.threshold,
        "min_attempts": policy.min_attempts,
        "consecutive_correct": policy.consecutive_correct,
        "individual_sd": policy.individual_sd,
    }


def _skill_to_json(skill: Skill) -> dict[str, Any]:
    bkt = skill.bkt
    out: dict[str, Any] = {
        "skill_id": skill.skill_id,
        "name": skill.name,
        "bkt": {
            "prior": bkt.prior,
            "learn": bkt.learn,
            "guess": bkt.guess,
            "slip": bkt.slip,
            "forget": bkt.forget,
        },
        "prerequisites": list(skill.prerequisites),
    }
    if skill.mastery is not None:
        out["mastery"] = _mastery_to_json(skill.mastery)
    return out


def _skill_from_json(raw: object, field: str) -> Skill:
    obj = _object(raw, field, _SKILL_KEYS)
    skill_id = _str(obj, "skill_id", field)
    name = _str(obj, "name", field)
    where = f"{field}.bkt"
    bkt = _object(_required(obj, "bkt", field), where, _BKT_KEYS)
    params = BktParams(
        prior=_number(bkt, "prior", where),
        learn=_number(bkt, "learn", where),
        guess=_number(bkt, "guess", where),
        slip=_number(bkt, "slip", where),
        forget=_number(bkt, "forget", where),
    )
    prerequisites = _str_tuple(obj, "prerequisites", field)
    override = obj.get("mastery")
    return Skill(
        skill_id=skill_id,
        name=name,
        bkt=params,
        prerequisites=prerequisites,
        mastery=None if override is None else _mastery_from_json(override, f"{field}.mastery"),
    )


def _item_from_json(raw: object, field: str) -> Item:
    obj = _object(raw, field, _ITEM_KEYS)
    item_id = _str(obj, "item_id", field)
    skill_ids = _str_tuple(obj, "skill_ids", field)
    where = f"{field}.irt"
    irt = _object(_required(obj, "irt", field), where, _IRT_KEYS)
    params = IrtParams(
        a=_number(irt, "a", where), b=_number(irt, "b", where), c=_number(irt, "c", where)
    )
    content = _str(obj, "content", field)
    return Item(item_id=item_id, skill_ids=skill_ids, irt=params, content=content)


def _mastery_from_json(raw: object, field: str) -> MasteryPolicy:
    obj = _object(raw, field, _MASTERY_KEYS)
    if "preset" not in obj:
        return MasteryPolicy(
            threshold=_number(obj, "threshold", field),
            min_attempts=_int(obj, "min_attempts", field),
            consecutive_correct=_int(obj, "consecutive_correct", field),
            individual_sd=_number(obj, "individual_sd", field) if "individual_sd" in obj else 0.0,
        )
    # A named preset; any other key given beside it overrides the preset's value.
    preset = obj["preset"]
    if not isinstance(preset, str):
        raise InvalidInputError(f"{field}.preset", f"must be a string, got {_type_name(preset)}")
    base = mastery_preset(preset, f"{field}.preset")
    return MasteryPolicy(
        threshold=_number(obj, "threshold", field) if "threshold" in obj else base.threshold,
        min_attempts=(
            _int(obj, "min_attempts", field) if "min_attempts" in obj else base.min_attempts
        ),
        consecutive_correct=(
            _int(obj, "consecutive_correct", field)
            if "consecutive_correct" in obj
            else base.consecutive_correct
        ),
        individual_sd=(
            _number(obj, "individual_sd", field) if "individual_sd" in obj else base.individual_sd
        ),
    )


def _object(raw: object, field: str, allowed: frozenset[str]) -> Mapping[str, object]:
    if not isinstance(raw, Mapping):
        raise InvalidInputError(field, f"must be an object, got {_type_name(raw)}")
    for key in raw:
        if key not in allowed:
            raise InvalidInputError(f"{field}.{key}", "unknown field")
    return raw


def _required(obj: Mapping[str, object], key: str, field: str) -> object:
    if key not in obj:
        raise InvalidInputError(f"{field}.{key}", "is required")
    return obj[key]


def _str(obj: Mapping[str, object], key: str, field: str) -> str:
    value = _required(obj, key, field)
    if not isinstance(value, str):
        raise InvalidInputError(f"{field}.{key}", f"must be a string, got {_type_name(value)}")
    return value


def _number(obj: Mapping[str, object], key: str, field: str) -> float:
    value = _required(obj, key, field)
    # bool is an int subclass, but `true` is never a meaningful probability.
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidInputError(f"{field}.{key}", f"must be a number, got {_type_name(value)}")
    return float(value)


def _int(obj: Mapping[str, object], key: str, field: str) -> int:
    value = _required(obj, key, field)
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInputError(f"{field}.{key}", f"must be an integer, got {_type_name(value)}")
    return value


def _list(obj: Mapping[str, object], key: str, field: str) -> list[object]:
    value = _required(obj, key, field)
    if not isinstance(value, list):
        raise InvalidInputError(f"{field}.{key}", f"must be a list, got {_type_name(value)}")
    return value


def _str_tuple(obj: Mapping[str, object], key: str, field: str) -> tuple[str, ...]:
    values = _list(obj, key, field)
    for n, value in enumerate(values):
        if not isinstance(value, str):
            raise InvalidInputError(
                f"{field}.{key}[{n}]", f"must be a string, got {_type_name(value)}"
            )
    return tuple(str(v) for v in values)


def _type_name(value: object) -> str:
    if value is None:
        return "null"
    return {bool: "boolean", int: "number", float: "number", str: "string", list: "list"}.get(
        type(value), "object" if isinstance(value, Mapping) else type(value).__name__
    )
