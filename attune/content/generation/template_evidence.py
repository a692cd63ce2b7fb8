"""The sympy-checkable evidence a template question's prompt carries, read from its text.

A template computes its answer in code; reading the prompt back as maths lets sympy check
that code's arithmetic independently, so a template bug is refused rather than shown:

- ``14 + 12 = ?``, ``4/5 = ?/10``, ``56/? = 40/45``: an equation whose unknown is the ``?``
  (written ``n``), solved by the key (:class:`Substitution`);
- ``Solve for x: 2x + 3 = 7``: the same with ``x``;
- ``Evaluate 2x + 1 when x = 5.``: a computation once the values are substituted;
- ``Simplify: ...``, ``Expand: ...``, ``Expand and simplify: ...``: the expression the
  answer must equal (:class:`Equivalence`).

The typed forms become parser syntax first: ``√n`` -> ``sqrt(n)``, ``|a|`` -> ``Abs(a)``,
``n%`` -> ``(n/100)``, ``of`` -> ``*``, mixed numbers ``3 1/4`` -> ``(3+1/4)`` (the parser
would read a product) and a fraction is one operand, ``3/4 ÷ 1/2`` -> ``(3/4) / (1/2)`` (the
parser would divide left to right). Word problems, comparisons, inequalities and systems give no
evidence here; their key is checked by rendering the template again
(:class:`TemplateSource`).
"""

from __future__ import annotations

import re

from attune.content.generation.records import (
    Computation,
    Equivalence,
    Evidence,
    Substitution,
)
from attune.content.generation.verify import substitute
from attune.content.question import SQRT, Question

UNKNOWN = "n"
"""The letter a prompt's ``?`` becomes."""

_REWRITES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(rf"{SQRT}(\d+)"), r"sqrt(\1)"),
    (re.compile(r"\|([^|]+)\|"), r"Abs(\1)"),
    (re.compile(r"(?<![\d/.])(\d+) (\d+)/(\d+)"), r"(\1+\2/\3)"),
    (re.compile(r"(?<![\w/.])(\d+)/(\d+)(?![\d/])"), r"(\1/\2)"),
    (re.compile(r"(\d+(?:\.\d+)?)%"), r"(\1/100)"),
    (re.compile(r"\bof\b"), "*"),
)
_EXPRESSION = re.compile(r"(?:Simplify|Expand|Expand and simplify): (.+)")
_SOLVE = re.compile(r"Solve for x: ([^<>]+=[^<>]+)")
_EVALUATE = re.compile(r"Evaluate (.+) when (.+)\.")
_ASSIGNMENT = re.compile(r"([a-z]) = (-?\d+)")
_ARITHMETIC = re.compile(r"[0-9+\-*/^().? =]+")  # only maths left after the rewrites


def as_maths(text: str) -> str:
    """A prompt's typed maths in the parser's syntax."""
    for pattern, replacement in _REWRITES:
        text = pattern.sub(replacement, text)
    return text.replace("\u00d7", "*").replace("\u00f7", "/")


def _equation(text: str) -> Evidence | None:
    """``lhs = rhs`` with one ``?``: a :class:`Substitution` for the unknown."""
    maths = as_maths(text)
    if maths.count("?") != 1 or maths.count("=") != 1 or UNKNOWN in maths:
        return None
    if not _ARITHMETIC.fullmatch(maths.replace("sqrt", "").replace("Abs", "")):
        return None
    return Substitution(equation=maths.replace("?", UNKNOWN), variable=UNKNOWN)


def prompt_evidence(question: Question) -> tuple[Evidence, ...]:
    """The evidence ``question``'s prompt gives, if any."""
    prompt = question.prompt
    if match := _EXPRESSION.fullmatch(prompt):
        return (Equivalence(as_maths(match.group(1))),)
    if match := _SOLVE.fullmatch(prompt):
        return (Substitution(equation=as_maths(match.group(1)), variable="x"),)
    if match := _EVALUATE.fullmatch(prompt):
        expression = as_maths(match.group(1))
        for name, value in _ASSIGNMENT.findall(match.group(2)):
            expression = substitute(expression, name, value)
        return (Computation(expression),)
    found = _equation(prompt)
    return (found,) if found is not None else ()
