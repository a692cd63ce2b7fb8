"""A problem found in a course package, with its location, and the error that carries them."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

_DIGITS = re.compile(r"(\d+)")


@dataclass(frozen=True)
class Problem:
    """One problem: the package ``file`` it is in (a path inside the package), ``where`` in
    that file (``item frac-1``, ``skill add``, ``row 4``), the ``field`` (``choices[2].correct``;
    empty for the whole place) and what is wrong."""

    file: str
    where: str
    field: str
    message: str

    def __str__(self) -> str:
        return ": ".join(part for part in (self.file, self.where, self.field, self.message) if part)


def _natural(text: str) -> tuple[tuple[int, int | str], ...]:
    # "row 10" after "row 9", "choices[10]" after "choices[2]".
    return tuple(
        (0, int(part)) if part.isdigit() else (1, part) for part in _DIGITS.split(text) if part
    )


def sorted_problems(problems: Iterable[Problem]) -> list[Problem]:
    """Problems in reading order: by file, place, field and message, numbers compared as
    numbers; each reported once."""
    return sorted(
        set(problems),
        key=lambda p: (_natural(p.file), _natural(p.where), _natural(p.field), p.message),
    )


class PackageError(Exception):
    """A course package that cannot be loaded; ``problems`` says every reason, sorted."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: tuple[Problem, ...] = tuple(sorted_problems(problems))
        count = len(self.problems)
        first = str(self.problems[0]) if self.problems else "no problem given"
        more = f" (and {count - 1} more)" if count > 1 else ""
        super().__init__(f"the course package is invalid: {first}{more}")
