"""Answer checks per second, per item type (issue 13): text, numeric, choice, maths.

A benchmark, not a test: it prints a table and never asserts on timings.

    .venv/bin/python -m bench.checking                # 2 s per type
    .venv/bin/python -m bench.checking --seconds 5 --math-threads 2

Each type runs a mix of right and wrong answers (varied, so no cache answers every call)
through the public ``check`` for ``--seconds`` after a short warm-up. Maths goes through the
real worker pool (``--math-workers`` processes, ``--math-threads`` callers): the figure
includes the round trip to the worker and sympy's parse and simplify.
"""

from __future__ import annotations

import argparse
import os
import random
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from attune.content.checking import MathPool, Response, check
from attune.content.model import (
    Choice,
    ContentItem,
    MathAnswer,
    NumericAnswer,
    TextAnswer,
)

Case = tuple[ContentItem, Response]


def _item(item_id: str, **fields: object) -> ContentItem:
    return ContentItem(item_id=item_id, stem_html="", skill_ids=("s",), **fields)  # type: ignore[arg-type]


def text_cases(rng: random.Random) -> list[Case]:
    """Typed words against three accepted answers, a third of them wrong."""
    words = ["Paris", "photosynthesis", "New York", "mitochondria", "Avogadro", "colour"]
    cases = []
    for n in range(300):
        word = rng.choice(words)
        answers = (TextAnswer(word), TextAnswer(word + "s", score=0.5), TextAnswer("x", score=0))
        typed = [word.upper() + ".", f"  {word}  ", "wrong answer"][n % 3]
        cases.append((_item(f"t{n}", type="text_entry", text_answers=answers), Response(typed)))
    return cases


def numeric_cases(rng: random.Random) -> list[Case]:
    """Numbers in several notations, with units and tolerances; some wrong."""
    cases = []
    for n in range(300):
        value = round(rng.uniform(-1e4, 1e4), 2)
        answers = (
            NumericAnswer(value, tolerance=0.01, units=("m", "metres")),
            NumericAnswer(round(value), tolerance=0.5, units=("m",), score=0.5),
        )
        typed = [f"{value:,.2f} m", f"{value:.3e} metres", f"{value + 7} m", f"{value}"][n % 4]
        cases.append((_item(f"n{n}", type="numeric", numeric_answers=answers), Response(typed)))
    return cases


def choice_cases(rng: random.Random) -> list[Case]:
    """Single choice, and multiple response with and without partial credit."""
    cases = []
    for n in range(300):
        options = tuple(
            Choice(f"o{k}", f"option {k}", correct=k % 2 == 0, feedback_html=f"<p>{k}</p>")
            for k in range(5)
        )
        picked = tuple(sorted(rng.sample([o.id for o in options], rng.randint(1, 3))))
        if n % 3 == 0:
            content = _item(f"c{n}", type="choice", choices=options)
            cases.append((content, Response(choice_ids=picked[:1])))
        else:
            content = _item(
                f"c{n}", type="multiple_response", choices=options, partial_credit=n % 3 == 1
            )
            cases.append((content, Response(choice_ids=picked)))
    return cases


def math_cases(rng: random.Random) -> list[Case]:
    """Polynomials and identities typed in other forms; half of them wrong."""
    cases = []
    for n in range(2000):
        a, b = rng.randint(2, 99), rng.randint(1, 99)
        expected, typed = [
            (f"{a}*x + {a * b}", f"{a}(x+{b})"),
            (f"x**2 + {2 * b}*x + {b * b}", f"(x+{b})^2"),
            (f"{a}*sin(x)**2 + {a}*cos(x)**2", f"{a}"),
            (f"{a}*x*y + {b}", f"{b} + {a}yx"),
        ][n % 4]
        if n % 8 >= 4:
            typed += f" + {b}x"  # wrong
        cases.append(
            (_item(f"m{n}", type="math", math_answer=MathAnswer(expected)), Response(typed))
        )
    return cases


@dataclass(frozen=True)
class Row:
    """One type's figures."""

    kind: str
    checks: int
    seconds: float
    right: int
    unscored: int

    @property
    def per_second(self) -> float:
        return self.checks / self.seconds if self.seconds else 0.0


def measure(
    kind: str,
    cases: Sequence[Case],
    run: Callable[[ContentItem, Response], float | None],
    seconds: float,
    threads: int = 1,
) -> Row:
    """Run the cases round-robin for ``seconds``, after a warm-up on the first 20 (which
    also starts the maths workers); the rest are new to every cache."""
    for content, response in cases[:20]:
        run(content, response)
    counts = [[0, 0, 0] for _ in range(threads)]  # checks, right, unscored per thread
    deadline = time.perf_counter() + seconds

    def loop(slot: list[int], offset: int) -> None:
        i = offset
        while time.perf_counter() < deadline:
            content, response = cases[i % len(cases)]
            score = run(content, response)
            slot[0] += 1
            slot[1] += score == 1.0
            slot[2] += score is None
            i += 1

    start = time.perf_counter()
    workers = [threading.Thread(target=loop, args=(counts[t], t * 37)) for t in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - start
    total = [sum(column) for column in zip(*counts, strict=True)]
    return Row(kind, total[0], elapsed, total[1], total[2])


def main(argv: Sequence[str] | None = None) -> None:
    """Measure each type and print the table."""
    parser = argparse.ArgumentParser(prog="python -m bench.checking")
    parser.add_argument("--seconds", type=float, default=2.0, help="measured seconds per type")
    parser.add_argument("--math-workers", type=int, default=2)
    parser.add_argument("--math-threads", type=int, default=2, help="concurrent maths callers")
    args = parser.parse_args(argv)
    rng = random.Random(13)
    pool = MathPool(size=args.math_workers, timeout_s=5.0)
    try:

        def plain(content: ContentItem, response: Response) -> float | None:
            return check(content, response).score

        def maths(content: ContentItem, response: Response) -> float | None:
            return check(content, response, maths=pool).score

        rows = [
            measure("text", text_cases(rng), plain, args.seconds),
            measure("numeric", numeric_cases(rng), plain, args.seconds),
            measure("choice", choice_cases(rng), plain, args.seconds),
            measure("math", math_cases(rng), maths, args.seconds, threads=args.math_threads),
        ]
    finally:
        pool.close()
    print(
        f"answer checks per second ({os.cpu_count()} CPUs; maths: "
        f"{args.math_workers} workers, {args.math_threads} callers)"
    )
    print(
        f"{'type':<8} {'checks/s':>10} {'µs/check':>9} {'checks':>8} {'right':>6} {'unscored':>8}"
    )
    for row in rows:
        mean_us = 1e6 * row.seconds / row.checks if row.checks else float("nan")
        print(
            f"{row.kind:<8} {row.per_second:>10,.0f} {mean_us:>9,.1f} {row.checks:>8} "
            f"{row.right:>6} {row.unscored:>8}"
        )


if __name__ == "__main__":
    main()
