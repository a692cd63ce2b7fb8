"""The bundled demo course: arithmetic to algebra, 47 skills, three items per skill.

Item difficulty follows the graph: an item's IRT ``b`` grows with its skill's depth (longest
prerequisite chain) and with its level, from about -2.5 for reading place value to +2.5 for
solving systems. Items are free response (``c = 0``) except the three-way <, >, = choice.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from attune.content.templates import LEVELS, content_ref
from attune.engine.domain.bkt import BktParams
from attune.engine.domain.course import Course, IrtParams, Item, MasteryPolicy, Skill, build_course
from attune.engine.domain.course_json import course_from_json, course_to_json

__all__ = ["course_from_json", "demo_course", "demo_course_json"]

# BKT parameters by band. Whole-number facts are often known already (higher prior) and
# learned fast; algebra starts low. Guess stays low because answers are typed, except for
# the <, >, = choice, where a blind guess is right one time in three.
_BANDS = {
    "whole": BktParams(prior=0.3, learn=0.25, guess=0.12, slip=0.08),
    "number": BktParams(prior=0.2, learn=0.2, guess=0.1, slip=0.1),
    "fraction": BktParams(prior=0.15, learn=0.15, guess=0.1, slip=0.12),
    "algebra": BktParams(prior=0.1, learn=0.15, guess=0.1, slip=0.12),
    "choice": BktParams(prior=0.2, learn=0.2, guess=0.25, slip=0.1),
}

# (skill_id, name, prerequisites, band); the template of a skill has the skill's id.
_SKILLS: tuple[tuple[str, str, tuple[str, ...], str], ...] = (
    ("place-value", "Place value of whole numbers", (), "whole"),
    ("whole-add", "Add whole numbers", ("place-value",), "whole"),
    ("whole-sub", "Subtract whole numbers", ("whole-add",), "whole"),
    ("whole-mul", "Multiply whole numbers", ("whole-add",), "whole"),
    ("whole-div", "Divide whole numbers", ("whole-mul", "whole-sub"), "whole"),
    ("order-ops", "Order of operations", ("whole-div",), "number"),
    ("neg-numbers", "Negative numbers and absolute value", ("whole-sub",), "number"),
    ("int-add", "Add integers", ("neg-numbers",), "number"),
    ("int-sub", "Subtract integers", ("int-add",), "number"),
    ("int-mul", "Multiply integers", ("int-add", "whole-mul"), "number"),
    ("int-div", "Divide integers", ("int-mul", "whole-div"), "number"),
    ("factors", "Factors", ("whole-div",), "number"),
    ("multiples", "Multiples", ("whole-mul",), "number"),
    ("primes", "Prime numbers and prime factors", ("factors",), "number"),
    ("gcd", "Greatest common factor", ("factors", "primes"), "number"),
    ("lcm", "Least common multiple", ("multiples", "gcd"), "number"),
    ("frac-equiv", "Equivalent fractions", ("multiples", "whole-div"), "fraction"),
    ("frac-simplify", "Simplify fractions", ("frac-equiv", "gcd"), "fraction"),
    ("frac-compare", "Compare fractions", ("frac-equiv", "lcm"), "choice"),
    ("frac-add-like", "Add fractions with like denominators", ("frac-equiv",), "fraction"),
    (
        "frac-add-unlike",
        "Add fractions with unlike denominators",
        ("frac-add-like", "lcm"),
        "fraction",
    ),
    ("frac-sub", "Subtract fractions", ("frac-add-unlike", "int-sub"), "fraction"),
    ("frac-mul", "Multiply fractions", ("frac-simplify", "int-mul"), "fraction"),
    ("frac-div", "Divide fractions", ("frac-mul", "int-div"), "fraction"),
    ("mixed-numbers", "Add and subtract mixed numbers", ("frac-sub", "frac-simplify"), "fraction"),
    (
        "dec-place-value",
        "Decimal place value and rounding",
        ("place-value", "frac-equiv"),
        "number",
    ),
    ("dec-add-sub", "Add and subtract decimals", ("dec-place-value", "int-sub"), "number"),
    ("dec-mul", "Multiply decimals", ("dec-add-sub",), "number"),
    ("dec-div", "Divide decimals", ("dec-mul", "whole-div"), "number"),
    (
        "frac-dec-convert",
        "Convert between fractions and decimals",
        ("dec-div", "frac-simplify"),
        "fraction",
    ),
    ("percent-of", "Percent of a number", ("frac-dec-convert", "dec-mul"), "number"),
    ("percent-change", "Percent increase and decrease", ("percent-of",), "number"),
    ("ratios-rates", "Ratios and rates", ("frac-simplify",), "number"),
    ("exponents", "Exponents", ("int-mul",), "number"),
    ("square-roots", "Square roots", ("exponents",), "number"),
    ("expr-evaluate", "Evaluate expressions", ("order-ops", "int-mul", "exponents"), "algebra"),
    ("like-terms", "Combine like terms", ("expr-evaluate", "int-add"), "algebra"),
    ("distributive", "The distributive property", ("like-terms", "int-mul"), "algebra"),
    (
        "eq-one-step-add",
        "One-step equations: add and subtract",
        ("expr-evaluate", "int-sub"),
        "algebra",
    ),
    (
        "eq-one-step-mul",
        "One-step equations: multiply and divide",
        ("eq-one-step-add", "int-div"),
        "algebra",
    ),
    ("eq-two-step", "Two-step equations", ("eq-one-step-mul",), "algebra"),
    (
        "eq-both-sides",
        "Equations with variables on both sides",
        ("eq-two-step", "distributive"),
        "algebra",
    ),
    (
        "eq-fractions",
        "Equations with fractions",
        ("eq-two-step", "frac-div", "frac-add-unlike"),
        "algebra",
    ),
    ("inequalities", "Linear inequalities", ("eq-two-step",), "algebra"),
    ("slope", "Slope from two points", ("int-div", "frac-simplify"), "algebra"),
    ("slope-intercept", "Slope-intercept form", ("slope", "eq-two-step"), "algebra"),
    ("systems", "Systems of two linear equations", ("slope-intercept", "eq-both-sides"), "algebra"),
)

# Level-3 items whose template genuinely exercises a second skill as well.
_SECOND_SKILL = {
    "expr-evaluate/3": "exponents",  # x^2 - 3y at negative x
    "distributive/3": "like-terms",  # expand two brackets, then collect
    "mixed-numbers/3": "frac-add-unlike",  # mixed parts with different denominators
    "eq-both-sides/3": "distributive",  # a(x + b) = cx + d
    "eq-fractions/3": "frac-add-unlike",  # x/a + p/q = r/s
    "slope-intercept/3": "slope",  # the slope must first be found from two points
}

_CHOICE_GUESS = {"frac-compare": 0.25}  # IRT lower asymptote of non-free-response items

_B_RANGE = 2.1  # skill centres span [-2.1, 2.1]; levels add -0.4 / 0 / +0.4
_LEVEL_STEP = 0.4
_LEVEL_A = {1: 1.0, 2: 1.2, 3: 1.4}


DEMO_DKT = "demo-dkt"
"""The demo course's own DKT model, shipped in models/artifacts when trained."""


def _depths() -> dict[str, int]:
    """Length of the longest prerequisite chain below each skill (roots are 0)."""
    prerequisites = {sid: pre for sid, _, pre, _ in _SKILLS}
    depth: dict[str, int] = {}

    def visit(sid: str) -> int:
        if sid not in depth:
            depth[sid] = 1 + max((visit(p) for p in prerequisites[sid]), default=-1)
        return depth[sid]

    for sid in prerequisites:
        visit(sid)
    return depth


def _items(depths: dict[str, int]) -> list[Item]:
    deepest = max(depths.values())
    items: list[Item] = []
    for sid, _, _, _ in _SKILLS:
        centre = -_B_RANGE + 2 * _B_RANGE * depths[sid] / deepest
        for level in LEVELS:
            item_id = f"{sid}/{level}"
            second = _SECOND_SKILL.get(item_id)
            items.append(
                Item(
                    item_id=item_id,
                    skill_ids=(sid, second) if second else (sid,),
                    irt=IrtParams(
                        a=_LEVEL_A[level],
                        b=round(centre + _LEVEL_STEP * (level - 2), 2),
                        c=_CHOICE_GUESS.get(sid, 0.0),
                    ),
                    content=content_ref(sid, level),
                )
            )
    return items


@cache
def demo_course() -> Course:
    """The demo course, built (and validated) on first use."""
    skills = [
        Skill(skill_id=sid, name=name, bkt=_BANDS[band], prerequisites=pre)
        for sid, name, pre, band in _SKILLS
    ]
    return build_course(
        "demo",
        skills,
        _items(_depths()),
        mastery=MasteryPolicy(threshold=0.95, min_attempts=3, consecutive_correct=2),
        title="Arithmetic to Algebra",
    )


def demo_course_json() -> dict[str, Any]:
    """The demo course in the ``--course FILE.json`` shape (a fresh dict on every call)."""
    return course_to_json(demo_course())
