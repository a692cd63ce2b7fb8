"""The one error inbound validation raises: the path of the first problem and what is wrong.

A path reads like the JSON it points into (``statements[2].verb.id``), so that whoever sent
the batch finds the offending value without guessing; the web layer turns it into a 400.
"""

from __future__ import annotations


class InvalidInputError(ValueError):
    """``path`` names the value, ``problem`` says what is wrong with it."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem

    @property
    def reason(self) -> str:
        return str(self)


class IdConflictError(Exception):
    """A statement id seen before with different content (xAPI 1.0.3 Communication §2.1.1,
    §2.1.2: 409 Conflict, and nothing changes)."""

    def __init__(self, path: str, ident: str) -> None:
        super().__init__(f"{path}: id {ident} was received before with different content")
        self.path = path
        self.ident = ident

    @property
    def reason(self) -> str:
        return str(self)


def key(path: str, name: str) -> str:
    """``path`` extended by an object key (the root is the empty path)."""
    return f"{path}.{name}" if path else name


def index(path: str, position: int) -> str:
    """``path`` extended by an array position."""
    return f"{path}[{position}]"
