"""A subject's terminology: the terms a course uses (and what they mean), and the synonyms it
avoids, so generated items speak the course's language ("numerator", not "top number").

Generators put the terms in their prompt ("use these terms"); the evaluator *flags* (warns
about, or with ``refuse_avoided_terms`` refuses) an item that uses a synonym listed under
``avoid``. A later step loads the section from a course package; for now a YAML or JSON file
is read and validated here, each problem located (:class:`Problem`), never raised::

    subject: fractions
    terms:
      numerator: the number above the fraction bar
      denominator: the number below the fraction bar
    avoid:
      top number: numerator      # the synonym -> the term to use instead
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from attune.content.package.documents import DocumentError, parse_document
from attune.content.package.problems import Problem, sorted_problems

MAX_TERMS = 500
MAX_TERM_CHARS = 100
MAX_MEANING_CHARS = 500
MAX_SUBJECT_CHARS = 200
_KEYS = ("subject", "terms", "avoid")


@dataclass(frozen=True)
class Terminology:
    """The ``terms`` of a ``subject`` (term -> meaning) and the synonyms to ``avoid``
    (synonym -> the term to use instead)."""

    subject: str
    terms: Mapping[str, str]
    avoid: Mapping[str, str] = field(default_factory=dict)

    def prompt_lines(self) -> list[str]:
        """The terminology as lines for a generator's prompt."""
        lines = [f"- {term}: {meaning}" for term, meaning in self.terms.items()]
        lines += [f'- never say "{synonym}"; say "{term}"' for synonym, term in self.avoid.items()]
        return lines

    def avoided_in(self, text: str) -> list[tuple[str, str]]:
        """Each (synonym, preferred term) whose synonym ``text`` uses (whole words, any
        case)."""
        return [
            (synonym, term)
            for synonym, term in self.avoid.items()
            if re.search(rf"(?<!\w){re.escape(synonym)}(?!\w)", text, re.IGNORECASE)
        ]


class TerminologyRegistry(Protocol):
    """Where generators and the evaluator find a tenant's terminology for a subject."""

    def get(self, tenant: str, subject: str) -> Terminology | None:
        """The terminology of ``subject`` for ``tenant``, or None."""
        ...


class InMemoryTerminologyRegistry:
    """A :class:`TerminologyRegistry` in a dict (tests, and a course's loaded section)."""

    def __init__(self) -> None:
        self._by_key: dict[tuple[str, str], Terminology] = {}

    def put(self, tenant: str, terminology: Terminology) -> None:
        """Set (or replace) the terminology of its subject for ``tenant``."""
        self._by_key[(tenant, terminology.subject.casefold())] = terminology

    def get(self, tenant: str, subject: str) -> Terminology | None:
        """The terminology of ``subject`` (any case) for ``tenant``, or None."""
        return self._by_key.get((tenant, subject.casefold()))


def _text(value: Any, limit: int) -> str | None:
    """``value`` stripped when it is non-empty text within ``limit``; None otherwise."""
    if isinstance(value, str) and value.strip() and len(value) <= limit:
        return value.strip()
    return None


def _pairs(file: str, section: str, value: Any, limit: int) -> Iterator[Problem | tuple[str, str]]:
    """The (key, text) pairs of a mapping section, or the problems of each bad entry."""
    if not isinstance(value, dict):
        yield Problem(file, section, "", "must be a mapping of text to text")
        return
    for key, text in value.items():
        where = f"{section} {str(key)[:MAX_TERM_CHARS]!r}"
        name = _text(key, MAX_TERM_CHARS)
        if name is None:
            yield Problem(file, where, "", f"must be 1 to {MAX_TERM_CHARS} characters")
            continue
        meaning = _text(text, limit)
        if meaning is None:
            yield Problem(file, where, "", f"needs text of 1 to {limit} characters")
            continue
        yield name, meaning


def _validated(file: str, doc: Any) -> tuple[Terminology | None, list[Problem]]:
    if not isinstance(doc, dict):
        return None, [Problem(file, "", "", "must be a mapping with subject and terms")]
    problems = [Problem(file, "", key, "unknown field") for key in doc if key not in _KEYS]
    subject = _text(doc.get("subject"), MAX_SUBJECT_CHARS)
    if subject is None:
        problems.append(
            Problem(file, "", "subject", f"required, 1 to {MAX_SUBJECT_CHARS} characters")
        )
    terms: dict[str, str] = {}
    avoid: dict[str, str] = {}
    for target, section, limit in (
        (terms, "terms", MAX_MEANING_CHARS),
        (avoid, "avoid", MAX_TERM_CHARS),
    ):
        if section == "terms" and "terms" not in doc:
            problems.append(Problem(file, "", "terms", "required"))
            continue
        seen: set[str] = set()
        for got in _pairs(file, section, doc.get(section, {}), limit):
            if isinstance(got, Problem):
                problems.append(got)
            elif got[0].casefold() in seen:
                problems.append(Problem(file, f"{section} {got[0]!r}", "", "listed twice"))
            else:
                seen.add(got[0].casefold())
                target[got[0]] = got[1]
    if len(terms) > MAX_TERMS:
        problems.append(Problem(file, "", "terms", f"more than {MAX_TERMS} terms"))
    known = {term.casefold(): term for term in terms}
    for synonym, term in avoid.items():
        where = f"avoid {synonym!r}"
        if synonym.casefold() in known:
            problems.append(Problem(file, where, "", "is itself a term to use"))
        elif term.casefold() not in known:
            problems.append(Problem(file, where, "", f"names {term!r}, which is not a term"))
        else:
            avoid[synonym] = known[term.casefold()]
    if problems or subject is None:
        return None, sorted_problems(problems)
    return Terminology(subject=subject, terms=terms, avoid=avoid), []


def load_terminology(name: str, data: bytes) -> tuple[Terminology | None, list[Problem]]:
    """The terminology in a YAML (``.yaml``/``.yml``) or JSON document called ``name``, or
    None with every problem located. Never raises on bad input."""
    try:
        doc = parse_document(name, data)
    except DocumentError as exc:
        return None, [exc.problem]
    return _validated(name, doc)


def load_terminology_file(path: Path | str) -> tuple[Terminology | None, list[Problem]]:
    """:func:`load_terminology` of a file (its name is the problems' location)."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        return None, [Problem(path.name, "", "", f"cannot be read: {exc.strerror or exc}")]
    return load_terminology(path.name, data)
