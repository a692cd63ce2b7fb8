"""What item generation takes and gives: the request, the generated item with its provenance
and the evidence that lets the evaluator verify its answer, and the generator port.

A generated item is never shown on the generator's word: it carries *evidence* (a computation,
a check expression, an equation, or the template that computed it) and the answer it
*stated*, and :mod:`attune.content.generation.evaluator` verifies the key against both before
the item may enter the bank (:mod:`attune.content.generation.bank`). Pure values; no I/O.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from attune.content.generation.terminology import Terminology
from attune.content.model import ContentItem, ContentSkill, ItemType

Clock = Callable[[], datetime]
"""Now, as an aware datetime; injected so provenance is reproducible in tests."""


def utc_now() -> datetime:
    """The default clock."""
    return datetime.now(UTC)


def sha256_hex(text: str) -> str:
    """The SHA-256 of ``text`` (UTF-8), in hex: the digest a provenance keeps of a prompt."""
    return hashlib.sha256(text.encode()).hexdigest()


class GenerationError(Exception):
    """A generator could not produce an item; the message says why (never a credential)."""


@dataclass(frozen=True)
class GenerationRequest:
    """One item wanted: for whom (tenant, course, skill), what (subject, type, level 1..3),
    with which variation ``seed``, the course's ``terminology`` and up to three ``examples``
    of the skill's items. ``item_type`` None lets the generator choose."""

    tenant: str
    course_id: str
    skill: ContentSkill
    subject: str
    seed: int
    level: int = 2
    item_type: ItemType | None = None
    terminology: Terminology | None = None
    examples: tuple[ContentItem, ...] = ()

    def __post_init__(self) -> None:
        if not 1 <= self.level <= 3:
            raise ValueError(f"level must be 1, 2 or 3, not {self.level}")
        if len(self.examples) > 3:
            raise ValueError("at most three examples")


# --- evidence: what the evaluator checks the key against ------------------------------------


@dataclass(frozen=True)
class Computation:
    """Arithmetic whose value is the key (numeric items, numeric choices): ``3/4 + 1/8``."""

    expression: str


@dataclass(frozen=True)
class Equivalence:
    """The expression the key must be algebraically equal to (math and text-entry items):
    for "Expand 2(x + 3)" the check expression is ``2(x + 3)``."""

    check_expression: str


@dataclass(frozen=True)
class Substitution:
    """An equation the key solves for ``variable``: ``2x + 3 = 7`` with ``x``."""

    equation: str
    variable: str


@dataclass(frozen=True)
class TemplateSource:
    """The item was rendered from an Attune template (``template:NAME?level=N``) with
    ``seed``: the evaluator renders it again and checks every key with the template's own
    answer checking."""

    content: str
    seed: int


Evidence = Computation | Equivalence | Substitution | TemplateSource


# --- the verdict and the provenance ---------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    """The evaluator's decision. ``accepted`` only when the item is well formed and its key
    verified; ``reasons`` say why not; ``verified_by`` what was checked; ``warnings`` what an
    instructor may want to look at (terminology to avoid) without refusing the item."""

    accepted: bool
    reasons: tuple[str, ...] = ()
    verified_by: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()

    @property
    def reason(self) -> str:
        """All the reasons as one line (empty when accepted)."""
        return "; ".join(self.reasons)


@dataclass(frozen=True)
class Provenance:
    """Where an item came from: the generator, the model (name/version as the server
    reported it) or template, the seed, the SHA-256 of the prompt (never of a key), when, and
    the evaluator's verdict (None until evaluated)."""

    generator: str
    model: str
    seed: int
    prompt_digest: str
    created_at: datetime
    verdict: Verdict | None = None


@dataclass(frozen=True)
class GeneratedItem:
    """A generated :class:`ContentItem` with its provenance, whom it is for, the answer(s) the
    generator stated and the evidence for the key."""

    item: ContentItem
    provenance: Provenance
    tenant: str
    course_id: str
    skill_id: str
    subject: str
    stated_answers: tuple[str, ...]
    evidence: tuple[Evidence, ...]
    terminology_used: tuple[str, ...] = ()

    @property
    def item_id(self) -> str:
        """The item's id."""
        return self.item.item_id

    @property
    def accepted(self) -> bool:
        """True once the evaluator accepted it."""
        verdict = self.provenance.verdict
        return verdict is not None and verdict.accepted


def generated_item_id(request: GenerationRequest, generator: str, content: str) -> str:
    """A stable id: the same request, generator and content always give the same id, and
    different content (another seed, another model reply) another one."""
    key = "\x00".join(
        (request.tenant, request.course_id, request.skill.skill_id, generator, content)
    )
    return f"gen-{sha256_hex(key)[:20]}"


class ItemGenerator(Protocol):
    """The port every generator fills (templates, a chat-completions model, ...)."""

    name: str

    def generate(self, request: GenerationRequest) -> GeneratedItem:
        """One item for ``request``, not yet evaluated; :class:`GenerationError` on failure."""
        ...
