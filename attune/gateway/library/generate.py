"""Generated items in a course: generating (through the port, then the evaluator, then the
bank), retiring, and merging the bank's active items into every version the course gets.

A generated item becomes part of the course like an imported one: the course's next version
holds it (and the change report names it), so the engine can recommend it and the pages
render and check it. Retired items leave the course at its next version and never return,
and every later import merges the bank again, so a new version of the package keeps the
generated items of skills it still has.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import UTC, datetime

import structlog

from attune.content.generation import (
    BankEntry,
    GeneratedBank,
    GenerationError,
    GenerationRequest,
    ItemEvaluator,
    ItemGenerator,
    RefusedItemError,
    Terminology,
    admit,
    review,
    variation_seed,
)
from attune.content.model import CoursePackage
from attune.gateway.errors import BadRequestError

log = structlog.get_logger("attune.gateway.content")
MAX_COUNT = 10


@dataclass(frozen=True)
class Refusal:
    """A generated item the evaluator (or the generator) refused, and why."""

    item_id: str
    reason: str


def with_generated(tenant: str, package: CoursePackage, bank: GeneratedBank) -> CoursePackage:
    """``package`` with the bank's active items of its skills added and its retired ones
    removed."""
    entries = bank.list(tenant, package.course_id)
    retired = {e.item_id for e in entries if e.status == "retired"}
    skills = {s.skill_id for s in package.skills}
    items = [i for i in package.items if i.item_id not in retired]
    present = {i.item_id for i in items}
    items += [
        e.generated.item
        for e in entries
        if e.shown and e.item_id not in present and set(e.generated.item.skill_ids) <= skills
    ]
    return dataclasses.replace(package, items=tuple(items))


def generate_items(
    tenant: str,
    package: CoursePackage,
    *,
    skill_id: str,
    count: int,
    generator: ItemGenerator,
    evaluator: ItemEvaluator,
    bank: GeneratedBank,
    level: int = 2,
    subject: str = "",
    terminology: Terminology | None = None,
) -> tuple[list[BankEntry], list[Refusal]]:
    """Generate ``count`` items for a skill of ``package``; the admitted entries (now in the
    bank) and the refusals. Nothing refused is ever stored as shown."""
    skill = package.skill(skill_id)
    if skill is None:
        raise BadRequestError(f"course {package.course_id!r} has no skill {skill_id!r}")
    if not 1 <= count <= MAX_COUNT:
        raise BadRequestError(f"count must be 1 to {MAX_COUNT}, not {count}")
    examples = tuple(i for i in package.items if skill_id in i.skill_ids)[:3]
    start = len(bank.list(tenant, package.course_id, skill_id=skill_id))
    admitted: list[BankEntry] = []
    refused: list[Refusal] = []
    for n in range(start, start + count):
        request = GenerationRequest(
            tenant=tenant,
            course_id=package.course_id,
            skill=skill,
            subject=subject or package.title,
            seed=variation_seed(tenant, "generation", package.course_id, skill_id, n),
            level=level,
            terminology=terminology,
            examples=examples,
        )
        try:
            generated = review(generator.generate(request), evaluator)
            entry = admit(generated, at=datetime.now(UTC))
            bank.put(entry)
        except (GenerationError, RefusedItemError) as exc:
            refused.append(Refusal(getattr(exc, "item_id", "") or f"attempt {n}", str(exc)))
            continue
        admitted.append(entry)
    log.info(
        "content.generated",
        tenant=tenant,
        course_id=package.course_id,
        skill_id=skill_id,
        generator=generator.name,
        admitted=len(admitted),
        refused=len(refused),
    )
    return admitted, refused
