"""Question templates for whole numbers, integers and number theory.

Each template takes a seeded ``random.Random`` and a level (1 easy .. 3 hard). Where a
division or a factor must come out whole, the answer is picked first and the question built
backwards from it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from random import Random

from attune.content.question import DIVIDE, TIMES, Question, paren

Template = Callable[[Random, int], Question]


def _integer(prompt: str, value: int) -> Question:
    return Question(prompt=prompt, answer=str(value), kind="integer")


def _nonzero(rng: Random, size: int) -> int:
    return rng.choice([-1, 1]) * rng.randint(1, size)


def _signed(rng: Random, size: int, count: int) -> list[int]:
    """Non-zero integers of which at least one is negative: the point of these skills."""
    values = [_nonzero(rng, size) for _ in range(count)]
    if min(values) > 0:
        values[rng.randrange(count)] *= -1
    return values


def place_value(rng: Random, level: int) -> Question:
    """Digits by place, and (level 3) regrouping of place units into one number."""
    if level == 3:
        units = [rng.randint(1, 9), rng.randint(10, 19), rng.randint(1, 9), rng.randint(1, 9)]
        value = units[0] * 1000 + units[1] * 100 + units[2] * 10 + units[3]
        prompt = (
            f"What number is {units[0]} thousands + {units[1]} hundreds + "
            f"{units[2]} tens + {units[3]} ones?"
        )
        return _integer(prompt, value)
    places = ["ones", "tens", "hundreds", "thousands", "ten thousands"]
    width = 3 if level == 1 else 5
    digits = [rng.randint(1, 9)] + [rng.randint(0, 9) for _ in range(width - 1)]
    number = int("".join(map(str, digits)))
    place = rng.randrange(width)
    return _integer(
        f"Which digit is in the {places[place]} place of {number:,}?", digits[-1 - place]
    )


def whole_add(rng: Random, level: int) -> Question:
    """Sums of two (or, at level 3, three) whole numbers."""
    low, high, count = {1: (10, 99, 2), 2: (100, 9999, 2), 3: (100, 9999, 3)}[level]
    terms = [rng.randint(low, high) for _ in range(count)]
    return _integer(" + ".join(map(str, terms)) + " = ?", sum(terms))


def whole_sub(rng: Random, level: int) -> Question:
    """Differences with a non-negative result."""
    high = {1: 99, 2: 9999, 3: 99999}[level]
    b = rng.randint(1, high // 2)
    difference = rng.randint(0, high - b)
    return _integer(f"{b + difference} - {b} = ?", difference)


def whole_mul(rng: Random, level: int) -> Question:
    """Products: one-digit facts, then two- and three-digit factors."""
    (a_low, a_high), (b_low, b_high) = {
        1: ((2, 9), (2, 9)),
        2: ((11, 99), (2, 9)),
        3: ((11, 999), (11, 99)),
    }[level]
    a, b = rng.randint(a_low, a_high), rng.randint(b_low, b_high)
    return _integer(f"{a} {TIMES} {b} = ?", a * b)


def whole_div(rng: Random, level: int) -> Question:
    """Exact division, built from divisor and quotient."""
    (d_low, d_high), (q_low, q_high) = {
        1: ((2, 9), (2, 9)),
        2: ((2, 9), (10, 99)),
        3: ((11, 30), (10, 99)),
    }[level]
    divisor, quotient = rng.randint(d_low, d_high), rng.randint(q_low, q_high)
    return _integer(f"{divisor * quotient} {DIVIDE} {divisor} = ?", quotient)


def order_ops(rng: Random, level: int) -> Question:
    """Mixed operations where the order of operations changes the result."""
    a, b, c = rng.randint(2, 12), rng.randint(2, 9), rng.randint(2, 9)
    if level == 1:
        return _integer(f"{a} + {b} {TIMES} {c} = ?", a + b * c)
    if level == 2:
        d = rng.randint(1, (a + b) * c - 1)
        return _integer(f"({a} + {b}) {TIMES} {c} - {d} = ?", (a + b) * c - d)
    low, e, k = rng.randint(1, 9), rng.randint(2, 9), rng.randint(2, 9)
    prompt = f"{a} {TIMES} ({b + low} - {low}) + {e * k} {DIVIDE} {e} = ?"
    return _integer(prompt, a * b + k)


def neg_numbers(rng: Random, level: int) -> Question:
    """Opposites, absolute values and ordering of signed numbers."""
    if level == 1:
        n = _nonzero(rng, 20)
        return _integer(f"What is the opposite of {n}?", -n)
    if level == 2:
        a, b = _nonzero(rng, 30), -rng.randint(1, 30)
        return _integer(f"|{a}| + |{b}| = ?", abs(a) + abs(b))
    values = rng.sample(range(-25, 26), 5)
    listed = ", ".join(map(str, values))
    return _integer(f"Which is the smallest of these numbers: {listed}?", min(values))


def int_add(rng: Random, level: int) -> Question:
    """Sums of signed integers, at least one of them negative."""
    size, count = {1: (10, 2), 2: (50, 2), 3: (100, 3)}[level]
    terms = _signed(rng, size, count)
    prompt = str(terms[0]) + "".join(f" + {paren(t)}" for t in terms[1:]) + " = ?"
    return _integer(prompt, sum(terms))


def int_sub(rng: Random, level: int) -> Question:
    """Differences of signed integers, including subtracting a negative."""
    size, count = {1: (10, 2), 2: (50, 2), 3: (100, 3)}[level]
    terms = _signed(rng, size, count)
    prompt = str(terms[0]) + "".join(f" - {paren(t)}" for t in terms[1:]) + " = ?"
    return _integer(prompt, terms[0] - sum(terms[1:]))


def int_mul(rng: Random, level: int) -> Question:
    """Products of signed integers; level 3 has three factors."""
    size, count = {1: (9, 2), 2: (12, 2), 3: (9, 3)}[level]
    factors = _signed(rng, size, count)
    return _integer(f" {TIMES} ".join(map(paren, factors)) + " = ?", math.prod(factors))


def int_div(rng: Random, level: int) -> Question:
    """Exact division of signed integers."""
    size = {1: 9, 2: 12, 3: 25}[level]
    divisor, quotient = _signed(rng, size, 2)
    return _integer(f"{divisor * quotient} {DIVIDE} {paren(divisor)} = ?", quotient)


def factors(rng: Random, level: int) -> Question:
    """How many positive factors a number has."""
    low, high = {1: (6, 30), 2: (30, 100), 3: (100, 400)}[level]
    n = rng.randint(low, high)
    count = sum(1 for d in range(1, n + 1) if n % d == 0)
    return _integer(f"How many positive factors does {n} have?", count)


def multiples(rng: Random, level: int) -> Question:
    """Listing and counting multiples."""
    n = rng.randint(3, 9) if level < 3 else rng.randint(6, 19)
    if level == 1:
        k = rng.randint(2, 9)
        return _integer(f"What is the {_ordinal(k)} multiple of {n}? (The 1st is {n}.)", k * n)
    if level == 2:
        floor = rng.randint(20, 99)
        return _integer(
            f"What is the smallest multiple of {n} that is greater than {floor}?",
            (floor // n + 1) * n,
        )
    top = rng.randint(100, 300)
    return _integer(f"How many multiples of {n} are there from 1 to {top}?", top // n)


def primes(rng: Random, level: int) -> Question:
    """Recognising primes and prime factors."""
    if level == 1:
        n = rng.randint(2, 40)
        return _integer(f"What is the smallest prime number greater than {n}?", _next_prime(n))
    small = [p for p in range(3, 40) if _is_prime(p)]
    if level == 2:
        p, q = rng.choice(small[:5]), rng.choice(small)
        return _integer(f"What is the smallest prime factor of {p * q}?", min(p, q))
    chosen = [rng.choice(small) for _ in range(3)]
    return _integer(f"What is the largest prime factor of {math.prod(chosen)}?", max(chosen))


def gcd(rng: Random, level: int) -> Question:
    """Greatest common divisor, built from a common factor and coprime cofactors."""
    g = rng.randint(2, 6) if level == 1 else rng.randint(2, 12)
    count = 3 if level == 3 else 2
    while True:
        cofactors = rng.sample(range(1 if level == 1 else 2, 13), count)
        if math.gcd(*cofactors) == 1:
            break
    numbers = ", ".join(str(g * c) for c in cofactors)
    return _integer(f"What is the greatest common factor of {numbers}?", g)


def lcm(rng: Random, level: int) -> Question:
    """Least common multiple of two or three numbers."""
    low, high, count = {1: (2, 10, 2), 2: (4, 20, 2), 3: (2, 15, 3)}[level]
    numbers = rng.sample(range(low, high + 1), count)
    listed = ", ".join(map(str, numbers))
    return _integer(f"What is the least common multiple of {listed}?", math.lcm(*numbers))


def _is_prime(n: int) -> bool:
    return n >= 2 and all(n % d for d in range(2, math.isqrt(n) + 1))


def _next_prime(n: int) -> int:
    n += 1
    while not _is_prime(n):
        n += 1
    return n


def _ordinal(k: int) -> str:
    # Only used for 2..9, where the English suffixes are regular.
    suffix = {2: "nd", 3: "rd"}.get(k, "th")
    return f"{k}{suffix}"


TEMPLATES: dict[str, Template] = {
    "place-value": place_value,
    "whole-add": whole_add,
    "whole-sub": whole_sub,
    "whole-mul": whole_mul,
    "whole-div": whole_div,
    "order-ops": order_ops,
    "neg-numbers": neg_numbers,
    "int-add": int_add,
    "int-sub": int_sub,
    "int-mul": int_mul,
    "int-div": int_div,
    "factors": factors,
    "multiples": multiples,
    "primes": primes,
    "gcd": gcd,
    "lcm": lcm,
}
