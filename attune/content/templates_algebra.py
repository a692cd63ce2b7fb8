"""Question templates for exponents, expressions, equations, inequalities and lines.

Every equation is built backwards: the solution is drawn first and the constants are derived
from it, so solutions are always whole (or simple fractions where the skill is fractions).
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from random import Random

from attune.content.question import (
    DIVIDE,
    SQRT,
    TIMES,
    Question,
    QuestionKind,
    fmt_fraction,
    fmt_linear,
)

Template = Callable[[Random, int], Question]


def _nonzero(rng: Random, size: int, low: int = 1) -> int:
    return rng.choice([-1, 1]) * rng.randint(low, size)


def _solve_for_x(equation: str, x: int | Fraction, kind: QuestionKind = "integer") -> Question:
    return Question(f"Solve for x: {equation}", fmt_fraction(Fraction(x)), kind, variable="x")


def _then(head: str, tail: str) -> str:
    """Append a signed expression: ``_then("x^2", "-3y")`` is ``x^2 - 3y``."""
    if tail == "0":
        return head
    return f"{head} - {tail[1:]}" if tail.startswith("-") else f"{head} + {tail}"


def exponents(rng: Random, level: int) -> Question:
    """Powers of whole and negative bases; products and quotients of powers."""
    if level == 1:
        base = rng.randint(2, 10)
        power = 2 if base > 5 else rng.randint(2, 4)
        return Question(f"{base}^{power} = ?", str(base**power), "integer")
    if level == 2:
        base, power = -rng.randint(2, 5), rng.randint(2, 4)
        return Question(f"({base})^{power} = ?", str(base**power), "integer")
    base = rng.randint(2, 3)
    m, n = rng.randint(2, 6), rng.randint(2, 5)
    if rng.random() < 0.5:
        return Question(f"{base}^{m} {TIMES} {base}^{n} = ?", str(base ** (m + n)), "integer")
    return Question(f"{base}^{m + n} {DIVIDE} {base}^{n} = ?", str(base**m), "integer")


def square_roots(rng: Random, level: int) -> Question:
    """Square roots of perfect squares, and (level 3) products under the root."""
    if level == 1:
        n = rng.randint(2, 15)
        return Question(f"{SQRT}{n * n} = ?", str(n), "integer")
    if level == 2:
        a, b = rng.randint(2, 12), rng.randint(1, 12)
        op = rng.choice(["+", "-"])
        value = a + b if op == "+" else a - b
        return Question(f"{SQRT}{a * a} {op} {SQRT}{b * b} = ?", str(value), "integer")
    s = rng.choice([2, 3, 5, 6, 7])
    p, q = rng.sample(range(1, 5), 2)
    prompt = f"{SQRT}{s * p * p} {TIMES} {SQRT}{s * q * q} = ?"
    return Question(prompt, str(s * p * q), "integer")


def expr_evaluate(rng: Random, level: int) -> Question:
    """Substitute values into an expression (level 3 includes a square)."""
    if level == 1:
        a, b, x = rng.randint(2, 9), rng.randint(1, 20), rng.randint(1, 10)
        expr = fmt_linear([(a, "x")], b)
        return Question(f"Evaluate {expr} when x = {x}.", str(a * x + b), "integer")
    if level == 2:
        c1, c2, va, vb = (_nonzero(rng, 9) for _ in range(4))
        expr = fmt_linear([(c1, "a"), (c2, "b")])
        prompt = f"Evaluate {expr} when a = {va} and b = {vb}."
        return Question(prompt, str(c1 * va + c2 * vb), "integer")
    k, c, d = rng.randint(1, 3), _nonzero(rng, 9), rng.randint(-10, 10)
    x, y = _nonzero(rng, 6), _nonzero(rng, 9)
    expr = _then("x^2" if k == 1 else f"{k}x^2", fmt_linear([(c, "y")], d))
    prompt = f"Evaluate {expr} when x = {x} and y = {y}."
    return Question(prompt, str(k * x * x + c * y + d), "integer")


def like_terms(rng: Random, level: int) -> Question:
    """Collect like terms; the answer must be fully simplified."""
    letters = {1: ["x", "x", ""], 2: ["x", "", "x", ""], 3: ["x", "y", "", "x", "y"]}[level]
    while True:
        coefs = [rng.randint(1, 9) if level == 1 else _nonzero(rng, 12) for _ in letters]
        terms = list(zip(coefs, letters, strict=True))
        totals = {v: sum(c for c, w in terms if w == v) for v in set(letters)}
        if all(totals[v] for v in totals if v):
            break
    rng.shuffle(terms)
    answer = fmt_linear([(totals[v], v) for v in ("x", "y") if v in totals], totals[""])
    return Question(f"Simplify: {fmt_linear(terms)}", answer, "expression")


def _bracket(a: int, inner: str) -> str:
    return f"{'-' if a == -1 else a}({inner})"


def distributive(rng: Random, level: int) -> Question:
    """Expand brackets; level 3 also collects like terms."""
    if level == 1:
        a, b = rng.randint(2, 9), rng.randint(1, 9)
        return Question(f"Expand: {a}(x + {b})", fmt_linear([(a, "x")], a * b), "expression")
    if level == 2:
        a, b, c = _nonzero(rng, 9, 2), rng.randint(2, 9), _nonzero(rng, 9)
        prompt = f"Expand: {_bracket(a, fmt_linear([(b, 'x')], c))}"
        return Question(prompt, fmt_linear([(a * b, "x")], a * c), "expression")
    while True:
        a, c = rng.randint(2, 9), _nonzero(rng, 9, 2)
        b, d = _nonzero(rng, 9), _nonzero(rng, 9)
        if a + c:
            break
    prompt = _then(_bracket(a, fmt_linear([(1, "x")], b)), _bracket(c, fmt_linear([(1, "x")], d)))
    answer = fmt_linear([(a + c, "x")], a * b + c * d)
    return Question(f"Expand and simplify: {prompt}", answer, "expression")


def eq_one_step_add(rng: Random, level: int) -> Question:
    """x + a = b, x - a = b, and the same with negatives or x on the right."""
    a = rng.randint(1, 20)
    if level == 1:
        x = rng.randint(1, 20)
        return _solve_for_x(f"x + {a} = {x + a}", x)
    x = rng.randint(-20, 20)
    if level == 2:
        return _solve_for_x(f"x - {a} = {x - a}", x)
    a = _nonzero(rng, 20)
    return _solve_for_x(f"{x + a} = {fmt_linear([(1, 'x')], a)}", x)


def eq_one_step_mul(rng: Random, level: int) -> Question:
    """ax = b with and without signs, and x/a = b."""
    if level == 1:
        a, x = rng.randint(2, 9), rng.randint(1, 12)
        return _solve_for_x(f"{a}x = {a * x}", x)
    if level == 2:
        a, x = _nonzero(rng, 9, 2), _nonzero(rng, 12)
        return _solve_for_x(f"{a}x = {a * x}", x)
    a, b = rng.randint(2, 12), _nonzero(rng, 12)
    return _solve_for_x(f"x/{a} = {b}", a * b)


def eq_two_step(rng: Random, level: int) -> Question:
    """ax + b = c, then with signs, then x/a + b = c or b - ax = c."""
    if level == 1:
        a, b, x = rng.randint(2, 9), rng.randint(1, 20), rng.randint(1, 10)
    elif level == 2:
        a, b, x = _nonzero(rng, 9, 2), _nonzero(rng, 20), _nonzero(rng, 10)
    else:
        a, b, k = rng.randint(2, 9), _nonzero(rng, 20), _nonzero(rng, 10)
        if rng.random() < 0.5:
            return _solve_for_x(_then(f"x/{a}", str(b)) + f" = {k + b}", a * k)
        return _solve_for_x(f"{fmt_linear([(b, ''), (-a, 'x')])} = {b - a * k}", k)
    return _solve_for_x(f"{fmt_linear([(a, 'x')], b)} = {a * x + b}", x)


def eq_both_sides(rng: Random, level: int) -> Question:
    """Variables on both sides; level 3 adds a bracket to expand first."""
    x = rng.randint(1, 10) if level == 1 else _nonzero(rng, 10)
    while True:
        if level == 1:
            a, c = sorted(rng.sample(range(1, 10), 2), reverse=True)
            b = rng.randint(0, 15)
        else:
            a, c, b = _nonzero(rng, 9), _nonzero(rng, 9), _nonzero(rng, 15)
        if a != c:
            break
    if level < 3:
        d = (a - c) * x + b  # a x + b = c x + d
        left, right = fmt_linear([(a, "x")], b), fmt_linear([(c, "x")], d)
        return _solve_for_x(f"{left} = {right}", x)
    d = a * (x + b) - c * x  # a (x + b) = c x + d
    left = _bracket(a, fmt_linear([(1, "x")], b))
    return _solve_for_x(f"{left} = {fmt_linear([(c, 'x')], d)}", x)


def eq_fractions(rng: Random, level: int) -> Question:
    """Equations whose coefficients or solutions are fractions."""
    x = Fraction(_nonzero(rng, 9), rng.randint(1, 4))
    if level == 1:
        a = rng.randint(2, 9)
        return _solve_for_x(f"x/{a} = {fmt_fraction(x / a)}", x, "fraction")
    if level == 2:
        coef = Fraction(rng.randint(1, 7), rng.randint(2, 9))
        if coef.denominator == 1:
            coef /= 10
        return _solve_for_x(f"({fmt_fraction(coef)})x = {fmt_fraction(coef * x)}", x, "fraction")
    a = rng.randint(2, 6)
    shift = Fraction(_nonzero(rng, 7), rng.choice([d for d in range(2, 10) if d != a]))
    left = _then(f"x/{a}", fmt_fraction(shift))
    return _solve_for_x(f"{left} = {fmt_fraction(x / a + shift)}", x, "fraction")


def inequalities(rng: Random, level: int) -> Question:
    """Linear inequalities; level 3 divides by a negative, which flips the sign."""
    op = rng.choice(["<", ">", "<=", ">="])
    k = rng.randint(-10, 10)
    if level == 1:
        b = _nonzero(rng, 15)
        prompt, answer_op = f"{fmt_linear([(1, 'x')], b)} {op} {k + b}", op
    elif level == 2:
        a, b = rng.randint(2, 9), _nonzero(rng, 15)
        prompt, answer_op = f"{fmt_linear([(a, 'x')], b)} {op} {a * k + b}", op
    else:
        a, b = rng.randint(2, 9), _nonzero(rng, 15)
        flipped = {"<": ">", ">": "<", "<=": ">=", ">=": "<="}[op]
        prompt, answer_op = f"{fmt_linear([(b, ''), (-a, 'x')])} {op} {b - a * k}", flipped
    return Question(f"Solve for x: {prompt}", f"x {answer_op} {k}", "inequality", variable="x")


def _point(x: int, y: int) -> str:
    return f"({x}, {y})"


def slope(rng: Random, level: int) -> Question:
    """Slope through two points: whole, then signed or fractional, then anywhere."""
    if level == 1:
        x1, y1, dx = rng.randint(0, 5), rng.randint(0, 5), rng.randint(1, 5)
        dy = dx * rng.randint(1, 5)
    elif level == 2:
        x1, y1, dx = rng.randint(0, 6), rng.randint(0, 10), rng.randint(1, 6)
        dy = rng.randint(1, 9) * rng.choice([-1, 1])
    else:
        x1, y1 = rng.randint(-9, 9), rng.randint(-9, 9)
        dx, dy = _nonzero(rng, 9), rng.randint(-12, 12)
    points = f"{_point(x1, y1)} and {_point(x1 + dx, y1 + dy)}"
    prompt = f"What is the slope of the line through {points}?"
    return Question(prompt, fmt_fraction(Fraction(dy, dx)), "fraction")


def slope_intercept(rng: Random, level: int) -> Question:
    """Write y = mx + b from slope and intercept, slope and a point, or two points."""
    m, b = _nonzero(rng, 6), rng.randint(-10, 10)
    if level == 1:
        prompt = f"with slope {m} and y-intercept {b}"
    elif level == 2:
        px = _nonzero(rng, 5)
        prompt = f"with slope {m} through the point {_point(px, m * px + b)}"
    else:
        x1, x2 = rng.sample(range(-5, 6), 2)
        prompt = f"through the points {_point(x1, m * x1 + b)} and {_point(x2, m * x2 + b)}"
    answer = "y = " + fmt_linear([(m, "x")], b)
    return Question(
        f"Write the equation of the line {prompt} in the form y = mx + b.",
        answer,
        "expression",
        variable="y",
    )


def systems(rng: Random, level: int) -> Question:
    """Two linear equations in x and y with one whole-number solution."""
    low = -9 if level == 3 else 1
    x, y = rng.randint(low, 9), rng.randint(low, 9)
    rows = [(1, 1), (1, -1)]
    if level > 1:
        coefs = [n for n in range(-6 if level == 3 else 1, 7) if n]
        while True:
            rows = [(rng.choice(coefs), rng.choice(coefs)) for _ in range(2)]
            # A zero determinant means parallel or identical lines: no single solution.
            if rows[0][0] * rows[1][1] != rows[0][1] * rows[1][0]:
                break
    equations = " and ".join(
        f"{fmt_linear([(p, 'x'), (q, 'y')])} = {p * x + q * y}" for p, q in rows
    )
    return Question(
        f"Solve the system {equations}. Give the answer as (x, y).", f"({x}, {y})", "pair"
    )


TEMPLATES: dict[str, Template] = {
    "exponents": exponents,
    "square-roots": square_roots,
    "expr-evaluate": expr_evaluate,
    "like-terms": like_terms,
    "distributive": distributive,
    "eq-one-step-add": eq_one_step_add,
    "eq-one-step-mul": eq_one_step_mul,
    "eq-two-step": eq_two_step,
    "eq-both-sides": eq_both_sides,
    "eq-fractions": eq_fractions,
    "inequalities": inequalities,
    "slope": slope,
    "slope-intercept": slope_intercept,
    "systems": systems,
}
