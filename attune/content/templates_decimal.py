"""Question templates for decimals, fraction/decimal conversion, percents and ratios.

Decimals are held as exact fractions over a power of ten and printed with ``fmt_decimal``,
so no binary floating point ever reaches a prompt or an answer.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from fractions import Fraction
from random import Random

from attune.content.question import DIVIDE, TIMES, Question, fmt_decimal, fmt_fraction

Template = Callable[[Random, int], Question]


def _decimal(prompt: str, value: Fraction) -> Question:
    return Question(prompt=prompt, answer=fmt_decimal(value), kind="decimal")


def _tenths(rng: Random, low: int, high: int, places: int = 1) -> Fraction:
    """A decimal with exactly ``places`` places (its last digit is never 0)."""
    while True:
        n = rng.randint(low, high)
        if n % 10:
            return Fraction(n, 10**places)


def dec_place_value(rng: Random, level: int) -> Question:
    """Decimal places: read a digit, build a decimal from parts, round."""
    places = ["tenths", "hundredths", "thousandths"]
    if level == 1:
        digits = [rng.randint(0, 9) for _ in range(2)] + [rng.randint(1, 9)]
        whole = rng.randint(0, 99)
        place = rng.randrange(3)
        number = f"{whole}.{''.join(map(str, digits))}"
        return Question(
            f"Which digit is in the {places[place]} place of {number}?",
            str(digits[place]),
            "integer",
        )
    if level == 2:
        whole = rng.randint(0, 20)
        chosen = sorted(rng.sample(range(1, 4), 2))
        parts = [(rng.randint(1, 9), 10**p) for p in chosen]
        value = whole + sum((Fraction(d, scale) for d, scale in parts), Fraction(0))
        shown = " + ".join([str(whole), *(f"{d}/{scale}" for d, scale in parts)])
        return _decimal(f"Write {shown} as a decimal.", value)
    to = rng.randrange(2)
    digits = [rng.randint(0, 9) for _ in range(to + 3)]
    # The digit after the rounding place is never 5, so there is no half-way tie to argue.
    digits[to + 1] = rng.choice([0, 1, 2, 3, 4, 6, 7, 8, 9])
    digits[-1] = rng.randint(1, 9)
    value = rng.randint(0, 99) + Fraction(int("".join(map(str, digits))), 10 ** len(digits))
    scale = 10 ** (to + 1)
    rounded = Fraction(math.floor(value * scale + Fraction(1, 2)), scale)
    return _decimal(f"Round {fmt_decimal(value)} to the nearest {places[to][:-1]}.", rounded)


def dec_add_sub(rng: Random, level: int) -> Question:
    """Decimal sums and differences, lining up different numbers of places."""
    if level == 1:
        a, b = _tenths(rng, 1, 99), _tenths(rng, 1, 99)
        return _decimal(f"{fmt_decimal(a)} + {fmt_decimal(b)} = ?", a + b)
    if level == 2:
        b, a = sorted([_tenths(rng, 1, 999, 2), _tenths(rng, 1, 999, 2)])
    else:
        a, b = _tenths(rng, 1, 999, 1), _tenths(rng, 1, 9999, 3)
        if rng.random() < 0.5:
            a, b = b, a
    return _decimal(f"{fmt_decimal(a)} - {fmt_decimal(b)} = ?", a - b)


def dec_mul(rng: Random, level: int) -> Question:
    """Decimal products; the places in the answer are the sum of the factors' places."""
    if level == 1:
        a, b = _tenths(rng, 1, 9), Fraction(rng.randint(2, 9))
    elif level == 2:
        a, b = _tenths(rng, 11, 99), _tenths(rng, 1, 9)
    else:
        a, b = _tenths(rng, 1, 99, 2), _tenths(rng, 11, 99)
    return _decimal(f"{fmt_decimal(a)} {TIMES} {fmt_decimal(b)} = ?", a * b)


def dec_div(rng: Random, level: int) -> Question:
    """Exact decimal quotients, built from divisor and quotient."""
    if level == 1:
        divisor, quotient = Fraction(rng.randint(2, 9)), _tenths(rng, 1, 99)
    elif level == 2:
        divisor = Fraction(rng.choice([2, 4, 5, 25]), rng.choice([10, 100]))
        quotient = Fraction(rng.randint(2, 20) * divisor.denominator)
    else:
        divisor, quotient = _tenths(rng, 2, 99, 2), _tenths(rng, 2, 99)
    return _decimal(
        f"{fmt_decimal(divisor * quotient)} {DIVIDE} {fmt_decimal(divisor)} = ?", quotient
    )


def frac_dec_convert(rng: Random, level: int) -> Question:
    """Fractions with terminating decimals, both ways."""
    den = rng.choice([2, 4, 5, 10] if level == 1 else [8, 16, 20, 25, 40, 50])
    top = den if level == 1 else 2 * den
    value = Fraction(rng.choice([n for n in range(1, top) if math.gcd(n, den) == 1]), den)
    if level < 3:
        return _decimal(f"Write {fmt_fraction(value)} as a decimal.", value)
    return Question(
        f"Write {fmt_decimal(value)} as a fraction in lowest terms.",
        fmt_fraction(value),
        "simplest-fraction",
    )


def _whole_for(rng: Random, percent: int, high: int) -> int:
    """A whole number of which ``percent`` percent is itself whole."""
    step = 100 // math.gcd(percent, 100)
    return step * rng.randint(1, max(1, high // step))


def percent_of(rng: Random, level: int) -> Question:
    """Percent of a number, and which percent one number is of another."""
    if level == 1:
        p = rng.choice([10, 20, 25, 50])
        n = _whole_for(rng, p, 200)
        return _decimal(f"{p}% of {n} = ?", Fraction(p * n, 100))
    p = rng.choice(range(5, 100, 5))
    if level == 2:
        n = rng.randint(20, 400)
        return _decimal(f"{p}% of {n} = ?", Fraction(p * n, 100))
    n = _whole_for(rng, p, 400)
    return Question(f"What percent of {n} is {p * n // 100}?", f"{p}%", "percent")


def percent_change(rng: Random, level: int) -> Question:
    """Percent increase and decrease, and (level 3) undoing a decrease."""
    p = rng.choice([10, 20, 25, 30, 40, 50, 60, 75] if level < 3 else [10, 15, 20, 25, 40])
    old = _whole_for(rng, p, 300)
    if level == 1:
        new = old * (100 + p) // 100
        return Question(
            f"A price rises from ${old} to ${new}. What is the percent increase?",
            f"{p}%",
            "percent",
        )
    new = old * (100 - p) // 100
    if level == 2:
        return Question(
            f"A price falls from ${old} to ${new}. What is the percent decrease?",
            f"{p}%",
            "percent",
        )
    return _decimal(
        f"After a {p}% discount a jacket costs ${new}. What was the original price in dollars?",
        Fraction(old),
    )


def ratios_rates(rng: Random, level: int) -> Question:
    """Unit rates, scaling a rate, and sharing in a ratio."""
    if level == 1:
        count, unit = rng.randint(2, 9), rng.randint(2, 15)
        return _decimal(
            f"{count} tickets cost ${count * unit}. How many dollars does 1 ticket cost?",
            Fraction(unit),
        )
    if level == 2:
        speed, h1, h2 = rng.randint(30, 90), rng.randint(2, 5), rng.randint(6, 9)
        return _decimal(
            f"A train travels {speed * h1} km in {h1} hours. At the same speed, how many km "
            f"does it travel in {h2} hours?",
            Fraction(speed * h2),
        )
    while True:
        r, b = rng.randint(1, 7), rng.randint(2, 9)
        if math.gcd(r, b) == 1 and r != b:
            break
    k = rng.randint(2, 12)
    return Question(
        f"Red and blue marbles are in the ratio {r}:{b}. There are {(r + b) * k} marbles. "
        "How many are red?",
        str(r * k),
        "integer",
    )


TEMPLATES: dict[str, Template] = {
    "dec-place-value": dec_place_value,
    "dec-add-sub": dec_add_sub,
    "dec-mul": dec_mul,
    "dec-div": dec_div,
    "frac-dec-convert": frac_dec_convert,
    "percent-of": percent_of,
    "percent-change": percent_change,
    "ratios-rates": ratios_rates,
}
