"""Question templates for fractions and mixed numbers.

Operands are shown in lowest terms so that "unlike denominators" really are unlike, and
answers are computed exactly with :class:`fractions.Fraction`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from fractions import Fraction
from random import Random

from attune.content.question import DIVIDE, TIMES, Question, fmt_fraction, fmt_mixed, paren

Template = Callable[[Random, int], Question]


def _fraction_answer(prompt: str, value: Fraction) -> Question:
    return Question(prompt=prompt, answer=fmt_fraction(value), kind="fraction")


def _proper(rng: Random, den: int) -> Fraction:
    """A proper fraction in lowest terms with exactly this denominator (den >= 2)."""
    return Fraction(rng.choice([n for n in range(1, den) if math.gcd(n, den) == 1]), den)


def _joined(terms: list[Fraction], op: str) -> str:
    return f" {op} ".join([fmt_fraction(terms[0]), *(paren(t) for t in terms[1:])])


def frac_equiv(rng: Random, level: int) -> Question:
    """Missing numerator (or, at level 3, denominator) of an equivalent fraction."""
    base = _proper(rng, rng.randint(2, 6 if level == 1 else 12))
    p, q = base.numerator, base.denominator
    if level < 3:
        k = rng.randint(2, 5 if level == 1 else 9)
        return Question(f"{p}/{q} = ?/{q * k}", str(p * k), "integer")
    k1, k2 = rng.sample(range(2, 10), 2)
    return Question(f"{p * k1}/? = {p * k2}/{q * k2}", str(q * k1), "integer")


def frac_simplify(rng: Random, level: int) -> Question:
    """Reduce to lowest terms; the answer must itself be in lowest terms."""
    if level < 3:
        value = _proper(rng, rng.randint(2, 10 if level == 1 else 12))
        k = rng.randint(2, 5 if level == 1 else 12)
    else:
        den = rng.randint(2, 12)
        value = _proper(rng, den) + rng.randint(1, 4)
        k = rng.randint(2, 15)
    prompt = f"Simplify {value.numerator * k}/{value.denominator * k} to lowest terms."
    return Question(prompt, fmt_fraction(value), "simplest-fraction")


def frac_compare(rng: Random, level: int) -> Question:
    """Fill in <, > or = between two fractions."""
    if level == 1:
        den = rng.randint(3, 12)
        n1, n2 = rng.sample(range(1, den), 2)
        left, right = f"{n1}/{den}", f"{n2}/{den}"
        a, b = Fraction(n1, den), Fraction(n2, den)
    elif level == 2:
        num = rng.randint(1, 5)
        d1, d2 = rng.sample(range(num + 1, 13), 2)
        left, right = f"{num}/{d1}", f"{num}/{d2}"
        a, b = Fraction(num, d1), Fraction(num, d2)
    elif rng.random() < 0.25:
        base = _proper(rng, rng.randint(2, 9))
        k = rng.randint(2, 5)
        a = b = base
        left, right = fmt_fraction(base), f"{base.numerator * k}/{base.denominator * k}"
    else:
        d1, d2 = rng.sample(range(3, 13), 2)
        a, b = _proper(rng, d1), _proper(rng, d2)
        left, right = fmt_fraction(a), fmt_fraction(b)
    symbol = "<" if a < b else ">" if a > b else "="
    return Question(f"Fill in <, > or =: {left} __ {right}", symbol, "comparison")


def frac_add_like(rng: Random, level: int) -> Question:
    """Sums over one common denominator."""
    den = rng.randint(3, 12)
    count = 3 if level == 3 else 2
    while True:
        nums = [rng.randint(1, den - 1) for _ in range(count)]
        if level > 1 or sum(nums) < den:
            break
    prompt = " + ".join(f"{n}/{den}" for n in nums) + " = ?"
    return _fraction_answer(prompt, Fraction(sum(nums), den))


def frac_add_unlike(rng: Random, level: int) -> Question:
    """Sums needing a common denominator: a multiple, coprime, then three terms."""
    if level == 1:
        d1 = rng.randint(2, 6)
        dens = [d1, d1 * rng.randint(2, 3)]
    elif level == 2:
        while True:
            dens = rng.sample(range(2, 10), 2)
            if math.gcd(*dens) == 1:
                break
    else:
        dens = rng.sample(range(2, 13), 3)
    terms = [_proper(rng, d) for d in dens]
    return _fraction_answer(_joined(terms, "+") + " = ?", sum(terms, Fraction(0)))


def frac_sub(rng: Random, level: int) -> Question:
    """Differences; only level 3 may go below zero."""
    if level == 1:
        den = rng.randint(3, 12)
        b, a = sorted(rng.sample(range(1, den), 2))
        return _fraction_answer(f"{a}/{den} - {b}/{den} = ?", Fraction(a - b, den))
    while True:
        x, y = (_proper(rng, d) for d in rng.sample(range(2, 13), 2))
        if level == 3 or x > y:
            break
    return _fraction_answer(f"{fmt_fraction(x)} - {fmt_fraction(y)} = ?", x - y)


def frac_mul(rng: Random, level: int) -> Question:
    """Products of fractions, a fraction and a whole number, and signed fractions."""
    if level == 1:
        terms = [_proper(rng, rng.randint(2, 6)) for _ in range(2)]
    elif level == 2:
        terms = [_proper(rng, rng.randint(2, 12)), Fraction(rng.randint(2, 12))]
        rng.shuffle(terms)
    else:
        terms = [_proper(rng, rng.randint(2, 12)) * rng.randint(1, 3) for _ in range(2)]
        terms[rng.randrange(2)] *= -1
    return _fraction_answer(_joined(terms, TIMES) + " = ?", terms[0] * terms[1])


def frac_div(rng: Random, level: int) -> Question:
    """Quotients: by a whole number, by a fraction, and with signs."""
    x = _proper(rng, rng.randint(2, 12))
    if level == 1:
        y = Fraction(rng.randint(2, 9))
    elif level == 2:
        y = _proper(rng, rng.randint(2, 12))
    else:
        x *= rng.choice([-1, 1]) * rng.randint(1, 3)
        y = -_proper(rng, rng.randint(2, 12)) * rng.randint(1, 2)
    return _fraction_answer(f"{fmt_fraction(x)} {DIVIDE} {paren(y)} = ?", x / y)


def _mixed(rng: Random, den: int) -> Fraction:
    return rng.randint(1, 5) + _proper(rng, den)


def mixed_numbers(rng: Random, level: int) -> Question:
    """Mixed-number sums and differences; level 3 also needs a common denominator."""
    den = rng.randint(3, 10)
    if level == 1:
        x, y = _mixed(rng, den), _mixed(rng, den)
        op = "+"
    elif level == 2:
        # Borrowing: the first fraction part is smaller than the second.
        coprime = [n for n in range(1, den) if math.gcd(n, den) == 1]
        small, big = sorted(rng.sample(coprime, 2))
        x = rng.randint(3, 7) + Fraction(small, den)
        y = rng.randint(1, 2) + Fraction(big, den)
        op = "-"
    else:
        d1, d2 = rng.sample(range(2, 10), 2)
        x, y = _mixed(rng, d1), _mixed(rng, d2)
        op = "+"
    value = x + y if op == "+" else x - y
    return Question(f"{fmt_mixed(x)} {op} {fmt_mixed(y)} = ?", fmt_mixed(value), "fraction")


TEMPLATES: dict[str, Template] = {
    "frac-equiv": frac_equiv,
    "frac-simplify": frac_simplify,
    "frac-compare": frac_compare,
    "frac-add-like": frac_add_like,
    "frac-add-unlike": frac_add_unlike,
    "frac-sub": frac_sub,
    "frac-mul": frac_mul,
    "frac-div": frac_div,
    "mixed-numbers": mixed_numbers,
}
